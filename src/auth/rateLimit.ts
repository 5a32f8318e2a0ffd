/**
 * A token bucket per API token: a pure core (`take`) over explicit time, and a small shell that keeps
 * the buckets and reads the clock. Buckets live in the process: two servers each allow the full rate.
 */

export interface RateLimit {
  /** Tokens added per second: the sustained rate. */
  readonly perSecond: number;
  /** Bucket size: the most requests accepted at once after a quiet spell. */
  readonly burst: number;
}

export const DEFAULT_RATE = 200;

/** A token created with `--rate N` may burst to twice N. */
export const rateLimitOf = (perSecond: number): RateLimit => ({ perSecond, burst: 2 * perSecond });

export interface Bucket {
  readonly tokens: number;
  /** Epoch milliseconds of the last refill. */
  readonly at: number;
}

export type Taken =
  | { readonly allowed: true; readonly bucket: Bucket }
  | { readonly allowed: false; readonly bucket: Bucket; readonly retryAfterSeconds: number };

/** Refills for the time elapsed (never negative: a clock set back refills nothing), then takes one. */
export const take = (bucket: Bucket | undefined, limit: RateLimit, now: number): Taken => {
  const elapsed = bucket === undefined ? 0 : Math.max(0, now - bucket.at);
  const tokens = bucket === undefined ? limit.burst : Math.min(limit.burst, bucket.tokens + (elapsed * limit.perSecond) / 1000);
  if (tokens >= 1) return { allowed: true, bucket: { tokens: tokens - 1, at: now } };
  return { allowed: false, bucket: { tokens, at: now }, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / limit.perSecond)) };
};

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly clock: () => number = Date.now) {}

  take(key: string, limit: RateLimit): Taken {
    const taken = take(this.buckets.get(key), limit, this.clock());
    this.buckets.set(key, taken.bucket);
    return taken;
  }
}
