import { TierDefined } from './events';
import { compareTiers, TierVersion } from './tier';
import { Month } from './time';

/** Every tier definition in log order; the catalog in effect for a month is derived from it (C3). */
export type Catalog = ReadonlyArray<TierVersion>;

export const emptyCatalog: Catalog = [];

export const withDefinition = (catalog: Catalog, version: TierVersion): Catalog => [...catalog, version];

/** The tiers offered in `month`: per tier, the latest definition whose `fromMonth` has come. */
export type TiersInEffect = ReadonlyMap<string, TierVersion>;

export const tiersInEffect = (catalog: Catalog, month: Month): TiersInEffect => {
  const offered = new Map<string, TierVersion>();
  for (const v of catalog) {
    if (v.fromMonth > month) continue;
    const current = offered.get(v.tier);
    // A later fromMonth wins; for the same fromMonth, the later definition in the log wins.
    if (current === undefined || v.fromMonth >= current.fromMonth) offered.set(v.tier, v);
  }
  return offered;
};

/** Tier codes in ascending order for the month (C1, C4). */
export const tierOrder = (tiers: TiersInEffect): ReadonlyArray<string> =>
  [...tiers.values()].sort(compareTiers).map((v) => v.tier);

/**
 * A fresh ledger's catalog (section 1), written as ordinary events so that lines can cite them.
 * "In effect from the beginning of time": from the first month a timestamp can name here.
 */
export const GENESIS_MONTH = '1970-01';
const genesisAt = '1970-01-01T00:00:00.000Z';
export const genesisCatalog: ReadonlyArray<TierDefined> = [
  { tier: 'PRO', name: 'Pro', credits: '1000', price: '20.00' },
  { tier: 'PRO_PLUS', name: 'Pro+', credits: '2000', price: '40.00' },
  { tier: 'POWER', name: 'Power', credits: '10000', price: '200.00' },
].map((d) => ({ type: 'TierDefined' as const, data: { ...d, fromMonth: GENESIS_MONTH, occurredAt: genesisAt } }));
