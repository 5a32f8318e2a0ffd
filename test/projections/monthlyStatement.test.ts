import { ProfileEvent, Recorded } from '../../src/domain/events';
import { InvariantViolation } from '../../src/domain/invariant';
import { Dec } from '../../src/domain/money';
import { profileInfoOf } from '../../src/domain/registryDecider';
import { monthlyStatement, StatementInput } from '../../src/projections/monthlyStatement';
import { assertStatementInvariants } from '../../src/projections/statementInvariants';
import { Statement } from '../../src/projections/statementTypes';
import { UsageOfMonth } from '../../src/projections/usageOfMonth';
import { catalogWith, profileCreated, tierDefined } from '../support/fixtures';

/** C4 ranks by price: PRO_MAX is above PRO but carries half its credits. */
const catalog = catalogWith(tierDefined('PRO_MAX', '100.00', '500', '2026-01', '2025-12-01T00:00:00.000Z'));
const LIFECYCLE = 'profile/p-1/lifecycle';

/** The profile's lifecycle as recorded: stream positions in order. */
const recorded = (events: ReadonlyArray<ProfileEvent>): ReadonlyArray<Recorded<ProfileEvent>> =>
  events.map((event, position) => ({ ref: { streamId: LIFECYCLE, position, eventId: `e-${position}`, type: event.type }, globalPosition: 100 + position, event }));

const user = (userId: string) => ({ profileId: 'p-1', userId, groupId: null });
const subscribed = (userId: string, tier: string, occurredAt: string): ProfileEvent => ({ type: 'UserSubscribed', data: { ...user(userId), tier, occurredAt } });
const upgraded = (userId: string, fromTier: string, tier: string, occurredAt: string): ProfileEvent => ({
  type: 'SubscriptionUpgraded',
  data: { ...user(userId), fromTier, tier, occurredAt },
});

/** `count` consumptions in the user's usage stream, `credits` in all. */
const used = (userId: string, credits: string, count: number): readonly [string, UsageOfMonth] => [
  userId,
  { credits: new Dec(credits), count, lastAt: '2026-04-20T00:00:00.000Z', ranges: [{ streamId: `profile/p-1/usage/${userId}/2026-04`, fromPosition: 0, toPosition: count - 1, count }] },
];

const statementOf = (events: ReadonlyArray<ProfileEvent>, usage: ReadonlyArray<readonly [string, UsageOfMonth]> = []): Statement => {
  const input: StatementInput = {
    profile: profileInfoOf(profileCreated('p-1', '2026-01-01T00:00:00.000Z')),
    catalog,
    lifecycle: recorded(events),
    usage: new Map(usage),
    credits: [],
    month: '2026-04',
    now: '2026-05-15T00:00:00.000Z',
  };
  return monthlyStatement(input);
};

const violation = (rule: string) => expect.objectContaining({ name: 'InvariantViolation', rule });

describe('the monthly statement', () => {
  test('K1 (issue 9, problem 8): after an upgrade to a tier with fewer credits, the allowance stays the larger one', () => {
    const s = statementOf([subscribed('alice', 'PRO', '2026-03-02T00:00:00.000Z'), upgraded('alice', 'PRO', 'PRO_MAX', '2026-04-10T00:00:00.000Z')], [used('alice', '900', 3)]);
    const alice = s.users[0];
    expect(alice).toMatchObject({ billedTier: 'PRO_MAX', creditsIncluded: '1000.00', creditsUsed: '900.00', overageCredits: '0.00', total: '100.00' });
    expect(alice?.lines.map((l) => [l.kind, l.tier, l.amount])).toEqual([
      ['CHARGE', 'PRO', '20.00'],
      ['REFUND', 'PRO', '-20.00'],
      ['CHARGE', 'PRO_MAX', '100.00'],
    ]);
  });

  test('K1: a user subscribed straight to PRO_MAX has its 500 credits, and past them an OVERAGE line citing ranges', () => {
    const s = statementOf([subscribed('bob', 'PRO_MAX', '2026-04-02T00:00:00.000Z')], [used('bob', '600.5', 7)]);
    const overage = s.users[0]?.lines.at(-1);
    expect(s.users[0]).toMatchObject({ creditsIncluded: '500.00', overageCredits: '100.50', total: '104.02' });
    expect(overage).toMatchObject({ kind: 'OVERAGE', tier: 'PRO_MAX', amount: '4.02', at: '2026-04-20T00:00:00.000Z', events: [] });
    expect(overage?.usage).toEqual([{ streamId: 'profile/p-1/usage/bob/2026-04', fromPosition: 0, toPosition: 6, count: 7 }]);
  });

  test('L6: a consumption the fold cannot place (its user billed nothing in the month) is thrown, not dropped', () => {
    expect(() => statementOf([subscribed('alice', 'PRO', '2026-04-02T00:00:00.000Z')], [used('alice', '1', 1), used('mallory', '500', 1)])).toThrow(violation('L6'));
    expect(() => statementOf([], [used('mallory', '1', 1)])).toThrow(/user mallory consumed 1\.00 credits in 1 events but is billed nothing/);
  });

  test('a lifecycle event dated before the one ahead of it cannot be placed either (T2)', () => {
    expect(() => statementOf([subscribed('alice', 'PRO', '2026-04-02T00:00:00.000Z'), subscribed('bob', 'PRO', '2026-03-30T00:00:00.000Z')])).toThrow(InvariantViolation);
  });

  test('events dated after the month do not count (T3)', () => {
    const s = statementOf([subscribed('alice', 'PRO', '2026-04-02T00:00:00.000Z'), subscribed('bob', 'PRO', '2026-05-01T00:00:00.000Z')]);
    expect(s.users.map((u) => u.userId)).toEqual(['alice']);
  });
});

describe('the invariants checked after the fold', () => {
  const good = () => statementOf([subscribed('bob', 'PRO_MAX', '2026-04-02T00:00:00.000Z')], [used('bob', '600.5', 7)]);
  const usage = new Map([used('bob', '600.5', 7)]);

  test('hold for a statement the fold made', () => expect(() => assertStatementInvariants(good(), usage)).not.toThrow());

  test('L5: a total that is not the sum of its users, or a user total not the sum of its lines, is thrown', () => {
    const s = good();
    expect(() => assertStatementInvariants({ ...s, total: '104.03' }, usage)).toThrow(violation('L5'));
    const [bob] = s.users;
    if (bob === undefined) throw new Error('no bob');
    const [first, ...rest] = bob.lines;
    if (first === undefined) throw new Error('no line');
    expect(() => assertStatementInvariants({ ...s, users: [{ ...bob, lines: [{ ...first, amount: '99.99' }, ...rest] }] }, usage)).toThrow(violation('L5'));
  });

  test('L6: creditsUsed that differ from the consumption, or ranges that miss an event, are thrown', () => {
    const s = good();
    const [bob] = s.users;
    if (bob === undefined) throw new Error('no bob');
    expect(() => assertStatementInvariants({ ...s, users: [{ ...bob, creditsUsed: '600.00' }] }, usage)).toThrow(violation('L6'));
    const short = bob.lines.map((l) => (l.kind === 'OVERAGE' ? { ...l, usage: [{ streamId: 'x', fromPosition: 0, toPosition: 5, count: 6 }] } : l));
    expect(() => assertStatementInvariants({ ...s, users: [{ ...bob, lines: short }] }, usage)).toThrow(violation('L6'));
    const gappy = bob.lines.map((l) => (l.kind === 'OVERAGE' ? { ...l, usage: [{ streamId: 'x', fromPosition: 0, toPosition: 9, count: 7 }] } : l));
    expect(() => assertStatementInvariants({ ...s, users: [{ ...bob, lines: gappy }] }, usage)).toThrow(violation('L4'));
  });
});
