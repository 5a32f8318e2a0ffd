import { decodeOrThrow } from '../commands/decodeRecorded';
import { Recorded } from '../domain/events';
import { Statement } from '../projections/statementTypes';
import { canonicalJson } from '../store/chain';
import { RecordedEvent } from '../store/eventStore';

/**
 * The JSON forms of events on the wire (api.md); `occurredAt` is the domain's instant, `data.occurredAt`.
 * Data and metadata are in RFC 8785 key order, the order the chain hashes and SQLite and PostgreSQL
 * keep: an event reads the same whether the answer is the append's or a later read's, on any store.
 */
const inKeyOrder = <A>(value: A): A => JSON.parse(canonicalJson(value ?? null)) as A;

const occurredAtOf = (e: RecordedEvent): string => decodeOrThrow(e).event.data.occurredAt;

/** What a command answers with, per event it appended. */
export const appendedEventJson = (e: RecordedEvent) => ({
  streamId: e.streamId,
  position: e.position,
  eventId: e.eventId,
  type: e.type,
  occurredAt: occurredAtOf(e),
  data: inKeyOrder(e.data),
});

/** The audit form (events query, statement lines): its global position, when it was stored, and who sent it. */
export const recordedEventJson = (e: RecordedEvent) => ({
  streamId: e.streamId,
  position: e.position,
  globalPosition: e.globalPosition,
  eventId: e.eventId,
  type: e.type,
  occurredAt: occurredAtOf(e),
  recordedAt: e.recordedAt,
  data: inKeyOrder(e.data),
  metadata: inKeyOrder(e.metadata),
});

/** A previewed event in the command's answer form, under its preview id. */
export const previewEventJson = (r: Recorded) => ({ streamId: r.ref.streamId, position: r.ref.position, eventId: r.ref.eventId, type: r.event.type, occurredAt: r.event.data.occurredAt, data: inKeyOrder(r.event.data) });

/** A preview's answer (api.md "Previews"): its events, and the statement of its month as it would read. */
export const previewJson = (p: { readonly events: ReadonlyArray<Recorded>; readonly statement: Statement | null }) => ({
  events: p.events.map(previewEventJson),
  statement: p.statement,
});
