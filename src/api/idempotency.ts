import { createHash, randomUUID } from 'node:crypto';
import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { pattern } from '../domain/fields';
import { SCHEMA_VERSION, Streams } from '../domain/events';
import { ConcurrencyError, EventStore, ExpectedRevision } from '../store/eventStore';

/** The `Idempotency-Key` header, absent or 1 to 200 printable ASCII characters. */
export const IdempotencyKey = pattern('1 to 200 printable ASCII characters', /^[\x20-\x7e]{1,200}$/);
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * The header as sent, every value apart (Node's `headersDistinct`): two of them would otherwise
 * arrive joined, "a, b", as one key that is neither.
 */
export const IdempotencyKeyHeader = new t.Type<string, ReadonlyArray<string>, unknown>(
  IdempotencyKey.name,
  IdempotencyKey.is,
  (u, c) => {
    if (!Array.isArray(u)) return t.failure(u, c);
    if (u.length !== 1) return t.failure(u, c, `Idempotency-Key: must be sent once, got ${u.length} headers`);
    return IdempotencyKey.validate(u[0], c);
  },
  (k) => [k],
);

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** JSON with keys sorted at every level, so that `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same request. */
const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

/** What makes two requests "the same": method, route, path parameters and body. */
export const requestHash = (request: { method: string; route: string; params: unknown; body: unknown }): string =>
  sha256(canonicalJson(request));

/**
 * Keys are per actor: two tokens sending the same key are two requests, and neither ever gets the
 * other's response. Actors are identifiers, which have no `/`, so the pair cannot be read two ways.
 */
const actorKey = (actor: string, key: string): string => `${actor}/${key}`;

/** The command id under which a keyed request's events are appended, atomically with them. */
export const idempotentCommandId = (actor: string, key: string): string => `idem:${actorKey(actor, key)}`;

export const RecordedResponse = t.type({ requestHash: t.string, status: t.number, body: t.unknown });
export type RecordedResponse = t.TypeOf<typeof RecordedResponse>;

const RESPONSE_EVENT = 'IdempotentResponseRecorded';

/**
 * The first response to each actor's key, kept in the event store itself (a `meta/` stream per key, which the
 * read model skips) so that it survives a restart and a retry gets it back whatever happened since:
 * rejections and credit requests included, whose events carry no `idem:` command id.
 */
export class IdempotencyRecords {
  constructor(private readonly store: EventStore) {}

  private streamOf(actor: string, key: string): string {
    return `${Streams.metaPrefix}idempotency/${sha256(actorKey(actor, key))}`;
  }

  async find(actor: string, key: string): Promise<RecordedResponse | undefined> {
    const [first] = await this.store.readStream(this.streamOf(actor, key), { limit: 1 });
    if (first === undefined) return undefined;
    const decoded = RecordedResponse.decode(first.data);
    if (E.isLeft(decoded)) throw new Error(`${first.streamId}@${first.position}: not an idempotent response record`);
    return decoded.right;
  }

  /** Records `response` unless a concurrent request with the same key got there first; returns the one kept. */
  async record(actor: string, key: string, response: RecordedResponse): Promise<RecordedResponse> {
    try {
      await this.store.append(
        this.streamOf(actor, key),
        [{ eventId: randomUUID(), type: RESPONSE_EVENT, data: response, metadata: { schemaVersion: SCHEMA_VERSION, actor, idempotencyKey: key } }],
        { expectedRevision: ExpectedRevision.noStream },
      );
      return response;
    } catch (e) {
      if (!(e instanceof ConcurrencyError)) throw e;
      return (await this.find(actor, key)) ?? response;
    }
  }
}
