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

/**
 * No event in any stream whose id starts with `streamPrefix` has a global position above `after`:
 * what a decision that read every stream under a prefix, as of `after`, needs to stay true (SetOverage
 * read a profile's latest consumption). It costs the scan of the events after `after`, which a
 * decision made moments ago keeps few; an append without one costs nothing more.
 */
export interface PrefixGuard {
  readonly streamPrefix: string;
  readonly after: number;
}

export const PrefixGuard = {
  quietAfter: (streamPrefix: string, after: number): PrefixGuard => ({ streamPrefix, after }),
};

export interface AppendOptions {
  readonly expectedRevision: ExpectedRevision;
  /**
   * Makes the append idempotent: every id is claimed atomically with the events. If any of them was
   * claimed before, the store writes nothing and returns the events appended under the first such id
   * (in this list's order) as a Duplicate.
   */
  readonly commandIds?: ReadonlyArray<string>;
  /** Checked atomically with the append; a guard that does not hold is a Conflict. */
  readonly guards?: ReadonlyArray<Guard>;
  /** Checked atomically with the append, like `guards`. */
  readonly prefixGuards?: ReadonlyArray<PrefixGuard>;
}

/** Written: the events as recorded, and the stream's revision after them. */
export interface Appended {
  readonly kind: 'appended';
  /** Revision of the stream's last event after the append. */
  readonly nextExpectedRevision: number;
  readonly events: ReadonlyArray<RecordedEvent>;
}

/** Nothing written: a command id was claimed before; the events appended under the first such id. */
export interface Duplicate {
  readonly kind: 'duplicate';
  readonly nextExpectedRevision: number;
  readonly events: ReadonlyArray<RecordedEvent>;
}

/** What an append can find unmet: a stream's revision, or a prefix that had to stay quiet after a position. */
export type Expectation = ExpectedRevision | { readonly kind: 'nothingAfter'; readonly position: number };

/** Nothing written: something the decision read has moved since (the expected revision or a guard). */
export interface Conflict {
  readonly kind: 'conflict';
  /** The stream, or for a prefix guard the prefix. */
  readonly streamId: string;
  readonly expected: Expectation;
  /** The stream's revision; for a prefix guard, the global position of the first event found after it. */
  readonly actual: number;
  readonly message: string;
}

/**
 * An append's answer, as a value: a conflict is an expected outcome of optimistic concurrency, which
 * the caller retries, not an exception. Exceptions are kept for faults (StoreFault) and defects.
 */
export type AppendResult = Appended | Duplicate | Conflict;

export const conflict = (streamId: string, expected: Expectation, actual: number): Conflict => ({
  kind: 'conflict',
  streamId,
  expected,
  actual,
  message:
    expected.kind === 'nothingAfter'
      ? `streams ${streamId}*: expected no event after global position ${expected.position}, found one at ${actual}`
      : `stream ${streamId}: expected ${describeExpected(expected)}, actual revision ${actual}`,
});

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

/** Whether `current` (revision of the stream's last event, -1: none) meets `expected`. */
export const meets = (expected: ExpectedRevision, current: number): boolean =>
  expected.kind === 'any' ||
  (expected.kind === 'noStream' && current < 0) ||
  (expected.kind === 'streamExists' && current >= 0) ||
  (expected.kind === 'exact' && expected.revision === current);

/** How a store answers, inside the append's atomic section, what the checks of an append ask. */
export interface AppendChecks {
  /** The revision of a stream's last event, -1: none. */
  readonly revisionOf: (streamId: string) => number;
  /** The first global position above `after` under a prefix (undefined: none); asked only for prefix guards. */
  readonly firstUnder: (prefix: string, after: number) => number | undefined;
}

/** The first expectation of an append that does not hold (its own stream's revision, then the guards, then the prefix guards). */
export const conflictOf = (streamId: string, options: AppendOptions, checks: AppendChecks): Conflict | undefined => {
  const current = checks.revisionOf(streamId);
  if (!meets(options.expectedRevision, current)) return conflict(streamId, options.expectedRevision, current);
  for (const g of options.guards ?? []) {
    const revision = checks.revisionOf(g.streamId);
    if (!meets(g.expectedRevision, revision)) return conflict(g.streamId, g.expectedRevision, revision);
  }
  for (const g of options.prefixGuards ?? []) {
    const found = checks.firstUnder(g.streamPrefix, g.after);
    if (found !== undefined) return conflict(g.streamPrefix, { kind: 'nothingAfter', position: g.after }, found);
  }
  return undefined;
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

/**
 * A stored event with its chain hash and algorithm where the row has them (a row of EventStoreDB, or
 * a log not yet chained, has none). Assigned, not spread: this runs for every row read.
 */
export const withChain = (
  event: Omit<RecordedEvent, 'chainHash' | 'chainAlgorithm'>,
  row: { readonly chain_hash: string | null; readonly chain_algorithm: string | null },
): RecordedEvent => {
  const chained: { -readonly [K in keyof RecordedEvent]: RecordedEvent[K] } = event;
  if (row.chain_hash !== null) chained.chainHash = row.chain_hash;
  if (row.chain_algorithm !== null) chained.chainAlgorithm = row.chain_algorithm;
  return chained;
};

/**
 * An append that expects an exact revision of a stream whose earlier append in the same group did
 * not land (refused, failed, given up): it was decided on top of that one, and cannot land either
 * (see `appliesAppendsInOrder`).
 */
export const decidedOnTopOf = (failed: ReadonlySet<string>, append: { readonly streamId: string; readonly options: AppendOptions }): boolean =>
  failed.has(append.streamId) && append.options.expectedRevision.kind === 'exact';

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
   * True when appends issued one after another without waiting, in one turn of the event loop, are
   * applied in the order issued, so that the second may expect the revision the first makes (a group
   * commit: SQLite). Then, once one append to a stream is refused, each later one of the group to that
   * stream that expects an exact revision is refused too: it was decided on top of the refused one,
   * and another writer's events at that revision are not the ones it saw. A store without it (a pool
   * of connections, or one that applies each append when called) is waited on by its callers instead.
   */
  readonly appliesAppendsInOrder?: boolean;
  close(): Promise<void>;
}
