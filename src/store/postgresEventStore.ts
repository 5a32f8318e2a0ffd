import { createHash } from 'node:crypto';
import { Pool, PoolClient, PoolConfig } from 'pg';
import {
  AppendOptions,
  AppendResult,
  checkExpectedRevision,
  checkGuards,
  EventMetadata,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
} from './eventStore';

/**
 * Schema versions, applied in order on open (see `migrate`); `ledger_schema.version` is the number
 * already applied. Append only: never edit a released entry, add a new one.
 *
 * Why the functions: `ledger_write` is where an append gets its transaction id and its global
 * positions, together, under a short lock (docs/stores.md, "Global order"); `ledger_lock` takes an
 * append's advisory locks one by one in the order given, which a single SELECT does not promise.
 */
const MIGRATIONS: ReadonlyArray<string> = [
  `CREATE SEQUENCE ledger_global_position MINVALUE 0 START 0;
   CREATE TABLE ledger_events (
     global_position bigint      PRIMARY KEY,
     transaction_id  xid8        NOT NULL,
     stream_id       text        COLLATE "C" NOT NULL,
     position        integer     NOT NULL,
     event_id        text        NOT NULL UNIQUE,
     type            text        NOT NULL,
     data            json        NOT NULL,
     metadata        json        NOT NULL,
     recorded_at     timestamptz NOT NULL,
     UNIQUE (stream_id, position)
   );
   CREATE TABLE ledger_streams (
     stream_id            text    COLLATE "C" PRIMARY KEY,
     revision             integer NOT NULL,
     last_global_position bigint  NOT NULL
   );
   CREATE TABLE ledger_commands (
     command_id            text    PRIMARY KEY,
     first_global_position bigint  NOT NULL,
     count                 integer NOT NULL
   );
   CREATE FUNCTION ledger_lock(keys bigint[], exclusive boolean[]) RETURNS void LANGUAGE plpgsql AS $$
   BEGIN
     FOR i IN 1 .. coalesce(array_length(keys, 1), 0) LOOP
       IF exclusive[i] THEN PERFORM pg_advisory_xact_lock(keys[i]); ELSE PERFORM pg_advisory_xact_lock_shared(keys[i]); END IF;
     END LOOP;
   END $$;
   CREATE FUNCTION ledger_write(
     allocation_lock bigint, stream text, first_revision integer, recorded timestamptz,
     event_ids text[], types text[], datas json[], metadatas json[], command_ids text[]
   ) RETURNS bigint LANGUAGE plpgsql AS $$
   DECLARE
     n   integer := array_length(event_ids, 1);
     xid xid8;
     first bigint;
   BEGIN
     IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
       RAISE EXCEPTION 'ledger_write must be the first write of its transaction (its global order relies on it)';
     END IF;
     PERFORM pg_advisory_lock(allocation_lock);
     xid := pg_current_xact_id();
     first := nextval('ledger_global_position');
     IF n > 1 THEN PERFORM setval('ledger_global_position', first + n - 1); END IF;
     PERFORM pg_advisory_unlock(allocation_lock);
     INSERT INTO ledger_events (global_position, transaction_id, stream_id, position, event_id, type, data, metadata, recorded_at)
       SELECT first + i - 1, xid, stream, first_revision + i - 1, event_ids[i], types[i], datas[i], metadatas[i], recorded
       FROM generate_series(1, n) AS i;
     INSERT INTO ledger_streams (stream_id, revision, last_global_position) VALUES (stream, first_revision + n - 1, first + n - 1)
       ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision, last_global_position = excluded.last_global_position;
     INSERT INTO ledger_commands (command_id, first_global_position, count) SELECT c, first, n FROM unnest(command_ids) AS c;
     RETURN first;
   END $$;`,
];

/** Advisory lock keys of their own: a 64-bit hash of a namespaced name. */
const lockKey = (name: string): string => createHash('sha256').update(`ledger:${name}`).digest().readBigInt64BE(0).toString();
const MIGRATION_LOCK = lockKey('migration');
const ALLOCATION_LOCK = lockKey('allocation');
const streamKey = (streamId: string): string => lockKey(`stream:${streamId}`);
const prefixKey = (prefix: string): string => lockKey(`prefix:${prefix}`);

/** Every `/`-terminated prefix of a stream id, and the empty one: what a writer locks shared. */
const slashPrefixes = (streamId: string): string[] => {
  const out = [''];
  for (let i = streamId.indexOf('/'); i >= 0; i = streamId.indexOf('/', i + 1)) out.push(streamId.slice(0, i + 1));
  return out;
};

/** The lock a prefix guard takes: its longest `/`-terminated prefix, which every writer under the guard's prefix holds shared. */
const guardLockPrefix = (prefix: string): string => prefix.slice(0, prefix.lastIndexOf('/') + 1);

/** The least string above every id that starts with `prefix` (ids compare bytewise: COLLATE "C"). */
const prefixEnd = (prefix: string): string => `${prefix}\u{10ffff}`;

export interface PostgresEventStoreOptions {
  readonly clock?: () => Date;
  /** Rows fetched per query by `readAll`. */
  readonly readAllPageSize?: number;
  /**
   * How long a reader waits for appends older than the newest committed one to finish before it
   * settles for the position below them (stale, never skipping). See docs/stores.md.
   */
  readonly visibilityWaitMs?: number;
}

interface EventRow {
  readonly global_position: string;
  readonly stream_id: string;
  readonly position: number;
  readonly event_id: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
  readonly recorded_at: Date;
}

const COLUMNS = 'global_position, stream_id, position, event_id, type, data, metadata, recorded_at';

/** bigint columns arrive as text; beyond 2^53 a position would silently round. */
const toPosition = (text: string): number => {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`global position ${text} is not a safe integer`);
  return n;
};

const toRecorded = (row: EventRow): RecordedEvent => ({
  streamId: row.stream_id,
  position: row.position,
  globalPosition: toPosition(row.global_position),
  eventId: row.event_id,
  type: row.type,
  data: row.data,
  metadata: row.metadata,
  recordedAt: row.recorded_at.toISOString(),
});

/** SQLSTATE of a lock wait that PostgreSQL broke as a deadlock; the append is retried. */
const DEADLOCK_DETECTED = '40P01';
const isDeadlock = (error: unknown): boolean => (error as { code?: unknown }).code === DEADLOCK_DETECTED;

/** Pool size unless the URL says `pool_max=N` (a ledger parameter, taken out before pg sees the URL). */
export const DEFAULT_POOL_MAX = 10;

/** The pg pool settings for a `postgres://` / `postgresql://` URL; `sslmode` and the rest are pg's own. */
export const poolConfigFrom = (url: string): PoolConfig => {
  const parsed = new URL(url);
  const poolMax = parsed.searchParams.get('pool_max');
  parsed.searchParams.delete('pool_max');
  const max = poolMax === null ? DEFAULT_POOL_MAX : Number(poolMax);
  if (!Number.isSafeInteger(max) || max < 1 || max > 1000) throw new Error(`pool_max must be an integer from 1 to 1000, not "${poolMax}"`);
  return { connectionString: parsed.toString(), max };
};

/**
 * PostgreSQL store: several ledger processes share one database (docs/stores.md). An append is one
 * transaction: advisory locks on what it reads and writes, taken in one order; then its checks;
 * then `ledger_write`. Readers see the log only up to the last position below which no append is
 * still in flight, so a checkpoint never passes an event that commits later.
 */
export class PostgresEventStore implements EventStore {
  private readonly clock: () => Date;
  private readonly pageSize: number;
  private readonly visibilityWaitMs: number;

  private constructor(
    private readonly pool: Pool,
    options: PostgresEventStoreOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.pageSize = options.readAllPageSize ?? 1000;
    this.visibilityWaitMs = options.visibilityWaitMs ?? 5000;
  }

  /** Connects, creates or migrates the schema, and returns the store. */
  static async open(url: string, options: PostgresEventStoreOptions = {}): Promise<PostgresEventStore> {
    const pool = new Pool(poolConfigFrom(url));
    // An acknowledged append must survive a crash of the server too, whatever the server's default.
    pool.on('connect', (client) => void client.query('SET synchronous_commit = on').catch(() => undefined));
    // An idle client's connection dropping must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    try {
      await migrate(pool);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresEventStore(pool, options);
  }

  async append(streamId: string, events: ReadonlyArray<NewEvent>, options: AppendOptions): Promise<AppendResult> {
    for (;;) {
      try {
        return await this.transaction((client) => this.appendIn(client, streamId, events, options));
      } catch (error) {
        // Locks are taken in one order, so only a lock this code does not know of can deadlock; try again.
        if (!isDeadlock(error)) throw error;
      }
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<ReadonlyArray<RecordedEvent>> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM ledger_events WHERE stream_id = $1 AND position >= $2 ORDER BY position LIMIT $3`,
      [streamId, options.fromRevision ?? 0, options.limit ?? null],
    );
    return rows.map(toRecorded);
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    // Every event up to `settled` has committed or never will: pages below it never change.
    const settled = await this.headPosition();
    const until = Math.min(settled, options.until ?? Infinity);
    let after = options.after ?? -1;
    let remaining = options.limit ?? Infinity;
    const prefix = options.streamPrefix;
    while (remaining > 0 && after < until) {
      const size = Math.min(this.pageSize, remaining);
      const { rows } =
        prefix === undefined
          ? await this.pool.query<EventRow>(
              `SELECT ${COLUMNS} FROM ledger_events WHERE global_position > $1 AND global_position <= $2 ORDER BY global_position LIMIT $3`,
              [after, until, size],
            )
          : await this.pool.query<EventRow>(
              `SELECT ${COLUMNS} FROM ledger_events WHERE global_position > $1 AND global_position <= $2 AND stream_id >= $3 AND stream_id < $4
               ORDER BY global_position LIMIT $5`,
              [after, until, prefix, prefixEnd(prefix), size],
            );
      for (const row of rows) yield toRecorded(row);
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < size) return;
      after = toPosition(last.global_position);
      remaining -= rows.length;
    }
  }

  async readCommand(commandId: string): Promise<ReadonlyArray<RecordedEvent> | undefined> {
    return commandEvents(this.pool, commandId);
  }

  /**
   * The newest position below which every append has finished. Appends get their transaction id and
   * positions together (ledger_write), so an event whose transaction id is below the oldest one in
   * flight has no unfinished append before it. When newer events are already committed, it waits
   * (up to visibilityWaitMs) for the older appends to finish, so that what was acknowledged is read.
   */
  async headPosition(): Promise<number> {
    const deadline = Date.now() + this.visibilityWaitMs;
    let target: number | undefined;
    for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
      const { rows } = await this.pool.query<{ committed: string | null; settled: string | null }>(
        `SELECT (SELECT max(global_position) FROM ledger_events) AS committed,
                (SELECT global_position FROM ledger_events WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
                 ORDER BY global_position DESC LIMIT 1) AS settled`,
      );
      const row = rows[0];
      const settled = row?.settled == null ? -1 : toPosition(row.settled);
      target ??= row?.committed == null ? -1 : toPosition(row.committed);
      if (settled >= target || Date.now() >= deadline) return settled;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
        // ledger_write holds the allocation lock (session level) only between two statements that
        // cannot fail in practice; should one have, the lock must not outlive this append.
        await client.query('SELECT pg_advisory_unlock_all()');
      } catch (cleanup) {
        broken = cleanup as Error;
      }
      throw error;
    } finally {
      // A connection in an unknown state is closed rather than given to the next append.
      client.release(broken);
    }
  }

  private async appendIn(client: PoolClient, streamId: string, events: ReadonlyArray<NewEvent>, options: AppendOptions): Promise<AppendResult> {
    const commandIds = options.commandIds ?? [];
    const guards = options.guards ?? [];
    await lockFor(client, streamId, commandIds, guards);

    // After the locks: each statement reads what every earlier holder committed (READ COMMITTED).
    for (const id of commandIds) {
      const previous = await commandEvents(client, id);
      const last = previous?.[previous.length - 1];
      if (previous !== undefined && last !== undefined) return { nextExpectedRevision: last.position, events: previous, duplicate: true };
    }
    const read = [streamId, ...guards.flatMap((g) => (g.kind === 'stream' ? [g.streamId] : []))];
    const { rows } = await client.query<{ stream_id: string; revision: number }>('SELECT stream_id, revision FROM ledger_streams WHERE stream_id = ANY($1)', [read]);
    const revisions = new Map(rows.map((r) => [r.stream_id, r.revision]));
    const revisionOf = (id: string): number => revisions.get(id) ?? -1;
    const current = revisionOf(streamId);
    checkExpectedRevision(streamId, options.expectedRevision, current);
    const firstUnder = new Map<string, number | undefined>();
    for (const g of guards) {
      if (g.kind !== 'prefix') continue;
      const { rows: found } = await client.query<{ first: string | null }>(
        `SELECT min(e.global_position) AS first FROM ledger_streams s JOIN ledger_events e ON e.stream_id = s.stream_id AND e.global_position > $1
         WHERE s.stream_id >= $2 AND s.stream_id < $3 AND s.last_global_position > $1`,
        [g.after, g.streamPrefix, prefixEnd(g.streamPrefix)],
      );
      const first = found[0]?.first;
      firstUnder.set(`${g.streamPrefix}\u0000${g.after}`, first == null ? undefined : toPosition(first));
    }
    checkGuards(guards, revisionOf, (prefix, after) => firstUnder.get(`${prefix}\u0000${after}`));
    if (events.length === 0) return { nextExpectedRevision: current, events: [], duplicate: false };

    const recordedAt = this.clock().toISOString();
    const { rows: written } = await client.query<{ first: string }>(
      'SELECT ledger_write($1, $2, $3, $4, $5, $6, $7::json[], $8::json[], $9) AS first',
      [
        ALLOCATION_LOCK,
        streamId,
        current + 1,
        recordedAt,
        events.map((e) => e.eventId),
        events.map((e) => e.type),
        events.map((e) => JSON.stringify(e.data ?? null)),
        events.map((e) => JSON.stringify(e.metadata)),
        commandIds,
      ],
    );
    const first = toPosition((written[0] as { first: string }).first);
    const recorded = events.map(
      (e, i): RecordedEvent => ({
        streamId,
        position: current + 1 + i,
        globalPosition: first + i,
        eventId: e.eventId,
        type: e.type,
        data: e.data ?? null,
        metadata: e.metadata,
        recordedAt,
      }),
    );
    return { nextExpectedRevision: current + events.length, events: recorded, duplicate: false };
  }
}

/**
 * The append's advisory locks, in ascending key order so that two appends never wait for each
 * other in a cycle: exclusive on its command ids and its stream; shared on streams it guards and on
 * every `/`-prefix of its stream (writers under a prefix do not exclude each other); exclusive on
 * the prefix a prefix guard covers, which waits for every writer under it and keeps new ones out
 * until this append commits.
 */
const lockFor = async (client: PoolClient, streamId: string, commandIds: ReadonlyArray<string>, guards: AppendOptions['guards'] = []): Promise<void> => {
  const locks = new Map<string, boolean>();
  const want = (key: string, exclusive: boolean): void => {
    locks.set(key, exclusive || (locks.get(key) ?? false));
  };
  for (const id of commandIds) want(lockKey(`command:${id}`), true);
  want(streamKey(streamId), true);
  for (const prefix of slashPrefixes(streamId)) want(prefixKey(prefix), false);
  for (const g of guards) {
    if (g.kind === 'stream') want(streamKey(g.streamId), false);
    else want(prefixKey(guardLockPrefix(g.streamPrefix)), true);
  }
  const ordered = [...locks].sort(([a], [b]) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
  await client.query('SELECT ledger_lock($1::bigint[], $2::boolean[])', [ordered.map(([k]) => k), ordered.map(([, x]) => x)]);
};

const commandEvents = async (db: Pool | PoolClient, commandId: string): Promise<ReadonlyArray<RecordedEvent> | undefined> => {
  const { rows } = await db.query<EventRow & { found: boolean }>(
    `SELECT ${COLUMNS.split(', ')
      .map((c) => `e.${c}`)
      .join(', ')} FROM ledger_commands c JOIN ledger_events e
       ON e.global_position >= c.first_global_position AND e.global_position < c.first_global_position + c.count
     WHERE c.command_id = $1 ORDER BY e.global_position`,
    [commandId],
  );
  return rows.length === 0 ? undefined : rows.map(toRecorded);
};

/**
 * Creates or upgrades the schema in one transaction under an advisory lock, so that several nodes
 * starting together migrate once and the others find it done.
 */
const migrate = async (pool: Pool): Promise<void> => {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS ledger_schema (version integer NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM ledger_schema');
    const version = rows[0]?.version ?? 0;
    if (version > MIGRATIONS.length) throw new Error(`database schema version ${version} is newer than this build knows (${MIGRATIONS.length})`);
    for (const sql of MIGRATIONS.slice(version)) await client.query(sql);
    if (rows.length === 0) await client.query('INSERT INTO ledger_schema (version) VALUES ($1)', [MIGRATIONS.length]);
    else await client.query('UPDATE ledger_schema SET version = $1', [MIGRATIONS.length]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
};
