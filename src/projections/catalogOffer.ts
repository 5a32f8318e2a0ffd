import { Catalog, tierOrder, tiersInEffect } from '../domain/catalog';
import { EventRef } from '../domain/events';
import { Month } from '../domain/time';

/** `GET /v1/catalog`: the tiers offered in a month, in C4 order, each citing the TierDefined event it comes from. */
export interface CatalogOffer {
  readonly month: Month;
  readonly currency: 'USD';
  readonly tiers: ReadonlyArray<{
    readonly tier: string;
    readonly name: string;
    readonly credits: string;
    readonly price: string;
    readonly fromMonth: Month;
    readonly event: EventRef;
  }>;
}

export const catalogOffer = (catalog: Catalog, month: Month): CatalogOffer => {
  const offered = tiersInEffect(catalog, month);
  return {
    month,
    currency: 'USD',
    tiers: tierOrder(offered).map((tier) => {
      const v = offered.get(tier);
      // The read model's catalog is built from events only, so every version has its place in the log.
      if (v?.ref === undefined) throw new Error(`catalog: tier ${tier} has no TierDefined event behind it`);
      return { tier, name: v.name, credits: v.credits.toFixed(2), price: v.price.toFixed(2), fromMonth: v.fromMonth, event: v.ref };
    }),
  };
};
