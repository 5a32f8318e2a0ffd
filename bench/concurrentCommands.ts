import * as E from 'fp-ts/Either';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LedgerService } from '../src/app/ledgerService';
import { EventStore } from '../src/store/eventStore';
import { SqliteEventStore } from '../src/store/sqliteEventStore';
import { Scale } from './scale';
import { bareTwin, eventRows, insertRowsPerSec } from './sqliteBaseline';
import { median } from './stats';

const CALLERS = 32;
const PROFILES = 8;

const ok = async (result: Promise<E.Either<{ code: string; message: string }, unknown>>): Promise<void> => {
  const r = await result;
  if (E.isLeft(r)) throw new Error(`concurrent bench: ${r.left.code} ${r.left.message}`);
};

/**
 * Figure 6: 32 callers, each awaiting its own usage requests (one user each, 8 profiles), through
 * the handler and the store with synchronous=FULL: the store commits what arrives in one turn
 * together. Against bare inserts of the rows it wrote, 1,000 per transaction; and, as the ceiling of
 * any ledger whose callers each wait for their commit, the same rows 32 per transaction.
 */
export const measureConcurrentCommands = async (dir: string, scale: Scale) => {
  const runs: { commands: number; batch: number; callers: number }[] = [];
  // Side by side, `scale.pairs` times: fsync latency here swings with the neighbours' I/O.
  for (let round = 0; round < scale.pairs; round++) {
    const path = join(dir, `concurrent-${round}.db`);
    const commands = await concurrentRun(new SqliteEventStore(path), scale.concurrentCommands);
    const rows = eventRows(path);
    const bare = (name: string, perTransaction: number): number => {
      const raw = bareTwin(path, join(dir, `raw-${name}-${round}.db`));
      try {
        return insertRowsPerSec(raw, rows, perTransaction);
      } finally {
        raw.close();
      }
    };
    runs.push({ commands, batch: bare('batch', 1000), callers: bare('callers', CALLERS) });
  }
  return {
    concurrentCommandsPerSec: median(runs.map((r) => r.commands)),
    rawBatchInsertPerSec: median(runs.map((r) => r.batch)),
    rawCallersBatchInsertPerSec: median(runs.map((r) => r.callers)),
    concurrentCommandsRatio: median(runs.map((r) => r.commands / r.callers)),
  };
};

/** Commands per second of one run on a fresh store, which it closes. */
export const concurrentRun = async (store: EventStore, total: number): Promise<number> => {
  const ledger = await new LedgerService(store).open();
  const profileOf = (caller: number) => `p-c${caller % PROFILES}`;
  const userOf = (caller: number) => `u-c${caller}`;
  for (let p = 0; p < PROFILES; p++) {
    await ok(ledger.execute({ type: 'CreateProfile', profileId: `p-c${p}`, accountId: '555500001111', region: `eu-west-${p + 1}` }));
  }
  await Promise.all(
    Array.from({ length: CALLERS }, (_, c) => ok(ledger.execute({ type: 'Subscribe', profileId: profileOf(c), userId: userOf(c), tier: 'POWER' }))),
  );
  const perCaller = Math.ceil(total / CALLERS);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async (_, c) => {
      for (let i = 0; i < perCaller; i++) {
        // A quarter credit each: a caller's requests stay far inside Power's 10,000 credits.
        await ok(ledger.execute({ type: 'ConsumeCredits', profileId: profileOf(c), userId: userOf(c), credits: '0.25', requestId: `c${c}.${i}` }));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  return (perCaller * CALLERS) / seconds;
};
