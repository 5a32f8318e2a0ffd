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
 * RFC 8785 (JCS) is JSON.stringify's own serialisation of strings and numbers (3.2.2) with every
 * object's keys in UTF-16 code unit order (3.2.3). So plain JSON (finite numbers, no undefined, no
 * toJSON) whose keys are in that order is written by JSON.stringify as it is; the stores write data
 * and metadata in that form, so what they read back is already in it.
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
      if (!isPlainObject(value)) return false;
      let previous: string | undefined;
      for (const key of Object.keys(value)) {
        if ((previous !== undefined && !(previous < key)) || !inCanonicalOrder(value[key])) return false;
        previous = key;
      }
      return true;
    }
    default:
      return false;
  }
};

const isPlainObject = (value: object): value is Record<string, unknown> =>
  Object.getPrototypeOf(value) === Object.prototype && typeof (value as { toJSON?: unknown }).toJSON !== 'function';

/**
 * Plain JSON in any key order, copied with every object's keys inserted in JCS order, which
 * JSON.stringify then keeps: one native serialisation into one flat string, where the library
 * builds each object from many small strings (in a loop, 4.2 µs against 5.0 µs for an event's
 * data and metadata, and less garbage).
 * Undefined for anything else, and for keys JavaScript would not keep in insertion order (array
 * indices, which an object lists first, and `__proto__`, which an assignment does not create).
 */
const inCanonicalOrderCopy = (value: unknown): unknown => {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) {
        const copy: unknown[] = [];
        for (let i = 0; i < value.length; i++) {
          const item = inCanonicalOrderCopy(value[i]);
          if (item === undefined) return undefined;
          copy.push(item);
        }
        return copy;
      }
      if (!isPlainObject(value)) return undefined;
      const copy: Record<string, unknown> = {};
      for (const key of Object.keys(value).sort()) {
        const first = key.charCodeAt(0);
        const item = first >= 48 && first <= 57 ? undefined : key === '__proto__' ? undefined : inCanonicalOrderCopy(value[key]);
        if (item === undefined) return undefined;
        copy[key] = item;
      }
      return copy;
    }
    default:
      return undefined;
  }
};

/** RFC 8785 JSON of a JSON value: JSON.stringify of it, or of its copy in key order, else the canonicalize library. */
export const canonicalJson = (value: unknown): string => {
  if (inCanonicalOrder(value)) return JSON.stringify(value);
  const copy = inCanonicalOrderCopy(value);
  if (copy !== undefined) return JSON.stringify(copy);
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

/** Where the hash input is assembled: reused, since hashing is synchronous; an event too big for it gets its own. */
const scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * SHA-256 of the previous hash's bytes and the canonical text's UTF-8, in one buffer and one call: a
 * Hash object per event (createHash, two updates, digest) costs about half again as much. A previous
 * hash that is not 64 hex digits (a stored one that was tampered with, which verify chains on from)
 * gives its bytes up to the first pair that is not hex, as Buffer.from would.
 */
const sha256After = (previous: string, canonical: string): string => {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  const room = (previous.length >>> 1) + 3 * canonical.length;
  const bytes = room <= scratch.length ? scratch : Buffer.allocUnsafe(room);
  const written = bytes.write(previous, 0, 'hex');
  const end = written + bytes.write(canonical, written, 'utf8');
  return hash('sha256', bytes.subarray(0, end), 'hex');
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
