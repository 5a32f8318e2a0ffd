import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  AppendOptions,
  AppendResult,
  conflict,
  conflictOf,
  decidedOnTopOf,
  EventMetadata,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoreFault,
  withChain,
} from './eventStore';
import { canonicalPayload, CHAIN_ALGORITHM, ChainMigration, chainHash, EMPTY_HEAD, LogHead } from './chain';
import { missingWalWarning } from './sqliteWal';

export const DEFAULT_SQLITE_PATH = './data/ledger.db';

/**
 * How long one attempt waits for another process's write lock. better-sqlite3 is synchronous, so this
 * wait blocks the event loop: it stays short, and appends retry after a pause that yields (setTimeout)
 * until their bound. Opening (the schema migration) may wait longer: nothing is served yet.
 */
const BUSY_TIMEOUT_MS = 10;
const OPEN_BUSY_TIMEOUT_MS = 5000;
const BUSY_RETRY_PAUSE_MS = 25;
/** How long an append keeps retrying a locked database before it answers STORE_BUSY. */
export const DEFAULT_BUSY_BOUND_MS = 3000;
const BUSY_RETRY_AFTER_SECONDS = 1;

const isBusy = (error: unknown): boolean => String((error as { code?: unknown } | null)?.code ?? '').startsWith('SQLITE_BUSY');

const busyFault = (what: string, error: unknown): StoreFault =>
  new StoreFault('busy', `${what}: the SQLite database is locked by another process (a backup, sqlite3, ledger seed?)`, BUSY_RETRY_AFTER_SECONDS, { cause: error });

/** A synchronous read, its lock wait answered as a StoreFault. In WAL mode readers rarely wait: a checkpoint or a recovery by another process. */
const reading = <A>(what: string, read: () => A): A => {
  try {
    return read();
  } catch (error) {
    throw isBusy(error) ? busyFault(what, error) : error;
  }
};

/**
 * Schema versions, applied in order on open; the database's `PRAGMA user_version` is the
 * number already applied. Append only: never edit a released entry, add a new one.
 */
const MIGRATIONS: ReadonlyArray<string | ((db: Database.Database) => void)> = [
  `CREATE TABLE events (
     global_position INTEGER PRIMARY KEY,
     stream_id       TEXT    NOT NULL,
     position        INTEGER NOT NULL,
     event_id        TEXT    NOT NULL UNIQUE,
     type            TEXT    NOT NULL,
     data            TEXT    NOT NULL,
     metadata        TEXT    NOT NULL,
     recorded_at     TEXT    NOT NULL,
     command_id      TEXT,
     UNIQUE (stream_id, position)
   );
   CREATE INDEX events_by_command ON events (command_id) WHERE command_id IS NOT NULL;`,
  // Several command ids per append (a requestId and an Idempotency-Key), and each stream's head, which
  // an append and its guards check without scanning the stream's events.
  `CREATE TABLE commands (
     command_id            TEXT    PRIMARY KEY,
     first_global_position INTEGER NOT NULL,
     count                 INTEGER NOT NULL
   ) WITHOUT ROWID;
   INSERT INTO commands SELECT command_id, min(global_position), count(*) FROM events WHERE command_id IS NOT NULL GROUP BY command_id;
   CREATE TABLE streams (
     stream_id TEXT    PRIMARY KEY,
     revision  INTEGER NOT NULL
   ) WITHOUT ROWID;
   INSERT INTO streams SELECT stream_id, max(position) FROM events GROUP BY stream_id;`,
  // The hash chain (billing-rules F1, F4): a log written before it is chained once, here, and the
  // migration says so in chain_migration (ledger verify reports it).
  (db) => {
    db.exec(`ALTER TABLE events ADD COLUMN chain_hash TEXT;
             ALTER TABLE events ADD COLUMN chain_algorithm TEXT;
             CREATE TABLE chain_migration (
               chained_at    TEXT    NOT NULL,
               last_position INTEGER NOT NULL,
               chain_hash    TEXT    NOT NULL,
               events        INTEGER NOT NULL
             );`);
    const update = db.prepare<[string, string, number]>('UPDATE events SET chain_hash = ?, chain_algorithm = ? WHERE global_position = ?');
    let head = EMPTY_HEAD;
    let events = 0;
    // Pages: better-sqlite3 cannot write while a statement iterates.
    const page = db.prepare<[number], EventRow>(`SELECT ${COLUMNS} FROM events WHERE global_position > ? ORDER BY global_position LIMIT 1000`);
    for (let rows = page.all(head.position); rows.length > 0; rows = page.all(head.position)) {
      for (const row of rows) {
        head = { position: row.global_position, chainHash: chainHash(head.chainHash, toRecorded(row)) };
        update.run(head.chainHash, CHAIN_ALGORITHM, row.global_position);
      }
      events += rows.length;
    }
    if (events > 0) {
      db.prepare('INSERT INTO chain_migration (chained_at, last_position, chain_hash, events) VALUES (?, ?, ?, ?)').run(
        new Date().toISOString(),
        head.position,
        head.chainHash,
        events,
      );
    }
  },
];

export interface SqliteEventStoreOptions {
  readonly clock?: () => Date;
  /** Rows fetched per query by `readAll`; bounds its memory whatever the log's size. */
  readonly readAllPageSize?: number;
  /** Where a warning found at open goes (default: standard error). */
  readonly warn?: (message: string) => void;
  /** How long an append retries a database another process has locked before STORE_BUSY (default DEFAULT_BUSY_BOUND_MS). */
  readonly busyBoundMs?: number;
}

interface EventRow {
  readonly global_position: number;
  readonly stream_id: string;
  readonly position: number;
  readonly event_id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
  readonly recorded_at: string;
  readonly chain_hash: string | null;
  readonly chain_algorithm: string | null;
}

interface PendingAppend {
  readonly streamId: string;
  readonly events: ReadonlyArray<NewEvent>;
  readonly options: AppendOptions;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
  /** Past this instant (ms), a locked database answers STORE_BUSY instead of another retry. */
  readonly deadline: number;
}

type Outcome = { readonly ok: true; readonly result: AppendResult } | { readonly ok: false; readonly error: unknown };

const COLUMNS = 'global_position, stream_id, position, event_id, type, data, metadata, recorded_at, chain_hash, chain_algorithm';

const toRecorded = (row: EventRow): RecordedEvent =>
  withChain(
    {
      streamId: row.stream_id,
      position: row.position,
      globalPosition: row.global_position,
      eventId: row.event_id,
      type: row.type,
      data: JSON.parse(row.data) as unknown,
      metadata: JSON.parse(row.metadata) as EventMetadata,
      recordedAt: row.recorded_at,
    },
    row,
  );

/**
 * The embedded default store: one SQLite file, WAL journal, `synchronous=FULL` (see
 * docs/durability.md). Appends arriving in the same event-loop turn share one
 * transaction and one fsync (group commit), each with its own concurrency check and outcome.
 */
export class SqliteEventStore implements EventStore {
  /** Appends queued in one turn commit together, in the order queued (group commit, below). */
  readonly appliesAppendsInOrder = true;
  private readonly db: Database.Database;
  private readonly clock: () => Date;
  private readonly pageSize: number;
  private readonly statements: Statements;
  /** Stream reads with their LIMIT written in, one per limit used (the handler's page, 1, …): see `streamLimited`. */
  private readonly limitedReads = new Map<number, Database.Statement<[string, number], EventRow>>();
  private readonly commitBatch: (batch: ReadonlyArray<PendingAppend>) => Outcome[];
  private readonly busyBoundMs: number;
  private queue: PendingAppend[] = [];
  /** Cancels the flush scheduled (the next turn, or a retry after a busy database), if any. */
  private cancelFlush: (() => void) | undefined;
  private closed = false;
  /**
   * For streams read or written through this connection: the revision from which the stream has no
   * events, true while no other connection has committed (`PRAGMA data_version`, which one
   * connection's own commits do not change). Lets a reader that is already up to date skip the read:
   * the command handler checks several cached streams per command, with one pragma (`streamEnds`)
   * where it would read each.
   */
  private readonly ends = new Map<string, number>();
  private dataVersion = -1;

  /** `path` is a file (its folder is created) or `:memory:`. */
  constructor(path: string = DEFAULT_SQLITE_PATH, options: SqliteEventStoreOptions = {}) {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true });
      // Before opening, which would start a new WAL index over the evidence.
      const warning = missingWalWarning(path);
      if (warning !== undefined) (options.warn ?? ((m: string) => process.stderr.write(`${m}\n`)))(warning);
    }
    this.db = new Database(path, { timeout: OPEN_BUSY_TIMEOUT_MS });
    this.clock = options.clock ?? (() => new Date());
    this.pageSize = options.readAllPageSize ?? 1000;
    this.busyBoundMs = options.busyBoundMs ?? DEFAULT_BUSY_BOUND_MS;
    // WAL: readers never block the writer. FULL: the WAL is fsynced at every commit, so an
    // acknowledged append survives a process kill and a power loss. fullfsync makes macOS honest.
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('fullfsync = ON');
      migrate(this.db);
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    } catch (error) {
      this.db.close();
      throw error;
    }

    const db = this.db;
    this.statements = prepareStatements(db);
    const appendOne = (p: PendingAppend, head: LogHead, revisions: Map<string, number>) => this.appendNow(p.streamId, p.events, p.options, head, revisions);
    // Each append of a group runs in its own savepoint so that a failing one rolls back alone; one
    // alone in its transaction (a single caller's) needs none: its failure rolls back the transaction.
    const appendInSavepoint = db.transaction(appendOne);
    this.commitBatch = db
      .transaction((batch: ReadonlyArray<PendingAppend>) => {
        const append = batch.length === 1 ? appendOne : appendInSavepoint;
        // The transaction holds the write lock: the head (and the chain) moves only by the appends below.
        let head = this.readHead();
        // Streams' revisions as this group's appends found or made them: one read of each per commit,
        // where a group of one user's consumptions would read the same guarded streams for each append.
        const revisions = new Map<string, number>();
        // Streams with a refused append in this group: a later one expecting an exact revision was decided on top of it.
        const refused = new Set<string>();
        return batch.map((p): Outcome => {
          try {
            if (decidedOnTopOf(refused, p)) {
              return { ok: true, result: conflict(p.streamId, p.options.expectedRevision, this.statements.streamHead.get(p.streamId) ?? -1) };
            }
            const result = append(p, head, revisions);
            if (result.kind !== 'appended') refused.add(p.streamId);
            const last = result.kind === 'appended' ? result.events[result.events.length - 1] : undefined;
            if (last !== undefined) head = { position: last.globalPosition, chainHash: last.chainHash as string };
            return { ok: true, result };
          } catch (error) {
            // Some errors (I/O, disk full) make SQLite abandon the whole transaction; then the
            // appends reported ok above are gone too, so the batch must fail as a whole.
            if (append === appendOne || !db.inTransaction) throw error;
            refused.add(p.streamId);
            return { ok: false, error };
          }
        });
      })
      .immediate;
  }

  append(streamId: string, events: ReadonlyArray<NewEvent>, options: AppendOptions): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ streamId, events, options, resolve, reject, deadline: Date.now() + this.busyBoundMs });
      this.scheduleFlush(0);
    });
  }

  private scheduleFlush(afterMs: number): void {
    if (this.cancelFlush !== undefined) return;
    if (afterMs === 0) {
      const immediate = setImmediate(() => this.flush());
      this.cancelFlush = () => clearImmediate(immediate);
    } else {
      const timer = setTimeout(() => this.flush(), afterMs);
      this.cancelFlush = () => clearTimeout(timer);
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<ReadonlyArray<RecordedEvent>> {
    const from = options.fromRevision ?? 0;
    this.forgetEndsIfOthersWrote();
    const end = this.ends.get(streamId);
    if (end !== undefined && from >= end) return [];
    const rows = reading(`read ${streamId}`, () =>
      options.limit === undefined ? this.statements.stream.all(streamId, from) : this.streamLimitedTo(options.limit as number).all(streamId, from),
    );
    // Read to the stream's end: what was read is all there is, until someone appends.
    if (options.limit === undefined || rows.length < options.limit) this.knowEnd(streamId, rows.length === 0 ? from : (rows[rows.length - 1] as EventRow).position + 1);
    return rows.map(toRecorded);
  }

  async streamEnds(): Promise<(streamId: string) => number | undefined> {
    this.forgetEndsIfOthersWrote();
    return this.knownEnd;
  }

  private readonly knownEnd = (streamId: string): number | undefined => this.ends.get(streamId);

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    // Keyset pages rather than one open cursor: the connection stays free for appends between
    // pages, and memory holds one page whatever the log's length.
    let after = options.after ?? -1;
    let remaining = options.limit ?? Infinity;
    const prefix = options.streamPrefix;
    while (remaining > 0) {
      const size = Math.min(this.pageSize, remaining);
      const rows = reading('read the log', () =>
        prefix === undefined ? this.statements.page.all(after, size) : this.statements.pageOfPrefix.all(after, prefix, prefixEnd(prefix), size),
      );
      for (const row of rows) yield toRecorded(row);
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < this.pageSize) return;
      after = last.global_position;
      remaining -= rows.length;
    }
  }

  async readCommand(commandId: string): Promise<ReadonlyArray<RecordedEvent> | undefined> {
    return reading(`read command ${commandId}`, () => this.commandEvents(commandId));
  }

  async headPosition(): Promise<number> {
    return reading('read the log head', () => this.statements.head.get() ?? -1);
  }

  /**
   * A copy of the database at `destination` through SQLite's online backup API: consistent (one
   * snapshot of the log, committed appends only), safe while this and other processes write. The
   * copy is a ledger of its own: start on it to restore.
   */
  async backup(destination: string): Promise<void> {
    // After the first step, the rest in one: a write by another connection between steps would restart the copy.
    await this.db.backup(destination, { progress: ({ remainingPages }) => Math.max(remainingPages, 1) });
  }

  /** SQLite's own check of the file (`PRAGMA integrity_check`): "ok", or what is wrong. */
  integrityCheck(): string {
    return (this.db.pragma('integrity_check', { simple: false }) as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ');
  }

  async logHead(): Promise<LogHead> {
    return this.readHead();
  }

  async chainMigration(): Promise<ChainMigration | undefined> {
    const row = this.statements.chainMigration.get();
    return row === undefined ? undefined : { chainedAt: row.chained_at, position: row.last_position, chainHash: row.chain_hash, events: row.events };
  }

  private readHead(): LogHead {
    const row = this.statements.lastEvent.get();
    return row === undefined ? EMPTY_HEAD : { position: row.global_position, chainHash: row.chain_hash ?? '' };
  }

  async close(): Promise<void> {
    if (this.cancelFlush !== undefined) {
      this.cancelFlush();
      this.cancelFlush = undefined;
      this.closed = true;
      this.flush();
    }
    this.closed = true;
    this.db.close();
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.cancelFlush = undefined;
    let outcomes: Outcome[];
    try {
      outcomes = this.commitBatch(batch);
    } catch (error) {
      // The transaction never began (BEGIN IMMEDIATE waits for the lock), so nothing was written: try again later.
      if (isBusy(error)) this.retryLater(batch, error);
      else for (const p of batch) p.reject(error);
      return;
    }
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome.ok && outcome.result.kind === 'appended') this.knowEnd((batch[i] as PendingAppend).streamId, outcome.result.nextExpectedRevision + 1);
    }
    // Only now, after COMMIT (and its fsync) returned, is any append acknowledged.
    outcomes.forEach((outcome, i) => {
      const p = batch[i] as PendingAppend;
      if (outcome.ok) p.resolve(outcome.result);
      else p.reject(outcome.error);
    });
  }

  /**
   * Another process holds the write lock: the appends past their bound answer STORE_BUSY, the others
   * go back to the head of the queue (before any that arrived meanwhile, which join their retry).
   * As in a commit, a later append to a stream whose append was given up, expecting an exact
   * revision, is given up too: it was decided on top of that one.
   */
  private retryLater(batch: ReadonlyArray<PendingAppend>, error: unknown): void {
    const now = Date.now();
    const waiting: PendingAppend[] = [];
    const givenUp = new Set<string>();
    for (const p of batch) {
      if (this.closed || p.deadline <= now || decidedOnTopOf(givenUp, p)) {
        givenUp.add(p.streamId);
        p.reject(busyFault(`append to ${p.streamId} (retried for ${this.busyBoundMs} ms)`, error));
      } else waiting.push(p);
    }
    this.queue = [...waiting, ...this.queue];
    if (this.queue.length > 0 && !this.closed) this.scheduleFlush(BUSY_RETRY_PAUSE_MS);
  }

  /** Another connection (process) committed since the last look: nothing known of any stream's end holds any more. */
  private forgetEndsIfOthersWrote(): void {
    const version = this.statements.dataVersion.get() as number;
    if (version !== this.dataVersion) {
      this.ends.clear();
      this.dataVersion = version;
    }
  }

  /**
   * The limited stream read for `limit`: a statement with the number written in, prepared once,
   * for the few limits a process uses (the stream cache reads every stream in pages); past those,
   * the statement with a bound LIMIT, which SQLite prepares again at every run (~15 µs more a read).
   */
  private streamLimitedTo(limit: number): { all(streamId: string, from: number): EventRow[] } {
    const known = this.limitedReads.get(limit);
    if (known !== undefined) return known;
    if (!Number.isSafeInteger(limit) || limit < 0 || this.limitedReads.size >= MAX_LIMITED_READS) {
      return { all: (streamId, from) => this.statements.streamLimited.all(streamId, from, limit) };
    }
    const prepared = this.db.prepare<[string, number], EventRow>(`SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND position >= ? ORDER BY position LIMIT ${limit}`);
    this.limitedReads.set(limit, prepared);
    return prepared;
  }

  private knowEnd(streamId: string, end: number): void {
    // Bounded: forgetting only costs a read.
    if (this.ends.size >= MAX_KNOWN_ENDS) this.ends.clear();
    this.ends.set(streamId, end);
  }

  private commandEvents(commandId: string): ReadonlyArray<RecordedEvent> | undefined {
    const command = this.statements.command.get(commandId);
    return command === undefined ? undefined : this.statements.range.all(command.first_global_position, command.first_global_position + command.count).map(toRecorded);
  }

  /**
   * Runs inside the batch's write transaction, which serialises it against every other writer;
   * `head` is the log's last event and its chain hash.
   */
  private appendNow(streamId: string, events: ReadonlyArray<NewEvent>, options: AppendOptions, head: LogHead, revisions: Map<string, number>): AppendResult {
    const commandIds = options.commandIds ?? [];
    for (const id of commandIds) {
      const previous = this.commandEvents(id);
      const last = previous?.[previous.length - 1];
      if (previous !== undefined && last !== undefined) return { kind: 'duplicate', nextExpectedRevision: last.position, events: previous };
    }
    // Read within the transaction, which only the appends of this group change: each updates its stream below, once written.
    const revisionOf = (id: string) => {
      let revision = revisions.get(id);
      if (revision === undefined) {
        revision = this.statements.streamHead.get(id) ?? -1;
        revisions.set(id, revision);
      }
      return revision;
    };
    const refused = conflictOf(streamId, options, {
      revisionOf,
      firstUnder: (prefix, after) => this.statements.firstUnder.get(after, prefix, prefixEnd(prefix)) ?? undefined,
    });
    if (refused !== undefined) return refused;
    const current = revisionOf(streamId);
    const recordedAt = this.clock().toISOString();
    let previous = head.chainHash;
    const recorded = events.map((e, i): RecordedEvent => {
      const position = current + 1 + i;
      const globalPosition = head.position + 1 + i;
      const data = e.data ?? null;
      const fields = { streamId, position, globalPosition, eventId: e.eventId, type: e.type, data, metadata: e.metadata };
      // Serialised once, for the chain and the row: the stored JSON is the canonical JSON the hash covers.
      const payload = canonicalPayload(fields);
      previous = chainHash(previous, fields, payload);
      // A literal, not a spread of `fields`: a spread here cost a third of the insert below (CPU profile, 32 callers).
      const event: RecordedEvent = { streamId, position, globalPosition, eventId: e.eventId, type: e.type, data, metadata: e.metadata, recordedAt, chainHash: previous, chainAlgorithm: CHAIN_ALGORITHM };
      this.statements.insert.run(globalPosition, streamId, position, e.eventId, e.type, payload.data, payload.metadata, recordedAt, null, previous, CHAIN_ALGORITHM);
      return event;
    });
    if (events.length > 0) {
      this.statements.upsertStream.run(streamId, current + events.length);
      for (const id of commandIds) this.statements.insertCommand.run(id, head.position + 1, events.length);
    }
    // Only now: an append that throws above is rolled back (its savepoint), and the stream with it.
    revisions.set(streamId, current + events.length);
    return { kind: 'appended', nextExpectedRevision: current + events.length, events: recorded };
  }
}

const MAX_KNOWN_ENDS = 100_000;
const MAX_LIMITED_READS = 16;

const prepareStatements = (db: Database.Database) => ({
  dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
  head: db.prepare<[], number | null>('SELECT max(global_position) FROM events').pluck(),
  lastEvent: db.prepare<[], { global_position: number; chain_hash: string | null }>(
    'SELECT global_position, chain_hash FROM events ORDER BY global_position DESC LIMIT 1',
  ),
  chainMigration: db.prepare<[], { chained_at: string; last_position: number; chain_hash: string; events: number }>(
    'SELECT chained_at, last_position, chain_hash, events FROM chain_migration',
  ),
  streamHead: db.prepare<[string], number | null>('SELECT revision FROM streams WHERE stream_id = ?').pluck(),
  upsertStream: db.prepare<[string, number]>(
    `INSERT INTO streams (stream_id, revision) VALUES (?, ?) ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision`,
  ),
  // A prefix guard scans the events after its position by global position (the primary key): few, since
  // it is a moment old. `+stream_id` keeps SQLite off the stream index, which would visit the prefix's every event.
  firstUnder: db
    .prepare<[number, string, string], number | null>(
      'SELECT min(global_position) FROM events WHERE global_position > ? AND +stream_id >= ? AND +stream_id < ?',
    )
    .pluck(),
  command: db.prepare<[string], { first_global_position: number; count: number }>('SELECT first_global_position, count FROM commands WHERE command_id = ?'),
  insertCommand: db.prepare<[string, number, number]>('INSERT INTO commands (command_id, first_global_position, count) VALUES (?, ?, ?)'),
  range: db.prepare<[number, number], EventRow>(`SELECT ${COLUMNS} FROM events WHERE global_position >= ? AND global_position < ? ORDER BY global_position`),
  insert: db.prepare(
    `INSERT INTO events (global_position, stream_id, position, event_id, type, data, metadata, recorded_at, command_id, chain_hash, chain_algorithm)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ),
  // A bound LIMIT makes SQLite re-prepare the statement at every run (the planner reads its value):
  // 15–20 µs against 5 µs, and the handler reads streams several times per command. So the
  // unlimited read has a statement of its own, and the usual limits one each (streamLimitedTo).
  stream: db.prepare<[string, number], EventRow>(`SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND position >= ? ORDER BY position`),
  streamLimited: db.prepare<[string, number, number], EventRow>(
    `SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND position >= ? ORDER BY position LIMIT ?`,
  ),
  page: db.prepare<[number, number], EventRow>(
    `SELECT ${COLUMNS} FROM events WHERE global_position > ? ORDER BY global_position LIMIT ?`,
  ),
  // A range on stream_id (the UNIQUE(stream_id, position) index) rather than LIKE, which would
  // treat `_` in ids as a wildcard.
  pageOfPrefix: db.prepare<[number, string, string, number], EventRow>(
    `SELECT ${COLUMNS} FROM events WHERE global_position > ? AND stream_id >= ? AND stream_id < ? ORDER BY global_position LIMIT ?`,
  ),
});

/** The least string above every id that starts with `prefix`: prefix reads are ranges on stream_id, not LIKE (`_` is a wildcard there). */
const prefixEnd = (prefix: string): string => `${prefix}\u{10ffff}`;

type Statements = ReturnType<typeof prepareStatements>;

const migrate = (db: Database.Database): void => {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new Error(`database schema version ${version} is newer than this build knows (${MIGRATIONS.length})`);
    }
    for (const step of MIGRATIONS.slice(version)) {
      if (typeof step === 'string') db.exec(step);
      else step(db);
    }
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
};
