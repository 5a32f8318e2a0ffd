import { Catalog, tiersInEffect } from '../domain/catalog';
import { ProfileEvent, Recorded } from '../domain/events';
import { ProfileInfo } from '../domain/registryDecider';
import { effectiveTier } from '../domain/allowance';
import { assertInvariant } from '../domain/invariant';
import { monthOf, toMillis } from '../domain/time';
import { evolveUser, UserHistory, userMonthIn } from '../domain/userMonth';
import { filterSliced, mapSliced, PAUSE_EVERY, Sliced, sortSliced } from './slices';

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** `GET /v1/profiles/{profileId}`: the profile as it stands at an instant. */
export interface ProfileNow {
  readonly profileId: string;
  readonly accountId: string;
  readonly region: string;
  readonly name: string | null;
  readonly createdAt: string;
  readonly overage: boolean;
  /** Users with at least one active assignment, sorted by id. */
  readonly users: ReadonlyArray<{
    readonly userId: string;
    readonly assignments: ReadonlyArray<{ readonly groupId: string | null; readonly tier: string }>;
    /** The highest tier of the assignments in the catalog of the instant's month (C4). */
    readonly effectiveTier: string;
  }>;
}

/**
 * Folds the lifecycle up to `now` (an event dated later, in the 5 minutes' lead, is not in effect
 * yet) with the one fold of a user's month (domain/userMonth). Pure: this answers a question for
 * people, the decider guards writes, and both read assignments the same way. Sliced, as the
 * statement is: a profile of 50,000 users is folded across turns by a server.
 */
export function* profileNowFold(info: ProfileInfo, lifecycle: ReadonlyArray<Recorded<ProfileEvent>>, catalog: Catalog, now: string): Sliced<ProfileNow> {
  let overage = false;
  const histories = new Map<string, UserHistory>();
  for (const [i, { event: e }] of lifecycle.entries()) {
    if (i % PAUSE_EVERY === 0) yield;
    if (toMillis(e.data.occurredAt) > toMillis(now)) break;
    if (e.type === 'OverageSet') overage = e.data.enabled;
    else histories.set(e.data.userId, evolveUser(histories.get(e.data.userId), { event: e }));
  }
  const month = monthOf(now);
  const assignments = yield* mapSliced(histories, ([userId, h]) => [userId, userMonthIn(h, month).assignments] as const);
  const offered = tiersInEffect(catalog, month);
  const holders = yield* sortSliced(
    yield* filterSliced(assignments, ([, held]) => held.size > 0),
    ([a], [b]) => byText(a, b),
  );
  const users = yield* mapSliced(holders, ([userId, held]) => {
      // The direct assignment (no group) first, then by group id.
      const active = [...held.values()].map((a) => ({ groupId: a.groupId, tier: a.tier })).sort((a, b) => byText(a.groupId ?? '', b.groupId ?? ''));
      const effective = effectiveTier(active.map((a) => a.tier), offered);
      // An assignment can only name a tier the catalog offered; not finding it means the log is corrupt.
      assertInvariant(effective !== undefined && active.every((a) => offered.has(a.tier)), 'C4', () => `profile ${info.profileId}: user ${userId} holds a tier that is not in the catalog of ${month}`);
      return { userId, assignments: active, effectiveTier: effective.tier };
    });
  return { ...info, overage, users };
}
