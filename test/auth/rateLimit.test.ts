import { RateLimiter, rateLimitOf, take } from '../../src/auth/rateLimit';

describe('token bucket', () => {
  const limit = rateLimitOf(10); // 10/s, burst 20

  test('a fresh bucket allows the burst at once, then refuses', () => {
    let bucket;
    for (let i = 0; i < 20; i++) {
      const r = take(bucket, limit, 0);
      expect(r.allowed).toBe(true);
      bucket = r.bucket;
    }
    expect(take(bucket, limit, 0)).toEqual({ allowed: false, bucket: { tokens: 0, at: 0 }, retryAfterSeconds: 1 });
  });

  test('refills at the sustained rate: one request per 100 ms at 10/s', () => {
    const empty = { tokens: 0, at: 1000 };
    expect(take(empty, limit, 1099).allowed).toBe(false);
    expect(take(empty, limit, 1100).allowed).toBe(true);
    expect(take(empty, limit, 1350)).toEqual({ allowed: true, bucket: { tokens: 2.5, at: 1350 } });
  });

  test('never refills past the burst', () => {
    expect(take({ tokens: 0, at: 0 }, limit, 3_600_000).bucket.tokens).toBe(19);
  });

  test('Retry-After is the whole seconds until one token is back', () => {
    const slow = rateLimitOf(1); // one request a second, burst 2
    expect(take({ tokens: 0, at: 0 }, slow, 0)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    const veryFew = { perSecond: 0.25, burst: 1 };
    expect(take({ tokens: 0, at: 0 }, veryFew, 1000)).toMatchObject({ allowed: false, retryAfterSeconds: 3 });
  });

  test('a clock set back refills nothing', () => {
    expect(take({ tokens: 0.5, at: 5000 }, limit, 1000)).toMatchObject({ allowed: false, bucket: { tokens: 0.5, at: 1000 } });
  });
});

describe('RateLimiter', () => {
  test('keeps one bucket per key, on the clock it is given', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    const limit = rateLimitOf(1);
    expect([1, 2, 3].map(() => limiter.take('a', limit).allowed)).toEqual([true, true, false]);
    expect(limiter.take('b', limit).allowed).toBe(true);
    now = 1000;
    expect(limiter.take('a', limit).allowed).toBe(true);
    expect(limiter.take('a', limit).allowed).toBe(false);
  });
});
