import { GroupKey, groupKey } from '../domain/assignment';
import { Catalog, tiersInEffect } from '../domain/catalog';
import { ProfileEvent, Recorded } from '../domain/events';
import { ProfileInfo } from '../domain/registryDecider';
import { compareTiers, TierVersion } from '../domain/tier';
import { monthOf, toMillis } from '../domain/time';
import { mapSliced, PAUSE_EVERY, Sliced } from './slices';

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
 * Folds the lifecycle up to `now` (an event dated later is not in effect yet). Pure, and separate
 * from the profile decider on purpose: this answers a question for people, the decider guards writes.
 * Sliced, as the statement is: a profile of 50,000 users is folded across turns by a server.
 */
export function* profileNowFold(info: ProfileInfo, lifecycle: ReadonlyArray<Recorded<ProfileEvent>>, catalog: Catalog, now: string): Sliced<ProfileNow> {
  let overage = false;
  const assignments = new Map<string, Map<GroupKey, { groupId: string | null; tier: string }>>();
  for (const [i, { event: e }] of lifecycle.entries()) {
    if (i % PAUSE_EVERY === 0) yield;
    if (toMillis(e.data.occurredAt) > toMillis(now)) break;
    if (e.type === 'OverageSet') {
      overage = e.data.enabled;
      continue;
    }
    const held = assignments.get(e.data.userId) ?? new Map<GroupKey, { groupId: string | null; tier: string }>();
    assignments.set(e.data.userId, held);
    if (e.type === 'UserUnsubscribed') held.delete(groupKey(e.data.groupId));
    else held.set(groupKey(e.data.groupId), { groupId: e.data.groupId, tier: e.data.tier });
  }
  const offered = tiersInEffect(catalog, monthOf(now));
  const versionOf = (tier: string): TierVersion => {
    const v = offered.get(tier);
    // An assignment can only name a tier the catalog offered; not finding it means the log is corrupt.
    if (v === undefined) throw new Error(`profile ${info.profileId}: tier ${tier} is not in the catalog of ${monthOf(now)}`);
    return v;
  };
  const holders = [...assignments].filter(([, held]) => held.size > 0).sort(([a], [b]) => byText(a, b));
  yield;
  const users = yield* mapSliced(holders, ([userId, held]) => {
      // The direct assignment (no group) first, then by group id.
      const active = [...held.values()].sort((a, b) => byText(a.groupId ?? '', b.groupId ?? ''));
      const effective = active.map((a) => versionOf(a.tier)).reduce((a, b) => (compareTiers(a, b) >= 0 ? a : b));
      return { userId, assignments: active, effectiveTier: effective.tier };
    });
  return { ...info, overage, users };
}
