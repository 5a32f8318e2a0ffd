import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Recognisable in logs and by secret scanners, and tells a token from a password at a glance. */
const TOKEN_PREFIX = 'ldg_';
const TOKEN_BYTES = 32;
/** 32 bytes are 43 base64url characters, without padding. */
const TOKEN_FORMAT = /^ldg_[A-Za-z0-9_-]{43}$/;

export const newToken = (): string => `${TOKEN_PREFIX}${randomBytes(TOKEN_BYTES).toString('base64url')}`;

export const isTokenShaped = (s: string): boolean => TOKEN_FORMAT.test(s);

/**
 * A plain SHA-256 suffices, with no salt or slow hash: a token holds 256 random bits, so there is no
 * dictionary to precompute and nothing to gain from slowing down a guess.
 */
export const digestOf = (token: string): Buffer => createHash('sha256').update(token).digest();

export const hashToken = (token: string): string => digestOf(token).toString('hex');

/** Constant-time, so that response times tell nothing about how close a guess came. */
export const hashMatches = (hash: string, digest: Buffer): boolean => {
  const stored = Buffer.from(hash, 'hex');
  return stored.length === digest.length && timingSafeEqual(stored, digest);
};
