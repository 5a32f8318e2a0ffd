import { catalogDecider, evolveCatalog } from '../../src/domain/catalogDecider';
import { tiersInEffect } from '../../src/domain/catalog';
import { issuedSpec } from '../support/deciderSpecification';
import { genesis, tierDefined } from '../support/fixtures';

const spec = issuedSpec(catalogDecider, '2026-03-31T23:54:59.000Z');
const define = (fromMonth: string, occurredAt: string) =>
  ({ type: 'DefineTier', tier: 'PRO_MAX', name: 'Pro Max', credits: '5000', price: '100.00', fromMonth, occurredAt }) as const;

describe('catalog decider (C3)', () => {
  test('DefineTier from a later month is recorded', () =>
    spec
      .given([])
      .when(define('2026-04', '2026-03-31T23:54:59.000Z'))
      .then([{ type: 'TierDefined', data: { tier: 'PRO_MAX', name: 'Pro Max', credits: '5000', price: '100.00', fromMonth: '2026-04', occurredAt: '2026-03-31T23:54:59.000Z' } }]));

  test('DefineTier for the month of the command is PERIOD_STARTED', () =>
    spec.given([]).when(define('2026-03', '2026-03-01T00:00:00.000Z')).thenFails('PERIOD_STARTED', /2026-03 has started/));

  test('DefineTier for an earlier month is PERIOD_STARTED', () =>
    spec.given([]).when(define('2026-02', '2026-03-15T00:00:00.000Z')).thenFails('PERIOD_STARTED'));

  test("C3: the clock's month has started too, whatever the command's date", () =>
    issuedSpec(catalogDecider, '2026-05-02T00:00:00.000Z').given([]).when(define('2026-05', '2026-05-01T00:00:00.000Z')).thenFails('PERIOD_STARTED', /2026-05 has/));

  test("C3, problem 2: in a month's last 5 minutes the next month has started, since commands dated in it may be in the log", () => {
    // Apr 30 23:58: a consumption dated May 1 00:02 may already have been accepted at Pro's price and credits.
    const lead = issuedSpec(catalogDecider, '2026-04-30T23:58:00.000Z');
    lead.given([]).when(define('2026-05', '2026-04-30T23:58:00.000Z')).thenFails('PERIOD_STARTED', /2026-05 has started/);
    lead.given([]).when(define('2026-06', '2026-04-30T23:58:00.000Z')).then([expect.objectContaining({ type: 'TierDefined' })]);
    // Five minutes and one millisecond before May, it has not.
    issuedSpec(catalogDecider, '2026-04-30T23:54:59.999Z').given([]).when(define('2026-05', '2026-04-30T23:54:59.999Z')).then([expect.objectContaining({ type: 'TierDefined' })]);
  });

  test('T5, problem 3: MONTH_CLOSED, then OUT_OF_ORDER, then PERIOD_STARTED, the first that fails is the answer', () => {
    const later = tierDefined('PRO', '25.00', '1000', '2026-06', '2026-04-20T00:00:00.000Z');
    const at = issuedSpec(catalogDecider, '2026-04-25T00:00:00.000Z');
    // Closed, out of order and started all at once: MONTH_CLOSED.
    at.given([later]).when(define('2026-03', '2026-03-10T00:00:00.000Z')).thenFails('MONTH_CLOSED');
    // Out of order and started: OUT_OF_ORDER.
    at.given([later]).when(define('2026-04', '2026-04-10T00:00:00.000Z')).thenFails('OUT_OF_ORDER', /2026-04-20/);
    // Started only.
    at.given([later]).when(define('2026-04', '2026-04-21T00:00:00.000Z')).thenFails('PERIOD_STARTED');
  });

  test('T4: a definition dated in a closed month is MONTH_CLOSED, before PERIOD_STARTED (T5)', () =>
    issuedSpec(catalogDecider, '2026-05-02T00:00:00.000Z').given([]).when(define('2026-02', '2026-01-15T00:00:00.000Z')).thenFails('MONTH_CLOSED', /2026-01/));

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
