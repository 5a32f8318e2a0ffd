import { catalogDecider, evolveCatalog } from '../../src/domain/catalogDecider';
import { tiersInEffect } from '../../src/domain/catalog';
import { deciderSpec } from '../support/deciderSpecification';
import { genesis, tierDefined } from '../support/fixtures';

const spec = deciderSpec(catalogDecider('2026-03-31T23:59:59.000Z'));
const define = (fromMonth: string, occurredAt: string) =>
  ({ type: 'DefineTier', tier: 'PRO_MAX', name: 'Pro Max', credits: '5000', price: '100.00', fromMonth, occurredAt }) as const;

describe('catalog decider (C3)', () => {
  test('DefineTier from a later month is recorded', () =>
    spec
      .given([])
      .when(define('2026-04', '2026-03-31T23:59:59.000Z'))
      .then([{ type: 'TierDefined', data: { tier: 'PRO_MAX', name: 'Pro Max', credits: '5000', price: '100.00', fromMonth: '2026-04', occurredAt: '2026-03-31T23:59:59.000Z' } }]));

  test('DefineTier for the month of the command is PERIOD_STARTED', () =>
    spec.given([]).when(define('2026-03', '2026-03-01T00:00:00.000Z')).thenFails('PERIOD_STARTED', /2026-03 has started/));

  test('DefineTier for an earlier month is PERIOD_STARTED', () =>
    spec.given([]).when(define('2026-02', '2026-03-15T00:00:00.000Z')).thenFails('PERIOD_STARTED'));

  test("C3: the clock's month has started too, whatever the command's date", () =>
    deciderSpec(catalogDecider('2026-05-02T00:00:00.000Z')).given([]).when(define('2026-05', '2026-05-01T00:00:00.000Z')).thenFails('PERIOD_STARTED', /clock is in 2026-05/));

  test('T4: a definition dated in a closed month is MONTH_CLOSED, before PERIOD_STARTED (T5)', () =>
    deciderSpec(catalogDecider('2026-05-02T00:00:00.000Z')).given([]).when(define('2026-02', '2026-01-15T00:00:00.000Z')).thenFails('MONTH_CLOSED', /2026-01/));

  test('the catalog is ordered in time: a definition dated before the latest one is OUT_OF_ORDER', () =>
    spec
      .given([tierDefined('PRO', '25.00', '1000', '2026-06', '2026-03-20T00:00:00.000Z')])
      .when(define('2026-05', '2026-03-19T00:00:00.000Z'))
      .thenFails('OUT_OF_ORDER', /2026-03-20/));
});

describe('catalog in effect (C3, C4)', () => {
  const catalog = evolveCatalog(genesis, tierDefined('PRO', '25.00', '1000', '2026-05', '2026-03-15T00:00:00.000Z'));

  test('a price change applies from its month on, not before', () => {
    expect(tiersInEffect(catalog, '2026-04').get('PRO')?.price.toFixed(2)).toBe('20.00');
    expect(tiersInEffect(catalog, '2026-05').get('PRO')?.price.toFixed(2)).toBe('25.00');
    expect(tiersInEffect(catalog, '2027-01').get('PRO')?.price.toFixed(2)).toBe('25.00');
  });

  test('a tier is not offered before its first month', () => {
    const withMax = evolveCatalog(catalog, tierDefined('PRO_MAX', '100.00', '5000', '2026-04', '2026-03-16T00:00:00.000Z'));
    expect(tiersInEffect(withMax, '2026-03').has('PRO_MAX')).toBe(false);
    expect(tiersInEffect(withMax, '2026-04').has('PRO_MAX')).toBe(true);
  });

  test('for the same month the later definition wins', () => {
    const twice = [tierDefined('PRO', '30.00', '1000', '2026-06', '2026-03-15T00:00:00.000Z'), tierDefined('PRO', '35.00', '1000', '2026-06', '2026-03-16T00:00:00.000Z')].reduce(evolveCatalog, genesis);
    expect(tiersInEffect(twice, '2026-06').get('PRO')?.price.toFixed(2)).toBe('35.00');
  });
});
