import * as t from 'io-ts';
import { LedgerEvent } from '../domain/events';

/**
 * The read model saved with its checkpoint, so that a restart catches up from there instead of
 * replaying the whole log. It holds the events the view keeps (catalog, profiles, lifecycles, credit notes) and
 * each user-month's usage aggregate (sum, count, ranges of positions); it is decoded like any
 * stored JSON, and checked against the log before use. Version 2: the ranges were added.
 */
const EventRefC = t.type({ streamId: t.string, position: t.number, eventId: t.string, type: t.string });

const UsageRangeC = t.type({ streamId: t.string, fromPosition: t.number, toPosition: t.number, count: t.number });

export const ViewSnapshot = t.type({
  version: t.literal(2),
  checkpoint: t.number,
  /** Id of the event at the checkpoint: a snapshot of another log (or a reset one) is refused. */
  checkpointEventId: t.string,
  events: t.array(t.type({ ref: EventRefC, globalPosition: t.number, event: LedgerEvent })),
  usage: t.array(
    t.type({ profileId: t.string, month: t.string, userId: t.string, credits: t.string, lastAt: t.string, count: t.number, ranges: t.readonlyArray(UsageRangeC) }),
  ),
});

export type ViewSnapshot = t.TypeOf<typeof ViewSnapshot>;
