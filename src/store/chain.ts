import canonicalize from 'canonicalize';
import { hash } from 'node:crypto';

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

/**
 * True when JSON.stringify already writes `value` as RFC 8785 does: plain JSON (finite numbers, no
 * undefined, no toJSON) whose every object has its keys in UTF-16 code unit order. JCS is
 * JSON.stringify's own serialisation of strings and numbers (RFC 8785 3.2.2) with the keys so sorted
 * (3.2.3); the stores write data and metadata in that form, so what they read back is already in it.
 */
const inCanonicalOrder = (value: unknown): boolean => {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        // A hole reads as undefined: left to the library, which skips it where JSON.stringify writes null.
        for (let i = 0; i < value.length; i++) if (!inCanonicalOrder(value[i])) return false;
        return true;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      const object = value as Record<string, unknown>;
      if (typeof object.toJSON === 'function') return false;
      let previous: string | undefined;
      for (const key of Object.keys(object)) {
        if ((previous !== undefined && !(previous < key)) || !inCanonicalOrder(object[key])) return false;
        previous = key;
      }
      return true;
    }
    default:
      return false;
  }
};

/** RFC 8785 JSON of a JSON value. */
export const canonicalJson = (value: unknown): string => {
  if (inCanonicalOrder(value)) return JSON.stringify(value);
  const text = canonicalize(value);
  if (text === undefined) throw new Error('a value with no JSON form cannot be chained');
  return text;
};

/** An event's data and metadata as RFC 8785 JSON: what the chain covers of them, and what the stores write. */
export interface CanonicalPayload {
  readonly data: string;
  readonly metadata: string;
}

export const canonicalPayload = (e: Pick<ChainedFields, 'data' | 'metadata'>): CanonicalPayload => ({ data: canonicalJson(e.data ?? null), metadata: canonicalJson(e.metadata) });

/**
 * The RFC 8785 JSON of an event's F1 fields `{globalPosition, streamId, streamPosition, eventId,
 * type, occurredAt, data, metadata}`, in three pieces around the two positions, for a store that
 * learns the positions only inside its database (PostgreSQL): `head + globalPosition + middle +
 * streamPosition + tail`. JCS sorts the keys (data, eventId, globalPosition, metadata, occurredAt,
 * streamId, streamPosition, type) and writes a safe integer as its decimal digits, which is what
 * SQL's `::text` writes, and a string as JSON.stringify does; test/store/chain.test.ts checks it
 * against the library on the whole object. `payload`: data and metadata already serialised.
 */
export const canonicalPieces = (e: Omit<ChainedFields, 'globalPosition' | 'position'>, payload = canonicalPayload(e)): readonly [string, string, string] => [
  `{"data":${payload.data},"eventId":${JSON.stringify(e.eventId)},"globalPosition":`,
  `,"metadata":${payload.metadata},"occurredAt":${JSON.stringify(occurredAtOf(e.data))},"streamId":${JSON.stringify(e.streamId)},"streamPosition":`,
  `,"type":${JSON.stringify(e.type)}}`,
];

/** The RFC 8785 JSON of an event's F1 fields. */
export const canonicalEvent = (e: ChainedFields, payload = canonicalPayload(e)): string => {
  const [head, middle, tail] = canonicalPieces(e, payload);
  return `${head}${e.globalPosition}${middle}${e.position}${tail}`;
};

/**
 * SHA-256 of the previous hash's bytes and the canonical text's UTF-8, in one buffer and one call: a
 * Hash object per event (createHash, two updates, digest) costs about half again as much. A previous
 * hash that is not 64 hex digits (a stored one that was tampered with, which verify chains on from)
 * gives its bytes up to the first pair that is not hex, as Buffer.from would.
 */
const sha256After = (previous: string, canonical: string): string => {
  const length = Buffer.byteLength(canonical, 'utf8');
  const bytes = Buffer.allocUnsafe((previous.length >>> 1) + length);
  const written = bytes.write(previous, 0, 'hex');
  bytes.write(canonical, written, length, 'utf8');
  return hash('sha256', bytes.subarray(0, written + length), 'hex');
};

/** The chain hash of an event, given the hash of the one before it (lowercase hex); `payload` as canonicalEvent's. */
export const chainHash = (previous: string, e: ChainedFields, payload?: CanonicalPayload): string => sha256After(previous, canonicalEvent(e, payload));

/** Hashes `events` (in global order) after `previous`, answering each one's hash. */
export const chainAfter = (previous: string, events: ReadonlyArray<ChainedFields>): string[] => {
  let last = previous;
  return events.map((e) => (last = chainHash(last, e)));
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
