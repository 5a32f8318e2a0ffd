import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { SCHEMA_VERSION, Streams } from '../domain/events';
import { Sliced } from '../projections/slices';
import { EventStore, ExpectedRevision } from '../store/eventStore';

/**
 * The read-model snapshot is a cache of the log, so it is sealed with a key that lives in the log it
 * caches: a snapshot edited, truncated, or taken of another log does not verify, and is rebuilt from
 * the log instead of being believed. It guards against accidents and stale files, not against someone
 * who can write the store (they could read the key too).
 */
const KEY_STREAM = `${Streams.metaPrefix}snapshot-key`;
const KEY_EVENT = 'SnapshotKeyCreated';
const KEY_BYTES = 32;
const SnapshotKey = t.type({ key: t.string });

/** The first line of a sealed snapshot; the body follows on the next. */
const SEAL_PREFIX = 'ledger-view hmac-sha256 ';

export type SealKey = Buffer;

/** The key snapshots are checked with; undefined while none was ever saved (then none verifies). */
export const snapshotKey = async (store: EventStore): Promise<SealKey | undefined> => {
  const [first] = await store.readStream(KEY_STREAM, { limit: 1 });
  if (first === undefined) return undefined;
  const decoded = SnapshotKey.decode(first.data);
  const key = E.isRight(decoded) ? Buffer.from(decoded.right.key, 'base64') : undefined;
  if (key?.length !== KEY_BYTES) throw new Error(`${KEY_STREAM}@${first.position}: not a snapshot key`);
  return key;
};

/** The key to seal with, created on the first save; whoever creates it first wins. */
export const snapshotKeyForSaving = async (store: EventStore): Promise<SealKey> => {
  const existing = await snapshotKey(store);
  if (existing !== undefined) return existing;
  // A conflict: another process wrote the key first; it is read below either way.
  await store.append(
    KEY_STREAM,
    [{ eventId: randomUUID(), type: KEY_EVENT, data: { key: randomBytes(KEY_BYTES).toString('base64') }, metadata: { schemaVersion: SCHEMA_VERSION, actor: 'system' } }],
    { expectedRevision: ExpectedRevision.noStream },
  );
  const created = await snapshotKey(store);
  if (created === undefined) throw new Error(`${KEY_STREAM}: the snapshot key was written but cannot be read back`);
  return created;
};

const macOf = (key: SealKey, body: string): Buffer => createHmac('sha256', key).update(body).digest();

/** A snapshot's pieces with its seal as the first: the MAC computed piece by piece, in slices. */
export function* seal(key: SealKey, body: ReadonlyArray<string>): Sliced<string[]> {
  const mac = createHmac('sha256', key);
  for (const piece of body) {
    mac.update(piece);
    yield;
  }
  return [`${SEAL_PREFIX}${mac.digest('hex')}\n`, ...body];
}

/** The body of a sealed snapshot if its seal matches it under `key`; else why not. */
export const unseal = (key: SealKey | undefined, sealed: string): E.Either<string, string> => {
  if (key === undefined) return E.left('the store has no snapshot key, so the snapshot is not of this log');
  const newline = sealed.indexOf('\n');
  const header = newline < 0 ? sealed : sealed.slice(0, newline);
  if (!header.startsWith(SEAL_PREFIX)) return E.left('it has no seal');
  const claimed = Buffer.from(header.slice(SEAL_PREFIX.length), 'hex');
  const body = sealed.slice(newline + 1);
  const actual = macOf(key, body);
  // Constant-time, though a mismatch here is an accident far more often than an attack.
  if (claimed.length !== actual.length || !timingSafeEqual(claimed, actual)) return E.left('its seal does not match its content');
  return E.right(body);
};
