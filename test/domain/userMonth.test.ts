import * as E from 'fp-ts/Either';
import { ProfileEvent } from '../../src/domain/events';
import { InvariantViolation } from '../../src/domain/invariant';
import { evolveProfile, initialProfileState } from '../../src/domain/profileDecider';
import { usageDecider } from '../../src/domain/usageDecider';
import { issued } from '../../src/domain/decider';
import { Change, evolveUser, UserHistory, monthFacts, userMonthIn, userMonthOf } from '../../src/domain/userMonth';
import { tiersInEffect } from '../../src/domain/catalog';
import { genesis, profileCreated } from '../support/fixtures';

const at = (instant: string) => ({ profileId: 'p-1', groupId: null, occurredAt: instant });
const subscribe = (userId: string, tier: string, instant: string): ProfileEvent => ({ type: 'UserSubscribed', data: { ...at(instant), userId, tier } });
const unsubscribe = (userId: string, tier: string, instant: string): ProfileEvent => ({ type: 'UserUnsubscribed', data: { ...at(instant), userId, tier } });
const downgrade = (userId: string, fromTier: string, tier: string, instant: string): ProfileEvent => ({
  type: 'SubscriptionDowngraded',
  data: { ...at(instant), userId, fromTier, tier },
});
const change = (event: ProfileEvent): Change => {
  if (event.type === 'OverageSet') throw new Error('not a subscription event');
  return { event };
};

/** Issue 16, problem 1: Apr 30 23:58, bob's subscribe dated May 1 00:02 is already in the log. */
const lifecycle: ReadonlyArray<ProfileEvent> = [
  subscribe('alice', 'POWER', '2026-04-01T00:00:00.000Z'),
  subscribe('carol', 'PRO', '2026-04-01T00:00:00.000Z'),
  downgrade('alice', 'POWER', 'PRO', '2026-04-20T00:00:00.000Z'),
  unsubscribe('carol', 'PRO', '2026-04-21T00:00:00.000Z'),
  subscribe('bob', 'PRO', '2026-05-01T00:02:00.000Z'),
];
const april = tiersInEffect(genesis, '2026-04');

describe('the one fold of a user month (domain/userMonth)', () => {
  test('problem 1: April is decided on April events only, with May events already in the log', () => {
    const state = [profileCreated('p-1', '2026-03-01T00:00:00.000Z'), ...lifecycle].reduce(evolveProfile, initialProfileState);
    const consume = (userId: string) => ({ type: 'ConsumeCredits' as const, profileId: 'p-1', userId, credits: '1000', requestId: `r-${userId}`, occurredAt: '2026-04-30T23:58:00.000Z' });
    const read = { ...usageDecider.initialState, catalog: genesis, lifecycle: state };
    const now = '2026-04-30T23:58:00.000Z';
    // M4, K1: alice keeps Power's 10,000 credits until April ends; M2, K5: carol consumes until it ends.
    expect(E.isRight(usageDecider.decide(issued(consume('alice'), now), read))).toBe(true);
    expect(E.isRight(usageDecider.decide(issued(consume('carol'), now), read))).toBe(true);
    expect(monthFacts(userMonthOf(lifecycle.map(change), 'alice', '2026-04'), april).allowance.toFixed(2)).toBe('10000.00');
    expect(monthFacts(userMonthOf(lifecycle.map(change), 'alice', '2026-05'), april).allowance.toFixed(2)).toBe('1000.00');
  });

  test('carried in, every change in time order, billed tier so far, allowance and holdings', () => {
    const um = userMonthOf(lifecycle.map(change), 'alice', '2026-04');
    expect([...um.carriedIn.values()]).toEqual([]);
    expect(um.steps.map((s) => s.change.event.type)).toEqual(['UserSubscribed', 'SubscriptionDowngraded']);
    const facts = monthFacts(um, april);
    expect([facts.billing?.tier.tier, facts.holds]).toEqual(['POWER', true]);
    const may = userMonthOf(lifecycle.map(change), 'carol', '2026-05');
    expect([may.carriedIn.size, may.steps.length, monthFacts(may, april).holds]).toEqual([0, 0, false]);
  });

  test('a change dated in a month the history has left fails loudly (T2)', () => {
    const history = [subscribe('alice', 'POWER', '2026-04-01T00:00:00.000Z'), downgrade('alice', 'POWER', 'PRO', '2026-05-02T00:00:00.000Z')]
      .map(change)
      .reduce<UserHistory | undefined>(evolveUser, undefined);
    expect(() => evolveUser(history, change(unsubscribe('alice', 'PRO', '2026-04-25T00:00:00.000Z')))).toThrow(InvariantViolation);
  });

  test('asked about a month before the two it keeps, the history fails loudly instead of answering with a later one', () => {
    const history = [
      subscribe('alice', 'POWER', '2026-03-01T00:00:00.000Z'),
      downgrade('alice', 'POWER', 'PRO_PLUS', '2026-04-02T00:00:00.000Z'),
      downgrade('alice', 'PRO_PLUS', 'PRO', '2026-05-02T00:00:00.000Z'),
    ]
      .map(change)
      .reduce<UserHistory | undefined>(evolveUser, undefined);
    expect(userMonthIn(history, '2026-04').steps).toHaveLength(1);
    expect(userMonthIn(history, '2026-06').carriedIn.get('')?.tier).toBe('PRO');
    expect(() => userMonthIn(history, '2026-03')).toThrow(InvariantViolation);
  });
});
