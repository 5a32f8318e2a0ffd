import { ChainMigration, LogHead } from './chain';

/**
 * The port every event store adapter implements (in-memory, SQLite, EventStoreDB).
 * It knows streams, revisions and positions, never billing: payloads are opaque JSON,
 * decoded by the domain's io-ts codecs when read.
 */

/** Who and what caused an append; stored with every event (audit trail). */
export interface EventMetadata {
  readonly schemaVersion: number;
  readonly commandId?: string;
  readonly idempotencyKey?: string;
  readonly correlationId?: string;
  readonly actor?: string;
  /** Hash of the request that carried the idempotency key, to tell a retry from a reuse. */
  readonly requestHash?: string;
}

export interface NewEvent {
  readonly eventId: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
}

export interface RecordedEvent {
  readonly streamId: string;
  /** 0-based revision of the event within its stream. */
  readonly position: number;
  /** Position in the store's global order; strictly increasing across all streams. */
  readonly globalPosition: number;
  readonly eventId: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
  /** When the store recorded it (ISO 8601); the domain's own time is in `data.occurredAt`. */
  readonly recordedAt: string;
  /**
   * The log's hash chain at this event (billing-rules F1, src/store/chain.ts), lowercase hex, as the
   * store wrote it in the append's transaction; absent where the store keeps none (EventStoreDB).
   */
  readonly chainHash?: string;
  /** The algorithm `chainHash` was made with (CHAIN_ALGORITHM), stored beside it. */
  readonly chainAlgorithm?: string;
}

/**
 * Optimistic concurrency: `noStream` (must not exist), `streamExists`, an exact revision
 * (the revision of the stream's last event), or `any` (no check).
 */
export type ExpectedRevision =
  | { readonly kind: 'noStream' }
  | { readonly kind: 'streamExists' }
  | { readonly kind: 'exact'; readonly revision: number }
  | { readonly kind: 'any' };

export const ExpectedRevision = {
  noStream: { kind: 'noStream' } as ExpectedRevision,
  streamExists: { kind: 'streamExists' } as ExpectedRevision,
  any: { kind: 'any' } as ExpectedRevision,
  exact: (revision: number): ExpectedRevision => ({ kind: 'exact', revision }),
  /** The expectation that matches a stream read at `revision` (-1: it had no events). */
  after: (revision: number): ExpectedRevision =>
    revision < 0 ? { kind: 'noStream' } : { kind: 'exact', revision },
};

/**
 * A stream that a decision read but does not write. The append commits only if the guarded streams
 * are still at the revisions the decision saw, atomically with the write: this is what lets a rule
 * span streams (a consumption read the profile's overage switch; an overage switch read every user's
 * consumption) without serialising the streams into one.
 */
export interface Guard {
  readonly streamId: string;
  readonly expectedRevision: ExpectedRevision;
}

export const Guard = {
  /** The guard of a stream read at `revision` (-1: it had no events). */
  stream: (streamId: string, revision: number): Guard => ({ streamId, expectedRevision: ExpectedRevision.after(revision) }),
};

export interface AppendOptions {
  readonly expectedRevision: ExpectedRevision;
  /**
   * Makes the append idempotent: every id is claimed atomically with the events. If any of them was
   * claimed before, the store writes nothing and returns the events appended under the first such id
   * (in this list's order) with `duplicate: true`.
   */
  readonly commandIds?: ReadonlyArray<string>;
  /** Checked atomically with the append; a guard that does not hold is a ConcurrencyError. */
  readonly guards?: ReadonlyArray<Guard>;
}

export interface AppendResult {
  /** Revision of the stream's last event after the append. */
  readonly nextExpectedRevision: number;
  readonly events: ReadonlyArray<RecordedEvent>;
  readonly duplicate: boolean;
}

/** Thrown (or rejected) when the expected revision or a guard does not hold. */
export class ConcurrencyError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: number,
  ) {
    super(`stream ${streamId}: expected ${describeExpected(expected)}, actual revision ${actual}`);
    this.name = 'ConcurrencyError';
  }
}

/**
 * The store could not answer (api.md: 503 with Retry-After). `unavailable`: the database cannot be
 * reached or the connection was lost; `busy`: another process holds the write lock past the bound.
 * Nothing was appended, or, when the connection was lost during a commit, the outcome is unknown:
 * a retry under the same command ids (requestId, Idempotency-Key) answers what happened.
 */
export class StoreFault extends Error {
  constructor(
    readonly kind: 'unavailable' | 'busy',
    message: string,
    /** When a retry may succeed, in whole seconds (the Retry-After header). */
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreFault';
  }
}

export const describeExpected = (e: ExpectedRevision): string =>
  e.kind === 'exact' ? `revision ${e.revision}` : e.kind;

/** Checks every guard, given how the store finds a stream's revision; called inside the append's atomic section. */
export const checkGuards = (guards: ReadonlyArray<Guard> | undefined, revisionOf: (streamId: string) => number): void => {
  for (const g of guards ?? []) checkExpectedRevision(g.streamId, g.expectedRevision, revisionOf(g.streamId));
};

/** Throws ConcurrencyError unless `current` (revision of the stream's last event, -1: none) meets `expected`. */
export const checkExpectedRevision = (streamId: string, expected: ExpectedRevision, current: number): void => {
  const ok =
    expected.kind === 'any' ||
    (expected.kind === 'noStream' && current < 0) ||
    (expected.kind === 'streamExists' && current >= 0) ||
    (expected.kind === 'exact' && expected.revision === current);
  if (!ok) throw new ConcurrencyError(streamId, expected, current);
};

export interface ReadStreamOptions {
  /** First revision to read (default 0). */
  readonly fromRevision?: number;
  readonly limit?: number;
}

export interface ReadAllOptions {
  /** Read events with a global position strictly greater than this (default: from the start). */
  readonly after?: number;
  readonly limit?: number;
  /** Only streams whose id starts with this (a profile's streams share `profile/{id}/`). */
  readonly streamPrefix?: string;
}

export interface EventStore {
  append(streamId: string, events: ReadonlyArray<NewEvent>, options: AppendOptions): Promise<AppendResult>;
  /** The stream's events in revision order; an empty array for a stream that does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<ReadonlyArray<RecordedEvent>>;
  /** Every stream's events in global order, as an async iterable so that a replay streams. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /** The events appended under a command id, or undefined if none was. */
  readCommand(commandId: string): Promise<ReadonlyArray<RecordedEvent> | undefined>;
  /**
   * The global position of the latest event, -1 for an empty store. Every event at or below it is
   * visible to every reader: no append still in flight can later appear below it, so a checkpoint
   * taken at it never passes an event that commits later.
   */
  headPosition(): Promise<number>;
  /**
   * The log's last event and its chain hash (billing-rules F1: `GET /v1/log/head`), as of the same
   * visibility as `headPosition`; `{-1, GENESIS_HASH}` for an empty log.
   */
  logHead(): Promise<LogHead>;
  /** Optional: where a migration chained a log written before the chain (billing-rules F4), if one did. */
  chainMigration?(): Promise<ChainMigration | undefined>;
  /**
   * Optional, for readers that keep states of the streams they read (the command handler): looks once
   * for appends by anyone else, and answers a lookup of the revision from which a stream has no
   * events, for the streams the store can vouch for without reading them (undefined: read it). What
   * the lookup answers stays true until another writer appends; appends through this object keep it
   * current. A store without it is read every time.
   */
  streamEnds?(): Promise<(streamId: string) => number | undefined>;
  /**
   * True when appends issued one after another without waiting are applied in the order issued, so
   * that the second may expect the revision the first makes (a group commit: SQLite, in-memory). A
   * store without it (a pool of connections) may apply them in any order: its callers wait instead.
   */
  readonly appliesAppendsInOrder?: boolean;
  close(): Promise<void>;
}
