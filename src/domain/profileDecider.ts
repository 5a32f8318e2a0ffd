import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { Map as PersistentMap } from 'immutable';
import { describeAssignment, groupKey } from './assignment';
import { Catalog, emptyCatalog, tiersInEffect } from './catalog';
import { CommandOf } from './commands';
import { Decider, Issued } from './decider';
import { DomainError, domainError } from './errors';
import { ProfileCreated, ProfileEvent } from './events';
import { ProfileInfo, profileInfoOf } from './registryDecider';
import { compareTiers, TierVersion } from './tier';
import { Month, monthOf } from './time';
import { evolveUser, UserHistory, UserMonth, userMonthIn } from './userMonth';
import { Checked, checked, latestOf, monthOpen, notBefore } from './timeOrder';

export type ProfileCommand = CommandOf<'Subscribe' | 'Unsubscribe' | 'Upgrade' | 'Downgrade' | 'SetOverage'>;

export interface ProfileState {
  /** From the registry's ProfileCreated, folded in first; null: no such profile. */
  readonly profile: ProfileInfo | null;
  readonly overage: boolean;
  /** occurredAt of the latest event, the profile's creation included (T2). */
  readonly lastAt: string | null;
  /** occurredAt of the latest OverageSet (T2: every consumption is checked against it). */
  readonly lastOverageAt: string | null;
  /**
   * Each user's history, folded by the one fold of a user's month (domain/userMonth). A persistent
   * map: an event makes a new state that shares every other user's entry with the one before, so
   * folding a profile's lifecycle costs a step per event whatever the profile's users (copying a
   * Map of 20,000 users per event made the first load of such a profile take 80 s).
   */
  readonly users: PersistentMap<string, UserHistory>;
}

export const initialProfileState: ProfileState = { profile: null, overage: false, lastAt: null, lastOverageAt: null, users: PersistentMap() };

/** The user's month `month` as the lifecycle has it: M's events only, even when the log holds some of M+1 (T2). */
export const userMonthOfState = (state: ProfileState, userId: string, month: Month): UserMonth => userMonthIn(state.users.get(userId), month);

export const evolveProfile = (state: ProfileState, e: ProfileCreated | ProfileEvent): ProfileState => {
  if (e.type === 'ProfileCreated') return { ...state, profile: profileInfoOf(e), lastAt: e.data.occurredAt };
  const s = { ...state, lastAt: e.data.occurredAt };
  if (e.type === 'OverageSet') return { ...s, overage: e.data.enabled, lastOverageAt: e.data.occurredAt };
  return { ...s, users: s.users.set(e.data.userId, evolveUser(s.users.get(e.data.userId), { event: e })) };
};

/** T2 for Subscribe, Unsubscribe, Upgrade, Downgrade and SetOverage: every lifecycle event, and the consumptions given. */
export const lifecycleChecked = (state: ProfileState, consumption: Checked | undefined): Checked | undefined =>
  latestOf(checked(state.lastAt, `the latest event of profile ${state.profile?.profileId}`), consumption);

/** T2 for a consumption by `userId`: the profile's creation, its overage switches and the user's subscription events. */
export const consumptionChecked = (state: ProfileState, userId: string): Checked | undefined =>
  latestOf(
    checked(state.profile?.createdAt, `the creation of profile ${state.profile?.profileId}`),
    checked(state.lastOverageAt, `the latest overage switch of profile ${state.profile?.profileId}`),
    checked(state.users.get(userId)?.lastChangeAt, `the latest subscription event of user ${userId}`),
  );

const notFound = (profileId: string): DomainError =>
  domainError('PROFILE_NOT_FOUND', `profile ${profileId} does not exist`);

const offered = (catalog: Catalog, tier: string, occurredAt: string): E.Either<DomainError, TierVersion> => {
  const month = monthOf(occurredAt);
  const v = tiersInEffect(catalog, month).get(tier);
  return v === undefined ? E.left(domainError('UNKNOWN_TIER', `tier ${tier} is not offered in ${month}`)) : E.right(v);
};

type AssignmentCommand = CommandOf<'Unsubscribe' | 'Upgrade' | 'Downgrade'>;

/** The assignments the user holds at the command's instant: a lifecycle command is dated after every subscription event (T2). */
const heldAt = (state: ProfileState, c: CommandOf<'Subscribe' | 'Unsubscribe' | 'Upgrade' | 'Downgrade'>) =>
  userMonthOfState(state, c.userId, monthOf(c.occurredAt)).assignments;

const currentTier = (state: ProfileState, c: AssignmentCommand): E.Either<DomainError, string> => {
  const tier = heldAt(state, c).get(groupKey(c.groupId))?.tier;
  return tier === undefined ? E.left(domainError('NOT_SUBSCRIBED', describeAssignment(c.profileId, c.userId, c.groupId))) : E.right(tier);
};

/** Upgrade and downgrade differ only in the direction they must go (M3, M4). */
const changeTier = (
  catalog: Catalog,
  state: ProfileState,
  c: CommandOf<'Upgrade' | 'Downgrade'>,
): E.Either<DomainError, ReadonlyArray<ProfileEvent>> => {
  const upgrade = c.type === 'Upgrade';
  return pipe(
    offered(catalog, c.tier, c.occurredAt),
    E.bindTo('target'),
    E.bind('fromTier', () => currentTier(state, c)),
    E.chain(({ target, fromTier }) => {
      const from = tiersInEffect(catalog, monthOf(c.occurredAt)).get(fromTier);
      const direction = from === undefined ? 1 : compareTiers(target, from);
      if (upgrade ? direction <= 0 : direction >= 0) {
        return E.left(
          domainError(
            upgrade ? 'NOT_AN_UPGRADE' : 'NOT_A_DOWNGRADE',
            `${c.tier} is not ${upgrade ? 'above' : 'below'} ${fromTier}, the tier of ${c.groupId === null ? 'the direct assignment' : `group ${c.groupId}`} of user ${c.userId}`,
          ),
        );
      }
      const type = upgrade ? ('SubscriptionUpgraded' as const) : ('SubscriptionDowngraded' as const);
      // Event data here with its keys in RFC 8785 order, as the store writes it: its canonical JSON is then one JSON.stringify (chain.ts).
      return E.right([
        { type, data: { fromTier, groupId: c.groupId, occurredAt: c.occurredAt, profileId: c.profileId, tier: c.tier, userId: c.userId } },
      ]);
    }),
  );
};

const decideFor = (catalog: Catalog, c: ProfileCommand, state: ProfileState): E.Either<DomainError, ReadonlyArray<ProfileEvent>> => {
  switch (c.type) {
    case 'Subscribe':
      return pipe(
        offered(catalog, c.tier, c.occurredAt),
        E.chain(() =>
          heldAt(state, c).has(groupKey(c.groupId))
            ? E.left(
                domainError(
                  'ALREADY_SUBSCRIBED',
                  `user ${c.userId} is subscribed ${c.groupId === null ? 'directly' : `in group ${c.groupId}`} in profile ${c.profileId} already`,
                ),
              )
            : E.right([
                { type: 'UserSubscribed' as const, data: { groupId: c.groupId, occurredAt: c.occurredAt, profileId: c.profileId, tier: c.tier, userId: c.userId } },
              ]),
        ),
      );
    case 'Unsubscribe':
      return pipe(
        currentTier(state, c),
        E.map((tier) => [
          { type: 'UserUnsubscribed' as const, data: { groupId: c.groupId, occurredAt: c.occurredAt, profileId: c.profileId, tier, userId: c.userId } },
        ]),
      );
    case 'Upgrade':
    case 'Downgrade':
      return changeTier(catalog, state, c);
    case 'SetOverage':
      return E.right([{ type: 'OverageSet', data: { enabled: c.enabled, occurredAt: c.occurredAt, profileId: c.profileId } }]);
  }
};

/** What a lifecycle decision reads (domain/reads.ts, kind `lifecycle`), loaded into one state. */
export interface LifecycleState {
  /** The profile's lifecycle stream, the one written, seeded with the profile's creation. */
  readonly lifecycle: ProfileState;
  /** Which tiers are offered, and their order (C4). */
  readonly catalog: Catalog;
  /** The latest consumption the command is checked against (T2): the user's, or for SetOverage anyone's in the profile. */
  readonly consumption: Checked | undefined;
}

export const initialLifecycleState: LifecycleState = { lifecycle: initialProfileState, catalog: emptyCatalog, consumption: undefined };

/** A profile's lifecycle stream. T5: PROFILE_NOT_FOUND, MONTH_CLOSED, OUT_OF_ORDER, then the command's own checks. */
export const profileDecider: Decider<Issued<ProfileCommand>, ProfileCreated | ProfileEvent, LifecycleState> = {
  decide: ({ metadata, ...c }, { lifecycle, catalog, consumption }) =>
    lifecycle.profile === null
      ? E.left(notFound(c.profileId))
      : pipe(
          monthOpen(c.occurredAt, metadata.now),
          E.chain(() => notBefore(c.occurredAt, lifecycleChecked(lifecycle, consumption))),
          E.chain(() => decideFor(catalog, c, lifecycle)),
        ),
  evolve: (state, e) => ({ ...state, lifecycle: evolveProfile(state.lifecycle, e) }),
  initialState: initialLifecycleState,
};

export { notFound as profileNotFound };
