import { recordedEventJson } from '../api/wire';
import { renderTable } from './table';

export type EventJson = ReturnType<typeof recordedEventJson>;

/** Events for an audit: where in the log, when, what, who sent it, and its data. */
export const renderEvents = (events: ReadonlyArray<EventJson>): string =>
  renderTable(
    ['position', 'occurred', 'event', 'stream', 'actor', 'data'],
    events.map((e) => [String(e.globalPosition), e.occurredAt, e.type, `${e.streamId}@${e.position}`, String(e.metadata.actor ?? ''), JSON.stringify(e.data)]),
  );
