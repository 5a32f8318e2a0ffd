import { TiersInEffect } from './catalog';
import { Dec, max } from './money';
import { compareTiers, higherTier, TierVersion } from './tier';

/**
 * What a user's month has been billed at so far (L1, L2) and the allowance that follows (K1). The
 * one fold of a user's month (domain/userMonth) steps it through the month's holdings, for the
 * decider (may this consumption be accepted?) and the statement (how much is overage?) alike.
 */
export interface Billing {
  /** The tier of the month's latest CHARGE: the highest effective tier so far, in C4 order. */
  readonly tier: TierVersion;
  /** K1: the largest credits of any tier the month has been billed at so far. */
  readonly allowance: Dec;
}

/** P3: the highest of the tiers held, in the month's C4 order; undefined when none of them is offered. */
export const effectiveTier = (held: Iterable<string>, tiers: TiersInEffect): TierVersion | undefined => {
  let best: TierVersion | undefined;
  for (const code of held) {
    const v = tiers.get(code);
    if (v !== undefined) best = best === undefined ? v : higherTier(best, v);
  }
  return best;
};

/**
 * The month's billing once the user's effective tier is `effective`: the month's first holding is
 * billed (L1), a rise above the tier billed so far is billed (L2), anything else is not, and the
 * same object comes back. The allowance only ever grows (K1): C4 ranks by price, so a tier ranked
 * higher can carry fewer credits than one billed before it.
 */
export const billAt = (soFar: Billing | undefined, effective: TierVersion | undefined): Billing | undefined => {
  if (effective === undefined || (soFar !== undefined && compareTiers(effective, soFar.tier) <= 0)) return soFar;
  return { tier: effective, allowance: soFar === undefined ? effective.credits : max(soFar.allowance, effective.credits) };
};
