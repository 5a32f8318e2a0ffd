import { Client } from 'pg';
import { performance } from 'node:perf_hooks';
import { PostgresEventStore } from '../src/store/postgresEventStore';
import { sequentialRun } from './commandThroughput';
import { concurrentRun } from './concurrentCommands';
import { Scale } from './scale';
import { probePostgres, ScratchDatabase } from './scratchPostgres';
import { median } from './stats';

/** The server the PostgreSQL figures use: LEDGER_BENCH_PG_URL, else the local one. */
const adminUrl = (): string => process.env.LEDGER_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface PostgresFigures {
  readonly pgCommandsPerSec: number;
  readonly pgRawInsertPerSec: number;
  readonly pgConcurrentCommandsPerSec: number;
  readonly pgRawConcurrentInsertPerSec: number;
  readonly pgCommandsRatio: number;
  readonly pgConcurrentCommandsRatio: number;
}

/** As figure 6: callers that each await their own commit. */
const CALLERS = 32;

/**
 * The PostgreSQL figures, each run on a database of its own: the seed plan's commands one at a time
 * through the handler; bare `pg` inserts of the rows that run wrote, one transaction each, on one
 * connection with the store's settings (synchronous_commit on); 32 concurrent callers through the
 * handler, and bare, the rows they wrote inserted by 32 callers, BEGIN/INSERT/COMMIT each, on a pool
 * of 32. `scale.pairs` times; rates are medians, ratios the medians of each pair's.
 * undefined, with the reason, when no server answers.
 */
export const measurePostgres = async (scale: Scale): Promise<PostgresFigures | { readonly skipped: string }> => {
  const noServer = await probePostgres(adminUrl());
  if (noServer !== undefined) return { skipped: `no PostgreSQL at ${adminUrl()} (${noServer})` };
  const runs: { commands: number; raw: number; concurrent: number; rawConcurrent: number }[] = [];
  for (let round = 0; round < scale.pairs; round++) {
    const commands = await ScratchDatabase.create(adminUrl(), 'bench');
    const raw = await ScratchDatabase.create(adminUrl(), 'bench_raw');
    const concurrent = await ScratchDatabase.create(adminUrl(), 'bench_concurrent');
    const rawConcurrent = await ScratchDatabase.create(adminUrl(), 'bench_raw_concurrent');
    try {
      const store = await PostgresEventStore.open(commands.url());
      const commandsPerSec = await sequentialRun(store, scale.sequentialCommands);
      await store.close();
      // The same schema, created by the store itself, so the baseline cannot drift from it.
      await (await PostgresEventStore.open(raw.url())).close();
      await (await PostgresEventStore.open(rawConcurrent.url())).close();
      const rawPerSec = await rawInsertsPerSec(commands.url(), raw.url(), 1);
      // 32 callers need more than the default pool to be concurrent at the database.
      const concurrentPerSec = await concurrentRun(await PostgresEventStore.open(concurrent.url(`pool_max=${CALLERS}`)), scale.concurrentCommands);
      const rawConcurrentPerSec = await rawInsertsPerSec(concurrent.url(), rawConcurrent.url(), CALLERS);
      runs.push({ commands: commandsPerSec, raw: rawPerSec, concurrent: concurrentPerSec, rawConcurrent: rawConcurrentPerSec });
    } finally {
      await Promise.all([commands.drop(), raw.drop(), concurrent.drop(), rawConcurrent.drop()]);
    }
  }
  return {
    pgCommandsPerSec: median(runs.map((r) => r.commands)),
    pgRawInsertPerSec: median(runs.map((r) => r.raw)),
    pgConcurrentCommandsPerSec: median(runs.map((r) => r.concurrent)),
    pgRawConcurrentInsertPerSec: median(runs.map((r) => r.rawConcurrent)),
    pgCommandsRatio: median(runs.map((r) => r.commands / r.raw)),
    pgConcurrentCommandsRatio: median(runs.map((r) => r.concurrent / r.rawConcurrent)),
  };
};

/**
 * Rows per second copying every event row of `from` into `to`, one INSERT in one transaction each,
 * by `callers` connections at once, each taking the next row when its commit returned.
 */
const rawInsertsPerSec = async (from: string, to: string, callers: number): Promise<number> => {
  const source = new Client({ connectionString: from });
  await source.connect();
  let rows: Record<string, unknown>[];
  try {
    rows = (
      await source.query<Record<string, unknown>>(
        'SELECT global_position, stream_id, position, event_id, type, data::text AS data, metadata::text AS metadata, recorded_at FROM ledger_events ORDER BY global_position',
      )
    ).rows;
  } finally {
    await source.end();
  }
  const targets = Array.from({ length: callers }, () => new Client({ connectionString: to }));
  await Promise.all(targets.map((t) => t.connect()));
  try {
    await Promise.all(targets.map((t) => t.query('SET synchronous_commit = on')));
    let next = 0;
    const started = performance.now();
    await Promise.all(
      targets.map(async (target) => {
        for (let r = rows[next++]; r !== undefined; r = rows[next++]) {
          await target.query('BEGIN');
          await target.query(
            `INSERT INTO ledger_events (global_position, transaction_id, stream_id, position, event_id, type, data, metadata, recorded_at)
             VALUES ($1, pg_current_xact_id(), $2, $3, $4, $5, $6, $7, $8)`,
            [r.global_position, r.stream_id, r.position, r.event_id, r.type, r.data, r.metadata, r.recorded_at],
          );
          await target.query('COMMIT');
        }
      }),
    );
    return rows.length / ((performance.now() - started) / 1000);
  } finally {
    await Promise.all(targets.map((t) => t.end()));
  }
};
