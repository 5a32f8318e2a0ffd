import { assertInvariant } from '../domain/invariant';
import { StatementLine } from '../projections/statementTypes';
import { EventStore, RecordedEvent } from '../store/eventStore';

/** Consecutive positions of one stream that a line cites: one event, or a range of usage. */
export interface Span {
  readonly streamId: string;
  readonly fromPosition: number;
  readonly count: number;
}

/**
 * Every event a line cites, as spans, in the line's order: the events it lists, then its usage
 * ranges (an OVERAGE line's consumption, in log order within each stream).
 */
export const citedSpans = (line: Pick<StatementLine, 'events' | 'usage'>): ReadonlyArray<Span> => [
  ...line.events.map((e) => ({ streamId: e.streamId, fromPosition: e.position, count: 1 })),
  ...(line.usage ?? []).map((r) => ({ streamId: r.streamId, fromPosition: r.fromPosition, count: r.count })),
];

/** How many events the spans cite. */
export const citedCount = (spans: ReadonlyArray<Span>): number => spans.reduce((n, s) => n + s.count, 0);

/**
 * The reads of one page: the cited events numbered `after + 1` to `after + limit` (counting from 1
 * in the spans' order), as spans cut to the page. Pure, so that the paging is tested without a store.
 */
export const pageOf = (spans: ReadonlyArray<Span>, after: number, limit: number): ReadonlyArray<Span> => {
  const page: Span[] = [];
  let skip = after;
  let left = limit;
  for (const s of spans) {
    if (left <= 0) break;
    if (skip >= s.count) {
      skip -= s.count;
      continue;
    }
    const count = Math.min(s.count - skip, left);
    page.push({ streamId: s.streamId, fromPosition: s.fromPosition + skip, count });
    skip = 0;
    left -= count;
  }
  return page;
};

export type ReadStream = EventStore['readStream'];

/** One ranged read per span. A cited event missing from its stream breaks L4: it is reported, not skipped. */
export const readSpans = async (readStream: ReadStream, spans: ReadonlyArray<Span>): Promise<ReadonlyArray<RecordedEvent>> => {
  const events: RecordedEvent[] = [];
  for (const s of spans) {
    const read = await readStream(s.streamId, { fromRevision: s.fromPosition, limit: s.count });
    assertInvariant(read.length === s.count, 'L4', () => `${s.streamId}@${s.fromPosition}: ${s.count} cited events, ${read.length} in the stream`);
    events.push(...read);
  }
  return events;
};

export interface CitedPage {
  readonly events: ReadonlyArray<RecordedEvent>;
  /** What to pass as `after` for the next page; undefined at the end. */
  readonly next: number | undefined;
}

/**
 * The events a line lists (a CHARGE's subscribe and the catalog event it priced from, …), in log
 * order (api.md): the line lists its causes first and its price last, but the price came first.
 */
export const listedEvents = async (readStream: ReadStream, line: Pick<StatementLine, 'events'>): Promise<ReadonlyArray<RecordedEvent>> =>
  [...(await readSpans(readStream, citedSpans({ events: line.events })))].sort((a, b) => a.globalPosition - b.globalPosition);

/**
 * A page of the events a line cites, ranges expanded, in log order: what `GET …/lines/{lineId}/events?after&limit`
 * answers. `after` counts the cited events already seen, so a page costs its own reads only,
 * however many requests an OVERAGE line sums (its usage is its only citation, one stream in order).
 */
export const citedEventsPage = async (readStream: ReadStream, line: Pick<StatementLine, 'events' | 'usage'>, after: number, limit: number): Promise<CitedPage> => {
  const listed = line.events.length;
  const first = after < listed ? (await listedEvents(readStream, line)).slice(after, after + limit) : [];
  const ranges = citedSpans({ events: [], ...(line.usage === undefined ? {} : { usage: line.usage }) });
  const rest = limit - first.length;
  const ranged = rest > 0 ? await readSpans(readStream, pageOf(ranges, Math.max(0, after - listed), rest)) : [];
  const events = [...first, ...ranged];
  const seen = after + events.length;
  return { events, next: seen < listed + citedCount(ranges) ? seen : undefined };
};
