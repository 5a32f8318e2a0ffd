import { billAt } from '../../src/domain/allowance';
import { tiersInEffect } from '../../src/domain/catalog';
import { Change, evolveUser, monthFacts, UserHistory, userMonthIn } from '../../src/domain/userMonth';
import { catalogWith, tierDefined } from '../support/fixtures';

/** C4 ranks by price: PRO_MAX (100.00) is above PRO_PLUS (40.00) but carries 500 credits against 2,000. */
const tiers = tiersInEffect(catalogWith(tierDefined('PRO_MAX', '100.00', '500', '2026-01', '2025-12-01T00:00:00.000Z')), '2026-04');
/**
 * The month's billing, through the one fold of a user's month, after the user held these sets of
 * tiers one after another (one group per tier): the first carried in from March, then each in April.
 */
const billingAfter = (...holdings: ReadonlyArray<ReadonlyArray<string>>) => {
  let history: UserHistory | undefined;
  let held = new Map<string, string>();
  holdings.forEach((next, i) => {
    const occurredAt = i === 0 ? '2026-03-31T00:00:00.000Z' : `2026-04-${String(i).padStart(2, '0')}T00:00:00.000Z`;
    const changes: Change[] = [];
    const data = { profileId: 'p-1', userId: 'alice', occurredAt };
    for (const [groupId, tier] of held) if (!next.includes(tier)) changes.push({ event: { type: 'UserUnsubscribed', data: { ...data, groupId, tier } } });
    for (const tier of next) if (held.get(tier) === undefined) changes.push({ event: { type: 'UserSubscribed', data: { ...data, groupId: tier, tier } } });
    held = new Map(next.map((t) => [t, t]));
    // Removals first: the sets between two holdings are subsets of both, so they bill nothing of their own.
    history = changes.reduce(evolveUser, history);
  });
  return monthFacts(userMonthIn(history, '2026-04'), tiers).billing;
};
const allowance = (...holdings: ReadonlyArray<ReadonlyArray<string>>) => billingAfter(...holdings)?.allowance.toFixed(2);
const billedTier = (...holdings: ReadonlyArray<ReadonlyArray<string>>) => billingAfter(...holdings)?.tier.tier;

describe('K1: what the month is billed at so far, and its allowance', () => {
  test('nothing held, nothing billed', () => {
    expect(billingAfter()).toBeUndefined();
    expect(billingAfter([], [])).toBeUndefined();
  });

  test('a rise to a tier with more credits raises the allowance', () => {
    expect(allowance(['PRO'], ['PRO_PLUS'])).toBe('2000.00');
    expect(billedTier(['PRO'], ['PRO_PLUS'])).toBe('PRO_PLUS');
  });

  test('a rise to a tier ranked higher with fewer credits keeps the larger allowance (issue 9, problem 8)', () => {
    expect(allowance(['PRO_PLUS'], ['PRO_MAX'])).toBe('2000.00');
    expect(billedTier(['PRO_PLUS'], ['PRO_MAX'])).toBe('PRO_MAX');
  });

  test('a fall, and a rise back, change neither the billing nor the allowance (M4, M7)', () => {
    expect(allowance(['POWER'], ['PRO'], ['POWER'], [])).toBe('10000.00');
    expect(billedTier(['POWER'], ['PRO'])).toBe('POWER');
  });

  test('a tier held below a higher-ranked one is never billed, so it adds no credits', () => {
    expect(allowance(['PRO_MAX'], ['PRO_MAX', 'PRO_PLUS'])).toBe('500.00');
    // Even once it becomes the effective tier: that is a fall, which bills nothing.
    expect(allowance(['PRO_MAX'], ['PRO_MAX', 'PRO_PLUS'], ['PRO_PLUS'])).toBe('500.00');
  });

  test('a tier not offered in the month counts for nothing', () => expect(allowance(['GONE'], ['PRO'])).toBe('1000.00'));

  test('billAt hands back the same billing when nothing is billed anew, so callers can tell', () => {
    const pro = tiers.get('PRO');
    const power = tiers.get('POWER');
    const first = billAt(undefined, power);
    expect(billAt(first, pro)).toBe(first);
    expect(billAt(first, undefined)).toBe(first);
    expect(billAt(first, power)).toBe(first);
  });
});
