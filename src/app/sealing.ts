import { createHash, randomUUID } from 'node:crypto';
import { SCHEMA_VERSION, StatementSealed, Streams } from '../domain/events';
import { Month, monthOf, previousMonth, toMillis } from '../domain/time';
import { Statement } from '../projections/statementTypes';
import { EventStore, ExpectedRevision } from '../store/eventStore';
import { canonicalJson, LogHead } from '../store/chain';

/** Longer than any clock skew allowed between nodes (billing-rules F2); a deployment setting. */
export const DEFAULT_SEAL_DELAY_MS = 10 * 60_000;

/** The actor in a seal's metadata: the ledger itself, not a caller. */
export const SEAL_ACTOR = 'ledger';

/** The SHA-256 of a statement's RFC 8785 JSON as the API serves it, final and without its seal (F2). */
export const statementDigest = (statement: Statement): string => {
  const { seal: _seal, ...served } = statement;
  return createHash('sha256').update(canonicalJson(served), 'utf8').digest('hex');
};

/** The last month whose end the clock has passed by `delayMs`: every month up to it is sealed. */
export const lastSealableMonth = (now: string, delayMs: number): Month => previousMonth(monthOf(new Date(toMillis(now) - delayMs).toISOString()));

export const sealEvent = (statement: Statement, head: LogHead, occurredAt: string): StatementSealed => ({
  type: 'StatementSealed',
  data: {
    profileId: statement.profileId,
    month: statement.month,
    total: statement.total,
    sha256: statementDigest(statement),
    logPosition: head.position,
    chainHash: head.chainHash,
    occurredAt,
  },
});

/**
 * Appends a seal to its stream if the stream has none: `true` if this call wrote it, `false` if a
 * seal was there (another node or process wrote it first: the stream's expected revision refused
 * this one).
 */
export const appendSeal = async (store: EventStore, seal: StatementSealed): Promise<boolean> => {
  const result = await store.append(
    Streams.seal(seal.data.profileId, seal.data.month),
    [{ eventId: randomUUID(), type: seal.type, data: seal.data, metadata: { schemaVersion: SCHEMA_VERSION, actor: SEAL_ACTOR } }],
    { expectedRevision: ExpectedRevision.noStream },
  );
  return result.kind === 'appended';
};

export interface SealingOptions {
  readonly delayMs: number;
  /** Pause between two looks for months to seal. */
  readonly everyMs: number;
  /** Told of each pass that sealed something, and of a failed pass (the next pass tries again). */
  readonly report: (message: string) => void;
}

/**
 * The background task of `ledger serve`: looks for months to seal every `everyMs`, one pass at a
 * time. A failing pass (a store that is down) is reported and retried at the next; `stop` waits for
 * a pass in flight.
 */
export const startSealing = (ledger: { sealDue(delayMs: number): Promise<{ readonly sealed: number; readonly sealedElsewhere: number }> }, options: SealingOptions) => {
  let timer: NodeJS.Timeout | undefined;
  let pass: Promise<void> = Promise.resolve();
  let stopped = false;
  const run = (): void => {
    pass = ledger.sealDue(options.delayMs).then(
      ({ sealed }) => {
        if (sealed > 0) options.report(`sealed ${sealed} statement${sealed === 1 ? '' : 's'}`);
      },
      (error: unknown) => options.report(`sealing failed, retried in ${Math.round(options.everyMs / 1000)} s: ${(error as Error).message}`),
    );
    void pass.then(() => {
      if (!stopped) timer = setTimeout(run, options.everyMs).unref();
    });
  };
  timer = setTimeout(run, options.everyMs).unref();
  return {
    async stop(): Promise<void> {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await pass;
    },
  };
};
