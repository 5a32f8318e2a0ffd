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
 * A page of the events a line cites, ranges expanded: what `GET …/lines/{lineId}/events?after&limit`
 * answers. `after` counts the cited events already seen, so a page costs its own reads only,
 * however many requests an OVERAGE line sums.
 */
export const citedEventsPage = async (readStream: ReadStream, line: Pick<StatementLine, 'events' | 'usage'>, after: number, limit: number): Promise<CitedPage> => {
  const spans = citedSpans(line);
  const events = await readSpans(readStream, pageOf(spans, after, limit));
  const seen = after + events.length;
  return { events, next: seen < citedCount(spans) ? seen : undefined };
};
