import { fold } from '../../src/domain/decider';
import { CreditsConsumed, ProfileCreated, ProfileEvent } from '../../src/domain/events';
import { evolveProfile, initialProfileState } from '../../src/domain/profileDecider';
import { ConsumeCredits, usageDecider } from '../../src/domain/usageDecider';
import { issuedSpec } from '../support/deciderSpecification';
import { catalogWith, genesis, profileCreated, tierDefined } from '../support/fixtures';

type Lifecycle = ProfileCreated | ProfileEvent;
const NOW = '2026-04-15T00:00:00.000Z';
const profileOf = (events: ReadonlyArray<Lifecycle>) => events.reduce(evolveProfile, initialProfileState);
const created = profileCreated('p-1', '2026-03-01T09:00:00.000Z');
const user = { profileId: 'p-1', userId: 'alice', groupId: null };
const subscribed = (tier: string, occurredAt = '2026-03-01T09:05:00.000Z'): ProfileEvent => ({ type: 'UserSubscribed', data: { ...user, tier, occurredAt } });
const overage = (enabled: boolean, occurredAt = '2026-04-01T00:00:00.000Z'): ProfileEvent => ({ type: 'OverageSet', data: { profileId: 'p-1', enabled, occurredAt } });
const consume = (credits: string, requestId = 'r-1', occurredAt = '2026-04-10T00:00:00.000Z'): ConsumeCredits => ({
  type: 'ConsumeCredits',
  profileId: 'p-1',
  userId: 'alice',
  credits,
  requestId,
  occurredAt,
});
const consumed = (c: ConsumeCredits): CreditsConsumed => {
  const { type: _t, ...data } = c;
  return { type: 'CreditsConsumed', data };
};
const spec = (lifecycle: ReadonlyArray<Lifecycle>, previous?: CreditsConsumed, catalog = genesis) =>
  issuedSpec(usageDecider, NOW, { catalog, lifecycle: profileOf(lifecycle), previous });
/** C4 ranks by price: PRO_MAX is above POWER and PRO but carries fewer credits than either. */
const withProMax = catalogWith(tierDefined('PRO_MAX', '300.00', '500', '2026-01', '2026-01-01T00:00:00.000Z'));
const upgraded = (fromTier: string, tier: string, occurredAt: string, groupId: string | null = null): ProfileEvent => ({
  type: 'SubscriptionUpgraded',
  data: { ...user, groupId, fromTier, tier, occurredAt },
});

describe('usage decider (section 6)', () => {
  test('consumption within the allowance is recorded', () =>
    spec([created, subscribed('PRO')]).given([]).when(consume('999.99')).then([consumed(consume('999.99'))]));

  test('K4: one credit past the allowance with overage off is CREDITS_EXHAUSTED, whole', () =>
    spec([created, subscribed('PRO')]).given([consumed(consume('999.99', 'r-0'))]).when(consume('0.02')).thenFails('CREDITS_EXHAUSTED', /0\.01 of 1000\.00 credits left in 2026-04 \(billed at PRO\)/));

  test('K4: exactly the allowance is accepted', () =>
    spec([created, subscribed('PRO')]).given([consumed(consume('999.99', 'r-0'))]).when(consume('0.01')).then([consumed(consume('0.01'))]));

  test('K3: with overage on, consumption past the allowance is accepted', () =>
    spec([created, subscribed('PRO'), overage(true)]).given([consumed(consume('1000', 'r-0'))]).when(consume('500')).then([consumed(consume('500'))]));

  test('K1: the allowance is the highest tier held this month, even after a downgrade', () =>
    spec([created, subscribed('POWER'), { type: 'SubscriptionDowngraded', data: { ...user, fromTier: 'POWER', tier: 'PRO', occurredAt: '2026-04-05T00:00:00.000Z' } }])
      .given([])
      .when(consume('5000'))
      .then([consumed(consume('5000'))]));

  test('K1: after a downgrade, the next month has the lower allowance', () =>
    spec([created, subscribed('POWER'), { type: 'SubscriptionDowngraded', data: { ...user, fromTier: 'POWER', tier: 'PRO', occurredAt: '2026-04-05T00:00:00.000Z' } }])
      .given([])
      .when(consume('1000.01', 'r-1', '2026-05-02T00:00:00.000Z'))
      .thenFails('CREDITS_EXHAUSTED'));

  test('K1 (issue 9, problem 8): an upgrade to a tier ranked higher with fewer credits does not lower the allowance', () => {
    const lifecycle = [created, subscribed('PRO'), upgraded('PRO', 'PRO_MAX', '2026-04-05T00:00:00.000Z')];
    spec(lifecycle, undefined, withProMax).given([]).when(consume('1000')).then([consumed(consume('1000'))]);
    spec(lifecycle, undefined, withProMax).given([consumed(consume('1000', 'r-0'))]).when(consume('0.01')).thenFails('CREDITS_EXHAUSTED', /0\.00 of 1000\.00 credits left in 2026-04 \(billed at PRO_MAX\)/);
  });

  test('K1: the allowance comes from the tiers billed, not every tier held: one held below the billed tier adds nothing', () => {
    // PRO_PLUS in a group while PRO_MAX, ranked higher, is held directly: the month is billed at PRO_MAX only.
    const lifecycle: Lifecycle[] = [created, subscribed('PRO_MAX'), { type: 'UserSubscribed', data: { ...user, groupId: 'g-1', tier: 'PRO_PLUS', occurredAt: '2026-04-02T00:00:00.000Z' } }];
    spec(lifecycle, undefined, withProMax).given([]).when(consume('500')).then([consumed(consume('500'))]);
    spec(lifecycle, undefined, withProMax).given([]).when(consume('500.01')).thenFails('CREDITS_EXHAUSTED', /of 500\.00 credits/);
  });

  test('K1: the next month starts from the tier carried in, PRO_MAX alone', () =>
    spec([created, subscribed('PRO'), upgraded('PRO', 'PRO_MAX', '2026-04-05T00:00:00.000Z')], undefined, withProMax)
      .given([])
      .when(consume('500.01', 'r-1', '2026-05-02T00:00:00.000Z'))
      .thenFails('CREDITS_EXHAUSTED', /of 500\.00 credits/));

  test('K5/M2: after an unsubscribe the user consumes until the end of that month', () => {
    const cancelled: Lifecycle[] = [created, subscribed('PRO'), { type: 'UserUnsubscribed', data: { ...user, tier: 'PRO', occurredAt: '2026-04-10T00:00:00.000Z' } }];
    spec(cancelled).given([]).when(consume('10', 'r-1', '2026-04-20T00:00:00.000Z')).then([consumed(consume('10', 'r-1', '2026-04-20T00:00:00.000Z'))]);
    spec(cancelled).given([]).when(consume('1', 'r-2', '2026-05-02T00:00:00.000Z')).thenFails('NOT_SUBSCRIBED', /2026-05/);
  });

  test('K5: a user who never subscribed is NOT_SUBSCRIBED', () => spec([created]).given([]).when(consume('1')).thenFails('NOT_SUBSCRIBED'));

  test('PROFILE_NOT_FOUND without the profile', () => spec([]).given([]).when(consume('1')).thenFails('PROFILE_NOT_FOUND'));

  test('K2: a retry of an applied request succeeds with no new event, whatever happened since', () => {
    const first = consumed(consume('12.50', 'r-1', '2026-04-01T00:00:00.000Z'));
    spec([created, subscribed('PRO'), { type: 'UserUnsubscribed', data: { ...user, tier: 'PRO', occurredAt: '2026-04-02T00:00:00.000Z' } }], first)
      .given([first])
      .when(consume('12.5', 'r-1', '2026-06-01T00:00:00.000Z'))
      .then([]);
  });

  test('K2: the same requestId with other credits or another user is REQUEST_ID_REUSED', () => {
    const first = consumed(consume('12.50'));
    spec([created, subscribed('PRO')], first).given([first]).when(consume('12.51')).thenFails('REQUEST_ID_REUSED', /alice/);
    spec([created, subscribed('PRO')], first).given([]).when({ ...consume('12.50'), userId: 'bob' }).thenFails('REQUEST_ID_REUSED');
  });

  test('T2: consumptions arrive in any order among themselves', () =>
    spec([created, subscribed('PRO')]).given([consumed(consume('1', 'r-0', '2026-04-11T00:00:00.000Z'))]).when(consume('1')).then([consumed(consume('1'))]));

  test("T2: a consumption dated before the user's subscription events or an overage switch is OUT_OF_ORDER", () => {
    spec([created, subscribed('PRO', '2026-04-11T00:00:00.000Z')]).given([]).when(consume('1')).thenFails('OUT_OF_ORDER', /subscription event of user alice/);
    spec([created, subscribed('PRO'), overage(true, '2026-04-11T00:00:00.000Z')]).given([]).when(consume('1')).thenFails('OUT_OF_ORDER', /overage switch/);
  });

  test("T2: another user's subscription events do not order this user's consumption", () => {
    const bob: ProfileEvent = { type: 'UserSubscribed', data: { ...user, userId: 'bob', tier: 'PRO', occurredAt: '2026-04-11T00:00:00.000Z' } };
    spec([created, subscribed('PRO'), bob]).given([]).when(consume('1')).then([consumed(consume('1'))]);
  });

  test('T4: a consumption dated in a closed month is MONTH_CLOSED', () =>
    spec([created, subscribed('PRO')]).given([]).when(consume('1', 'r-9', '2026-03-31T23:59:59.999Z')).thenFails('MONTH_CLOSED', /2026-03/));

  test('T5: a retry of an applied request succeeds even after its month closed; a reuse is still REQUEST_ID_REUSED', () => {
    const first = consumed(consume('5', 'r-1', '2026-03-20T00:00:00.000Z'));
    spec([created, subscribed('PRO')], first).given([]).when(consume('5', 'r-1', '2026-03-20T00:00:00.000Z')).then([]);
    spec([created, subscribed('PRO')], first).given([]).when(consume('6', 'r-1', '2026-03-20T00:00:00.000Z')).thenFails('REQUEST_ID_REUSED');
  });

  test('evolve sums the month exactly in decimals', () => {
    const state = fold(usageDecider, [consumed(consume('0.1', 'a')), consumed(consume('0.2', 'b'))]);
    expect(state.usage.consumed.toFixed(2)).toBe('0.30');
  });
});
