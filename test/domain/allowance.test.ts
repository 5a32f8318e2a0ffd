import { billAt, billingAfter } from '../../src/domain/allowance';
import { tiersInEffect } from '../../src/domain/catalog';
import { catalogWith, tierDefined } from '../support/fixtures';

/** C4 ranks by price: PRO_MAX (100.00) is above PRO_PLUS (40.00) but carries 500 credits against 2,000. */
const tiers = tiersInEffect(catalogWith(tierDefined('PRO_MAX', '100.00', '500', '2026-01', '2025-12-01T00:00:00.000Z')), '2026-04');
const allowance = (...holdings: ReadonlyArray<ReadonlyArray<string>>) => billingAfter(holdings, tiers)?.allowance.toFixed(2);
const billedTier = (...holdings: ReadonlyArray<ReadonlyArray<string>>) => billingAfter(holdings, tiers)?.tier.tier;

describe('K1: what the month is billed at so far, and its allowance', () => {
  test('nothing held, nothing billed', () => {
    expect(billingAfter([], tiers)).toBeUndefined();
    expect(billingAfter([[], []], tiers)).toBeUndefined();
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
