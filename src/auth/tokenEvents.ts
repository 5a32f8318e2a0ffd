import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { AccountId, Identifier, IDENTIFIER, Instant, pattern } from '../domain/fields';
import { decode } from '../domain/validation';

/**
 * The events of the `meta/tokens` stream, as stored: only a token's SHA-256 digest is ever written,
 * never the token. Decoded with these codecs when read, like the ledger's own events.
 */

/** Actors the shell writes as itself; no token takes their name, so an event's actor names one sender. */
export const RESERVED_ACTORS: ReadonlyArray<string> = ['api', 'cli', 'local', 'seed', 'simulate', 'system'];

export const TokenName = pattern(`${Identifier.name}, other than ${RESERVED_ACTORS.join(', ')}`, IDENTIFIER, (s) => !RESERVED_ACTORS.includes(s));

export const Role = t.keyof({ reader: null, operator: null, admin: null }, 'one of reader, operator, admin');
export type Role = t.TypeOf<typeof Role>;

/** `all`, or the accounts a token may act on. */
export const Accounts = t.union([t.literal('all'), t.readonlyArray(AccountId)], 'all, or a list of 12-digit AWS account ids');
export type Accounts = t.TypeOf<typeof Accounts>;

export const MAX_RATE = 100_000;
/** Sustained requests per second; a token may burst to twice as many (see rateLimit.ts). */
export const RequestsPerSecond = new t.Type<number, number, unknown>(
  `a whole number of requests per second from 1 to ${MAX_RATE}`,
  (u): u is number => Number.isSafeInteger(u) && (u as number) >= 1 && (u as number) <= MAX_RATE,
  (u, c) => (Number.isSafeInteger(u) && (u as number) >= 1 && (u as number) <= MAX_RATE ? t.success(u as number) : t.failure(u, c)),
  t.identity,
);

const Sha256Hex = pattern('a SHA-256 digest in hex', /^[0-9a-f]{64}$/);

export const TokenCreated = t.type(
  {
    type: t.literal('TokenCreated'),
    data: t.type({ name: TokenName, role: Role, accounts: Accounts, hash: Sha256Hex, rate: RequestsPerSecond, createdAt: Instant }),
  },
  'TokenCreated',
);
export const TokenRevoked = t.type({ type: t.literal('TokenRevoked'), data: t.type({ name: TokenName, revokedAt: Instant }) }, 'TokenRevoked');

export type TokenCreated = t.TypeOf<typeof TokenCreated>;
export type TokenRevoked = t.TypeOf<typeof TokenRevoked>;
export type TokenEvent = TokenCreated | TokenRevoked;
export const TokenEvent = t.union([TokenCreated, TokenRevoked]);

export const TOKEN_SCHEMA_VERSION = 1;

/** A stored event that does not decode is corruption: it stops the read rather than being skipped. */
export const decodeTokenEvent = (e: { streamId: string; position: number; type: string; data: unknown; metadata: { schemaVersion: number } }): TokenEvent => {
  if (e.metadata.schemaVersion !== TOKEN_SCHEMA_VERSION) throw new Error(`${e.streamId}@${e.position}: schema version ${e.metadata.schemaVersion} is not known`);
  const decoded = decode(TokenEvent, { type: e.type, data: e.data });
  if (E.isLeft(decoded)) throw new Error(`${e.streamId}@${e.position} (${e.type}): ${decoded.left.message}`);
  return decoded.right;
};
