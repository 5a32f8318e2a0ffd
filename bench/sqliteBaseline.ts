import Database from 'better-sqlite3';
import { performance } from 'node:perf_hooks';

/**
 * The baselines: bare better-sqlite3 on the store's own table shape (its schema read from a store
 * file, so it cannot drift) with the store's pragmas, and nothing of ours in between.
 */
export const bareTwin = (storePath: string, path: string): Database.Database => {
  const source = new Database(storePath, { readonly: true });
  const schema = source.prepare<[], string>("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid").pluck().all();
  source.close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('fullfsync = ON');
  for (const sql of schema) db.exec(sql);
  return db;
};

type Row = ReadonlyArray<unknown>;

/** Every row of the store's events table, in global order, as positional values. */
export const eventRows = (storePath: string): ReadonlyArray<Row> => {
  const db = new Database(storePath, { readonly: true });
  try {
    return db.prepare('SELECT * FROM events ORDER BY global_position').raw().all() as Row[];
  } finally {
    db.close();
  }
};

/** Rows per second inserting `rows` into the twin, `perTransaction` rows in each transaction. */
export const insertRowsPerSec = (db: Database.Database, rows: ReadonlyArray<Row>, perTransaction: number): number => {
  const first = rows[0];
  if (first === undefined) return 0;
  const insert = db.prepare(`INSERT INTO events VALUES (${first.map(() => '?').join(', ')})`);
  const batch = db.transaction((slice: ReadonlyArray<Row>) => {
    for (const row of slice) insert.run(...row);
  });
  const started = performance.now();
  for (let i = 0; i < rows.length; i += perTransaction) batch.immediate(rows.slice(i, i + perTransaction));
  return rows.length / ((performance.now() - started) / 1000);
};

/**
 * An ordered scan of the whole table, or of one stream's rows (`streamId`, by the store's own
 * query), parsing each row's data and metadata: what any fold of those events reads at least.
 */
export const rawScan = (storePath: string, streamId?: string): { readonly events: number; readonly ms: number } => {
  const db = new Database(storePath, { readonly: true });
  try {
    const rows =
      streamId === undefined
        ? db.prepare<[], { data: string; metadata: string }>('SELECT * FROM events ORDER BY global_position').iterate()
        : db.prepare<[string], { data: string; metadata: string }>('SELECT * FROM events WHERE stream_id = ? AND position >= 0 ORDER BY position').iterate(streamId);
    const started = performance.now();
    let events = 0;
    for (const row of rows) {
      JSON.parse(row.data);
      JSON.parse(row.metadata);
      events += 1;
    }
    return { events, ms: performance.now() - started };
  } finally {
    db.close();
  }
};

/** Events per second of an ordered scan of the whole table (rawScan). */
export const rawScanPerSec = (storePath: string): { readonly events: number; readonly perSec: number } => {
  const { events, ms } = rawScan(storePath);
  return { events, perSec: events / (ms / 1000) };
};
