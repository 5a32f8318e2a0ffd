import { groupKey } from '../../src/domain/assignment';
import { fold } from '../../src/domain/decider';
import { ProfileCreated, ProfileEvent } from '../../src/domain/events';
import { evolveProfile, profileDecider, ProfileCommand } from '../../src/domain/profileDecider';
import { issuedSpec } from '../support/deciderSpecification';
import { catalogWith, genesis, profileCreated, tierDefined } from '../support/fixtures';

const NOW = '2026-04-15T00:00:00.000Z';
const spec = issuedSpec(profileDecider, NOW, { catalog: genesis });
const created = profileCreated('p-1', '2026-03-01T09:00:00.000Z');
const at = '2026-04-10T12:00:00.000Z';
const base = { profileId: 'p-1', userId: 'alice', groupId: null, occurredAt: at };
const subscribed = (tier: string, groupId: string | null = null, occurredAt = '2026-03-01T09:05:00.000Z'): ProfileEvent => ({
  type: 'UserSubscribed',
  data: { profileId: 'p-1', userId: 'alice', groupId, tier, occurredAt },
});
const given = (...events: ReadonlyArray<ProfileCreated | ProfileEvent>) => spec.given([created, ...events]);
const cmd = (c: Omit<ProfileCommand, 'profileId' | 'userId' | 'groupId' | 'occurredAt'> & Partial<ProfileCommand>) => ({ ...base, ...c }) as ProfileCommand;

describe('profile decider: Subscribe (P2)', () => {
  test('records the assignment', () =>
    given().when(cmd({ type: 'Subscribe', tier: 'PRO' })).then([{ type: 'UserSubscribed', data: { ...base, tier: 'PRO' } }]));

  test('a second group is a second assignment', () =>
    given(subscribed('PRO', 'group-a')).when(cmd({ type: 'Subscribe', tier: 'PRO', groupId: 'group-b' })).then([
      { type: 'UserSubscribed', data: { ...base, groupId: 'group-b', tier: 'PRO' } },
    ]));

  test('PROFILE_NOT_FOUND without the profile', () =>
    spec.given([]).when(cmd({ type: 'Subscribe', tier: 'PRO' })).thenFails('PROFILE_NOT_FOUND', /profile p-1/));

  test('UNKNOWN_TIER for a tier not in the catalog', () => given().when(cmd({ type: 'Subscribe', tier: 'ULTRA' })).thenFails('UNKNOWN_TIER', /ULTRA/));

  test('ALREADY_SUBSCRIBED for the same user and group', () =>
    given(subscribed('PRO', 'group-a')).when(cmd({ type: 'Subscribe', tier: 'POWER', groupId: 'group-a' })).thenFails('ALREADY_SUBSCRIBED'));

  test('OUT_OF_ORDER before the profile\'s latest event (T2)', () =>
    given(subscribed('PRO', null, '2026-04-11T00:00:00.000Z'))
      .when(cmd({ type: 'Subscribe', tier: 'PRO', groupId: 'g' }))
      .thenFails('OUT_OF_ORDER', /2026-04-11/));

  test('the same instant as the latest event is in order', () =>
    given(subscribed('PRO', null, at)).when(cmd({ type: 'Subscribe', tier: 'PRO', groupId: 'g' })).then([
      { type: 'UserSubscribed', data: { ...base, groupId: 'g', tier: 'PRO' } },
    ]));
});

describe('profile decider: Unsubscribe', () => {
  test('ends the named assignment, recording its tier', () =>
    given(subscribed('PRO_PLUS')).when(cmd({ type: 'Unsubscribe' })).then([{ type: 'UserUnsubscribed', data: { ...base, tier: 'PRO_PLUS' } }]));

  test('NOT_SUBSCRIBED in a group the user is not in', () =>
    given(subscribed('PRO')).when(cmd({ type: 'Unsubscribe', groupId: 'group-x' })).thenFails('NOT_SUBSCRIBED', /group group-x of profile p-1/));

  test('NOT_SUBSCRIBED twice', () =>
    given(subscribed('PRO'), { type: 'UserUnsubscribed', data: { ...base, occurredAt: '2026-04-01T00:00:00.000Z', tier: 'PRO' } })
      .when(cmd({ type: 'Unsubscribe' }))
      .thenFails('NOT_SUBSCRIBED', /no direct subscription/));

  test('PROFILE_NOT_FOUND without the profile', () => spec.given([]).when(cmd({ type: 'Unsubscribe' })).thenFails('PROFILE_NOT_FOUND'));
});

describe('profile decider: Upgrade and Downgrade (M3, M4)', () => {
  test('Upgrade to a higher tier records both tiers', () =>
    given(subscribed('PRO')).when(cmd({ type: 'Upgrade', tier: 'POWER' })).then([
      { type: 'SubscriptionUpgraded', data: { ...base, fromTier: 'PRO', tier: 'POWER' } },
    ]));

  test('NOT_AN_UPGRADE to the same or a lower tier', () => {
    given(subscribed('PRO_PLUS')).when(cmd({ type: 'Upgrade', tier: 'PRO_PLUS' })).thenFails('NOT_AN_UPGRADE');
    given(subscribed('PRO_PLUS')).when(cmd({ type: 'Upgrade', tier: 'PRO' })).thenFails('NOT_AN_UPGRADE');
  });

  test('Downgrade to a lower tier', () =>
    given(subscribed('POWER')).when(cmd({ type: 'Downgrade', tier: 'PRO' })).then([
      { type: 'SubscriptionDowngraded', data: { ...base, fromTier: 'POWER', tier: 'PRO' } },
    ]));

  test('NOT_A_DOWNGRADE to the same or a higher tier', () => {
    given(subscribed('PRO')).when(cmd({ type: 'Downgrade', tier: 'PRO' })).thenFails('NOT_A_DOWNGRADE');
    given(subscribed('PRO')).when(cmd({ type: 'Downgrade', tier: 'POWER' })).thenFails('NOT_A_DOWNGRADE');
  });

  test('checks the tier before the assignment: UNKNOWN_TIER, then NOT_SUBSCRIBED', () => {
    given().when(cmd({ type: 'Upgrade', tier: 'ULTRA' })).thenFails('UNKNOWN_TIER');
    given().when(cmd({ type: 'Upgrade', tier: 'POWER' })).thenFails('NOT_SUBSCRIBED');
    given().when(cmd({ type: 'Downgrade', tier: 'PRO' })).thenFails('NOT_SUBSCRIBED');
  });

  test('changes only the named assignment', () =>
    given(subscribed('POWER', 'group-a'), subscribed('PRO', 'group-b'))
      .when(cmd({ type: 'Upgrade', tier: 'PRO_PLUS', groupId: 'group-b' }))
      .then([{ type: 'SubscriptionUpgraded', data: { ...base, groupId: 'group-b', fromTier: 'PRO', tier: 'PRO_PLUS' } }]));

  test('the order is the price in effect for the month of the command (C4)', () => {
    // From May, Pro costs more than Pro+: Pro+ → Pro becomes an upgrade.
    const repriced = catalogWith(tierDefined('PRO', '50.00', '1000', '2026-05', '2026-03-10T00:00:00.000Z'));
    const may = { ...base, occurredAt: '2026-05-02T00:00:00.000Z' };
    const s = issuedSpec(profileDecider, NOW, { catalog: repriced }).given([created, subscribed('PRO_PLUS')]);
    s.when({ ...may, type: 'Upgrade', tier: 'PRO' }).then([{ type: 'SubscriptionUpgraded', data: { ...may, fromTier: 'PRO_PLUS', tier: 'PRO' } }]);
    issuedSpec(profileDecider, NOW, { catalog: repriced }).given([created, subscribed('PRO_PLUS')]).when({ ...base, type: 'Upgrade', tier: 'PRO' }).thenFails('NOT_AN_UPGRADE');
  });

  test('a tier defined from a later month is UNKNOWN_TIER before it (C4)', () => {
    const withMax = catalogWith(tierDefined('PRO_MAX', '100.00', '5000', '2026-05', '2026-03-10T00:00:00.000Z'));
    issuedSpec(profileDecider, NOW, { catalog: withMax }).given([created, subscribed('PRO')]).when(cmd({ type: 'Upgrade', tier: 'PRO_MAX' })).thenFails('UNKNOWN_TIER', /2026-04/);
  });
});

describe('profile decider: SetOverage (K3)', () => {
  test('records the switch', () =>
    given().when({ type: 'SetOverage', profileId: 'p-1', enabled: true, occurredAt: at }).then([
      { type: 'OverageSet', data: { profileId: 'p-1', enabled: true, occurredAt: at } },
    ]));

  test('PROFILE_NOT_FOUND without the profile', () =>
    spec.given([]).when({ type: 'SetOverage', profileId: 'p-1', enabled: true, occurredAt: at }).thenFails('PROFILE_NOT_FOUND'));
});

describe('profile decider: time (T2, T4, T5)', () => {
  const withConsumption = (consumedAt: string) =>
    issuedSpec(profileDecider, NOW, { catalog: genesis, consumption: { at: consumedAt, what: 'the latest consumption of user alice' } }).given([
      created,
      subscribed('PRO'),
    ]);

  test('problem 1: a subscription change dated before the user\'s latest consumption is OUT_OF_ORDER', () =>
    withConsumption('2026-04-12T00:00:00.000Z').when(cmd({ type: 'Unsubscribe' })).thenFails('OUT_OF_ORDER', /latest consumption of user alice at 2026-04-12/));

  test('SetOverage dated before a consumption is OUT_OF_ORDER', () =>
    withConsumption('2026-04-12T00:00:00.000Z')
      .when({ type: 'SetOverage', profileId: 'p-1', enabled: false, occurredAt: at })
      .thenFails('OUT_OF_ORDER'));

  test('a change dated after the consumption is in order', () =>
    withConsumption('2026-04-09T00:00:00.000Z').when(cmd({ type: 'Unsubscribe' })).then([{ type: 'UserUnsubscribed', data: { ...base, tier: 'PRO' } }]));

  test('T4: a command dated in a closed month is MONTH_CLOSED, before OUT_OF_ORDER and the command\'s own checks', () =>
    issuedSpec(profileDecider, '2026-05-02T00:00:00.000Z', { catalog: genesis, consumption: { at: '2026-05-01T00:00:00.000Z', what: 'x' } })
      .given([created, subscribed('PRO')])
      .when(cmd({ type: 'Subscribe', tier: 'ULTRA' }))
      .thenFails('MONTH_CLOSED', /2026-04/));

  test('T5: PROFILE_NOT_FOUND comes before MONTH_CLOSED', () =>
    issuedSpec(profileDecider, '2026-06-02T00:00:00.000Z', { catalog: genesis })
      .given([])
      .when(cmd({ type: 'Unsubscribe' }))
      .thenFails('PROFILE_NOT_FOUND'));
});

describe('profile decider: the fold of a big profile (issue 18 item 5)', () => {
  const lifecycleOf = (users: number): ReadonlyArray<ProfileCreated | ProfileEvent> => [
    created,
    ...Array.from({ length: users }, (_, i): ProfileEvent => ({ type: 'UserSubscribed', data: { ...base, userId: `u-${i}`, tier: 'PRO', occurredAt: '2026-03-02T00:00:00.000Z' } })),
  ];

  /** Map entries written while folding: a fold that copies a Map of the users per event writes users²/2 of them. */
  const entriesWritten = (events: ReadonlyArray<ProfileCreated | ProfileEvent>): number => {
    const set = jest.spyOn(Map.prototype, 'set');
    try {
      fold(profileDecider, events);
      return set.mock.calls.length;
    } finally {
      set.mockRestore();
    }
  };

  test('folding four times the users writes four times the entries, not sixteen', () => {
    const small = entriesWritten(lifecycleOf(500));
    expect(small).toBeGreaterThanOrEqual(500);
    expect(entriesWritten(lifecycleOf(2000))).toBeLessThanOrEqual(4.4 * small);
  });

  test('an event leaves the state before it as it was, and shares every other user with it', () => {
    const before = fold(profileDecider, lifecycleOf(100)).lifecycle;
    const bob = before.users.get('u-7');
    const after = evolveProfile(before, { type: 'SubscriptionUpgraded', data: { ...base, userId: 'u-3', fromTier: 'PRO', tier: 'POWER', occurredAt: at } });
    expect(after.users.get('u-7')).toBe(bob);
    expect(before.users.get('u-3')?.latest.assignments.get(groupKey(null))?.tier).toBe('PRO');
    expect(after.users.get('u-3')?.latest.assignments.get(groupKey(null))?.tier).toBe('POWER');
    expect(before.users.size).toBe(100);
  });
});
