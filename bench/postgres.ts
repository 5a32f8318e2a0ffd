import { Client } from 'pg';
import { performance } from 'node:perf_hooks';
import { PostgresEventStore } from '../src/store/postgresEventStore';
import { sequentialRun } from './commandThroughput';
import { concurrentRun } from './concurrentCommands';
import { Scale } from './scale';
import { probePostgres, ScratchDatabase } from './scratchPostgres';

/** The server the PostgreSQL figures use: LEDGER_BENCH_PG_URL, else the local one. */
const adminUrl = (): string => process.env.LEDGER_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface PostgresFigures {
  readonly pgCommandsPerSec: number;
  readonly pgRawInsertPerSec: number;
  readonly pgConcurrentCommandsPerSec: number;
}

/**
 * The PostgreSQL figures, each run on a database of its own: the seed plan's commands one at a time
 * through the handler; bare `pg` inserts of the rows that run wrote, one transaction each, on one
 * connection with the store's settings (synchronous_commit on); 32 concurrent callers.
 * undefined, with the reason, when no server answers.
 */
export const measurePostgres = async (scale: Scale): Promise<PostgresFigures | { readonly skipped: string }> => {
  const noServer = await probePostgres(adminUrl());
  if (noServer !== undefined) return { skipped: `no PostgreSQL at ${adminUrl()} (${noServer})` };
  let pgCommandsPerSec = 0;
  let pgRawInsertPerSec = 0;
  let pgConcurrentCommandsPerSec = 0;
  for (let round = 0; round < scale.repeats; round++) {
    const commands = await ScratchDatabase.create(adminUrl(), 'bench');
    const raw = await ScratchDatabase.create(adminUrl(), 'bench_raw');
    const concurrent = await ScratchDatabase.create(adminUrl(), 'bench_concurrent');
    try {
      const store = await PostgresEventStore.open(commands.url());
      pgCommandsPerSec = Math.max(pgCommandsPerSec, await sequentialRun(store, scale.sequentialCommands));
      await store.close();
      // The same schema, created by the store itself, so the baseline cannot drift from it.
      await (await PostgresEventStore.open(raw.url())).close();
      pgRawInsertPerSec = Math.max(pgRawInsertPerSec, await rawInsertsPerSec(commands.url(), raw.url()));
      // 32 callers need more than the default pool to be concurrent at the database.
      pgConcurrentCommandsPerSec = Math.max(
        pgConcurrentCommandsPerSec,
        await concurrentRun(await PostgresEventStore.open(concurrent.url('pool_max=32')), scale.concurrentCommands),
      );
    } finally {
      await Promise.all([commands.drop(), raw.drop(), concurrent.drop()]);
    }
  }
  return { pgCommandsPerSec, pgRawInsertPerSec, pgConcurrentCommandsPerSec };
};

/** Rows per second copying every event row of `from` into `to`, one INSERT in one transaction each. */
const rawInsertsPerSec = async (from: string, to: string): Promise<number> => {
  const source = new Client({ connectionString: from });
  const target = new Client({ connectionString: to });
  await Promise.all([source.connect(), target.connect()]);
  try {
    const { rows } = await source.query<Record<string, unknown>>(
      'SELECT global_position, stream_id, position, event_id, type, data::text AS data, metadata::text AS metadata, recorded_at FROM ledger_events ORDER BY global_position',
    );
    await target.query('SET synchronous_commit = on');
    const started = performance.now();
    for (const r of rows) {
      await target.query('BEGIN');
      await target.query(
        `INSERT INTO ledger_events (global_position, transaction_id, stream_id, position, event_id, type, data, metadata, recorded_at)
         VALUES ($1, pg_current_xact_id(), $2, $3, $4, $5, $6, $7, $8)`,
        [r.global_position, r.stream_id, r.position, r.event_id, r.type, r.data, r.metadata, r.recorded_at],
      );
      await target.query('COMMIT');
    }
    return rows.length / ((performance.now() - started) / 1000);
  } finally {
    await Promise.all([source.end(), target.end()]);
  }
};
