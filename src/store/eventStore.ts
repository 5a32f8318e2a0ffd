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

export interface AppendOptions {
  readonly expectedRevision: ExpectedRevision;
  /**
   * Makes the append idempotent: if events with this command id were appended before,
   * the store writes nothing and returns the original result with `duplicate: true`.
   */
  readonly commandId?: string;
}

export interface AppendResult {
  /** Revision of the stream's last event after the append. */
  readonly nextExpectedRevision: number;
  readonly events: ReadonlyArray<RecordedEvent>;
  readonly duplicate: boolean;
}

/** Thrown (or rejected) when the expected revision does not hold. */
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

export const describeExpected = (e: ExpectedRevision): string =>
  e.kind === 'exact' ? `revision ${e.revision}` : e.kind;

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
  /** The global position of the latest event, -1 for an empty store. */
  headPosition(): Promise<number>;
  close(): Promise<void>;
}
