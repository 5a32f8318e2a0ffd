import Decimal from 'decimal.js';

/**
 * All money and credits are decimal.js values; a JS number never holds an amount.
 * Half-up is the rounding the billing rules name (K6), so the constructor is configured for it.
 */
export const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
export type Dec = Decimal;

export const ZERO: Dec = new Dec(0);

/** Exactly two places, half-up: the one place amounts are rounded (L5, K6). */
export const toCents = (d: Dec): Dec => d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);

/** The wire form of amounts and credits: a string with exactly 2 decimal places. */
export const format2 = (d: Dec): string => toCents(d).toFixed(2);

export const sum = (values: ReadonlyArray<Dec>): Dec => values.reduce((a, b) => a.plus(b), ZERO);

export const max = (a: Dec, b: Dec): Dec => (a.greaterThan(b) ? a : b);

/**
 * An amount in the wire form (exactly 2 places) as integer cents, exact; undefined for any other
 * form. For checks that sum thousands of amounts, where a Decimal per amount would dominate.
 */
export const centsOf = (text: string): bigint | undefined => (/^-?[0-9]+\.[0-9]{2}$/.test(text) ? BigInt(text.replace('.', '')) : undefined);
