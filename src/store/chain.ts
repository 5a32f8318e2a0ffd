import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';

/**
 * The log's hash chain (billing-rules F1): every event's `chainHash` is
 * SHA-256(previous chainHash ‖ RFC 8785 JSON of the event as stored), the first event's previous
 * being 32 zero bytes. RFC 8785 by the `canonicalize` package (its author is one of the RFC's);
 * test/store/chain.test.ts holds it to the RFC's own examples.
 */

/** The name stored beside every hash, so that the algorithm can change one day without rewriting the log. */
export const CHAIN_ALGORITHM = 'sha256-jcs';

/** The previous hash of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** The log's head: its last event and that event's hash (`{-1, GENESIS_HASH}` for an empty log). */
export interface LogHead {
  readonly position: number;
  readonly chainHash: string;
}

export const EMPTY_HEAD: LogHead = { position: -1, chainHash: GENESIS_HASH };

/** What the chain covers of an event: F1's fields, as stored. */
export interface ChainedFields {
  readonly globalPosition: number;
  readonly streamId: string;
  /** The event's revision within its stream. */
  readonly position: number;
  readonly eventId: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
}

/**
 * The domain's instant of an event, `data.occurredAt` (what the API serves as `occurredAt`); null
 * for data that has none. The store knows no billing, but this field is in F1's list.
 */
const occurredAtOf = (data: unknown): string | null => {
  const value = typeof data === 'object' && data !== null ? (data as { occurredAt?: unknown }).occurredAt : undefined;
  return typeof value === 'string' ? value : null;
};

/** RFC 8785 JSON of a JSON value. */
export const canonicalJson = (value: unknown): string => {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('a value with no JSON form cannot be chained');
  return text;
};

/**
 * The RFC 8785 JSON of an event's F1 fields `{globalPosition, streamId, streamPosition, eventId,
 * type, occurredAt, data, metadata}`, in three pieces around the two positions, for a store that
 * learns the positions only inside its database (PostgreSQL): `head + globalPosition + middle +
 * streamPosition + tail`. JCS sorts the keys (data, eventId, globalPosition, metadata, occurredAt,
 * streamId, streamPosition, type) and writes a safe integer as its decimal digits, which is what
 * SQL's `::text` writes; test/store/chain.test.ts checks it against the library on the whole object.
 */
export const canonicalPieces = (e: Omit<ChainedFields, 'globalPosition' | 'position'>): readonly [string, string, string] => [
  `{"data":${canonicalJson(e.data ?? null)},"eventId":${canonicalJson(e.eventId)},"globalPosition":`,
  `,"metadata":${canonicalJson(e.metadata)},"occurredAt":${canonicalJson(occurredAtOf(e.data))},"streamId":${canonicalJson(e.streamId)},"streamPosition":`,
  `,"type":${canonicalJson(e.type)}}`,
];

/** The RFC 8785 JSON of an event's F1 fields. */
export const canonicalEvent = (e: ChainedFields): string => {
  const [head, middle, tail] = canonicalPieces(e);
  return `${head}${e.globalPosition}${middle}${e.position}${tail}`;
};

/** The chain hash of an event, given the hash of the one before it (lowercase hex). */
export const chainHash = (previous: string, e: ChainedFields): string =>
  createHash('sha256').update(Buffer.from(previous, 'hex')).update(canonicalEvent(e), 'utf8').digest('hex');

/** Hashes `events` (in global order) after `previous`, answering each one's hash. */
export const chainAfter = (previous: string, events: ReadonlyArray<ChainedFields>): string[] => {
  let hash = previous;
  return events.map((e) => (hash = chainHash(hash, e)));
};

/** `POSITION:HASH`, as `ledger verify --trusted` takes a kept head. */
export const formatHead = (head: LogHead): string => `${head.position}:${head.chainHash}`;

/**
 * The record a migration leaves when it chains a log written before the chain existed (F4): those
 * events' hashes were computed at `chainedAt`, not when each was appended, so the chain vouches for
 * them only from then on.
 */
export interface ChainMigration {
  readonly chainedAt: string;
  /** The last event the migration chained, and its hash. */
  readonly position: number;
  readonly chainHash: string;
  readonly events: number;
}
