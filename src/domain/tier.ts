import { Dec } from './money';
import { EventRef, TierDefined } from './events';
import { Month } from './time';

/** A tier as priced for some months: one `TierDefined` event, with its place in the log when known. */
export interface TierVersion {
  readonly tier: string;
  readonly name: string;
  readonly credits: Dec;
  readonly price: Dec;
  readonly fromMonth: Month;
  /** When it was defined: the catalog is ordered in time like a profile. */
  readonly definedAt: string;
  readonly ref?: EventRef;
}

export const tierVersionOf = (e: TierDefined, ref?: EventRef): TierVersion => ({
  tier: e.data.tier,
  name: e.data.name,
  credits: new Dec(e.data.credits),
  price: new Dec(e.data.price),
  fromMonth: e.data.fromMonth,
  definedAt: e.data.occurredAt,
  ...(ref === undefined ? {} : { ref }),
});

/** C2: one overage price for every tier, in USD per credit. */
export const OVERAGE_PRICE_PER_CREDIT = new Dec('0.04');

/** C4: higher price is higher; ties by credits, then by code so that the order is total. */
export const compareTiers = (a: TierVersion, b: TierVersion): number => {
  const byPrice = a.price.comparedTo(b.price);
  if (byPrice !== 0) return byPrice;
  const byCredits = a.credits.comparedTo(b.credits);
  if (byCredits !== 0) return byCredits;
  return a.tier < b.tier ? -1 : a.tier > b.tier ? 1 : 0;
};

export const higherTier = (a: TierVersion, b: TierVersion): TierVersion => (compareTiers(a, b) >= 0 ? a : b);
