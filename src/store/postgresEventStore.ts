import { createHash } from 'node:crypto';
import { DatabaseError, Pool, PoolClient, PoolConfig, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import {
  AppendOptions,
  AppendResult,
  conflict,
  conflictOf,
  decidedOnTopOf,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoreFault,
  withChain,
} from './eventStore';
import { canonicalPayload, canonicalPieces, CHAIN_ALGORITHM, chainAfter, ChainMigration, EMPTY_HEAD, LogHead } from './chain';

/**
 * Schema versions, applied in order on open (see `migrate`); `ledger_schema.version` is the number
 * already applied. Append only: never edit a released entry, add a new one.
 *
 * Why a function: a group of appends is then one statement, so one round trip and its own (implicit)
 * transaction. It takes the advisory locks one by one in the order given (which a single SELECT does
 * not promise), reads what each append's checks need, and writes only if they hold; either way it
 * returns what it read, and the port's TypeScript checks decide each outcome.
 */
const MIGRATIONS: ReadonlyArray<string | ((client: PoolClient) => Promise<void>)> = [
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
     stream_id text    COLLATE "C" PRIMARY KEY,
     revision  integer NOT NULL
   );
   CREATE TABLE ledger_commands (
     command_id            text    PRIMARY KEY,
     first_global_position bigint  NOT NULL,
     count                 integer NOT NULL
   );
   -- The one place that knows what an ExpectedRevision means in SQL; the TypeScript check
   -- (checkExpectedRevision) runs again on the state returned, and must agree.
   CREATE FUNCTION ledger_expectation_holds(kind text, revision integer, current integer) RETURNS boolean
     LANGUAGE sql IMMUTABLE AS $$
       SELECT CASE kind WHEN 'any' THEN true WHEN 'noStream' THEN current < 0 WHEN 'streamExists' THEN current >= 0
                        WHEN 'exact' THEN current = revision END $$;
   CREATE FUNCTION ledger_append(
     allocation_lock bigint, lock_keys bigint[], lock_exclusive boolean[], command_ids text[],
     stream text, expected_kind text, expected_revision integer,
     guard_streams text[], guard_kinds text[], guard_revisions integer[],
     recorded timestamptz, event_ids text[], types text[], datas json[], metadatas json[]
   ) RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     n       integer := coalesce(array_length(event_ids, 1), 0);
     state   jsonb;
     current integer;
     xid     xid8;
     first   bigint;
   BEGIN
     FOR i IN 1 .. coalesce(array_length(lock_keys, 1), 0) LOOP
       IF lock_exclusive[i] THEN PERFORM pg_advisory_xact_lock(lock_keys[i]); ELSE PERFORM pg_advisory_xact_lock_shared(lock_keys[i]); END IF;
     END LOOP;
     -- A new statement, so a new snapshot (READ COMMITTED): it sees what every earlier holder of these locks committed.
     SELECT jsonb_build_object(
       'command', (SELECT jsonb_build_object('first', c.first_global_position::text, 'count', c.count)
                   FROM unnest(command_ids) WITH ORDINALITY AS u(id, ord) JOIN ledger_commands c ON c.command_id = u.id
                   ORDER BY u.ord LIMIT 1),
       'revisions', (SELECT coalesce(jsonb_object_agg(s.stream_id, s.revision), '{}') FROM ledger_streams s
                     WHERE s.stream_id = stream OR s.stream_id = ANY(guard_streams)))
       INTO state;
     current := coalesce((state->'revisions'->>stream)::integer, -1);
     IF n = 0 OR state->'command' <> 'null'
        OR NOT ledger_expectation_holds(expected_kind, expected_revision, current)
        OR EXISTS (SELECT 1 FROM unnest(guard_streams, guard_kinds, guard_revisions) AS g(id, kind, revision)
                   WHERE NOT ledger_expectation_holds(g.kind, g.revision, coalesce((state->'revisions'->>g.id)::integer, -1))) THEN
       RETURN state;
     END IF;
     -- The transaction id and the positions, together under a short lock: see docs/stores.md, "Global order".
     IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
       RAISE EXCEPTION 'ledger_append must make the first write of its transaction: the global order relies on it';
     END IF;
     PERFORM pg_advisory_lock(allocation_lock);
     xid := pg_current_xact_id();
     first := nextval('ledger_global_position');
     IF n > 1 THEN PERFORM setval('ledger_global_position', first + n - 1); END IF;
     PERFORM pg_advisory_unlock(allocation_lock);
     INSERT INTO ledger_events (global_position, transaction_id, stream_id, position, event_id, type, data, metadata, recorded_at)
       SELECT first + i - 1, xid, stream, current + i, event_ids[i], types[i], datas[i], metadatas[i], recorded
       FROM generate_series(1, n) AS i;
     INSERT INTO ledger_streams (stream_id, revision) VALUES (stream, current + n)
       ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision;
     INSERT INTO ledger_commands (command_id, first_global_position, count) SELECT c, first, n FROM unnest(command_ids) AS c;
     RETURN state || jsonb_build_object('first', first::text);
   END $$;`,
  // The hash chain (billing-rules F1, F4): a log written before it is chained once, here, and the
  // migration says so in ledger_chain_migration (ledger verify reports it).
  async (client) => {
    await client.query(`ALTER TABLE ledger_events ADD COLUMN chain_hash text, ADD COLUMN chain_algorithm text;
                        CREATE TABLE ledger_chain_migration (
                          chained_at    timestamptz NOT NULL,
                          last_position bigint      NOT NULL,
                          chain_hash    text        NOT NULL,
                          events        bigint      NOT NULL
                        );`);
    let head = EMPTY_HEAD;
    let events = 0;
    for (;;) {
      const { rows } = await client.query<EventRow>(`SELECT ${COLUMNS} FROM ledger_events WHERE global_position > $1 ORDER BY global_position LIMIT 1000`, [head.position]);
      if (rows.length === 0) break;
      const hashes = chainAfter(head.chainHash, rows.map(toRecorded));
      await client.query('UPDATE ledger_events e SET chain_hash = u.hash, chain_algorithm = $3 FROM unnest($1::bigint[], $2::text[]) AS u(position, hash) WHERE e.global_position = u.position', [
        rows.map((r) => r.global_position),
        hashes,
        CHAIN_ALGORITHM,
      ]);
      head = { position: toPosition((rows[rows.length - 1] as EventRow).global_position), chainHash: hashes[hashes.length - 1] as string };
      events += rows.length;
    }
    if (events > 0) {
      await client.query('INSERT INTO ledger_chain_migration (chained_at, last_position, chain_hash, events) VALUES (now(), $1, $2, $3)', [head.position, head.chainHash, events]);
    }
    await client.query(APPEND_WITH_CHAIN);
  },
  // Prefix guards (a SetOverage's "no consumption under the profile since P"), checked under the allocation lock.
  async (client) => {
    await client.query(APPEND_WITH_PREFIX_GUARDS);
  },
  // Group commit: the appends a node has queued, in one transaction (issue 18).
  async (client) => {
    await client.query(APPEND_GROUP);
  },
  // ledger_append_group's statements planned once per connection, by key (issue 18 item 3).
  async (client) => {
    await client.query(GENERIC_PLANS);
  },
];

/**
 * ledger_append with the chain: as before, but the allocation lock is held to the transaction's end,
 * so that the previous event has committed (or never will) when an append reads its hash: appends
 * from every node make one chain, in the log's one global order. The event's RFC 8785 JSON comes in
 * three pieces around its two positions (chain.ts, canonicalPieces); SHA-256 is PostgreSQL's own.
 */
const APPEND_WITH_CHAIN = `
   DROP FUNCTION ledger_append(bigint, bigint[], boolean[], text[], text, text, integer, text[], text[], integer[], timestamptz, text[], text[], json[], json[]);
   CREATE FUNCTION ledger_append(
     allocation_lock bigint, lock_keys bigint[], lock_exclusive boolean[], command_ids text[],
     stream text, expected_kind text, expected_revision integer,
     guard_streams text[], guard_kinds text[], guard_revisions integer[],
     recorded timestamptz, event_ids text[], types text[], datas json[], metadatas json[],
     algorithm text, heads text[], middles text[], tails text[]
   ) RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     n       integer := coalesce(array_length(event_ids, 1), 0);
     state   jsonb;
     current integer;
     xid     xid8;
     first   bigint;
     hash    bytea;
     hashes  text[] := '{}';
   BEGIN
     FOR i IN 1 .. coalesce(array_length(lock_keys, 1), 0) LOOP
       IF lock_exclusive[i] THEN PERFORM pg_advisory_xact_lock(lock_keys[i]); ELSE PERFORM pg_advisory_xact_lock_shared(lock_keys[i]); END IF;
     END LOOP;
     -- A new statement, so a new snapshot (READ COMMITTED): it sees what every earlier holder of these locks committed.
     SELECT jsonb_build_object(
       'command', (SELECT jsonb_build_object('first', c.first_global_position::text, 'count', c.count)
                   FROM unnest(command_ids) WITH ORDINALITY AS u(id, ord) JOIN ledger_commands c ON c.command_id = u.id
                   ORDER BY u.ord LIMIT 1),
       'revisions', (SELECT coalesce(jsonb_object_agg(s.stream_id, s.revision), '{}') FROM ledger_streams s
                     WHERE s.stream_id = stream OR s.stream_id = ANY(guard_streams)))
       INTO state;
     current := coalesce((state->'revisions'->>stream)::integer, -1);
     IF n = 0 OR state->'command' <> 'null'
        OR NOT ledger_expectation_holds(expected_kind, expected_revision, current)
        OR EXISTS (SELECT 1 FROM unnest(guard_streams, guard_kinds, guard_revisions) AS g(id, kind, revision)
                   WHERE NOT ledger_expectation_holds(g.kind, g.revision, coalesce((state->'revisions'->>g.id)::integer, -1))) THEN
       RETURN state;
     END IF;
     -- The transaction id and the positions, together under the allocation lock: see docs/stores.md, "Global order".
     IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
       RAISE EXCEPTION 'ledger_append must make the first write of its transaction: the global order relies on it';
     END IF;
     PERFORM pg_advisory_xact_lock(allocation_lock);
     xid := pg_current_xact_id();
     first := nextval('ledger_global_position');
     IF n > 1 THEN PERFORM setval('ledger_global_position', first + n - 1); END IF;
     -- Every earlier holder of the lock has committed or rolled back: the last row is the previous event.
     SELECT decode(e.chain_hash, 'hex') INTO hash FROM ledger_events e ORDER BY e.global_position DESC LIMIT 1;
     hash := coalesce(hash, decode(repeat('00', 32), 'hex'));
     FOR i IN 1 .. n LOOP
       hash := sha256(hash || convert_to(heads[i] || (first + i - 1)::text || middles[i] || (current + i)::text || tails[i], 'UTF8'));
       hashes := hashes || encode(hash, 'hex');
     END LOOP;
     INSERT INTO ledger_events (global_position, transaction_id, stream_id, position, event_id, type, data, metadata, recorded_at, chain_hash, chain_algorithm)
       SELECT first + i - 1, xid, stream, current + i, event_ids[i], types[i], datas[i], metadatas[i], recorded, hashes[i], algorithm
       FROM generate_series(1, n) AS i;
     INSERT INTO ledger_streams (stream_id, revision) VALUES (stream, current + n)
       ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision;
     INSERT INTO ledger_commands (command_id, first_global_position, count) SELECT c, first, n FROM unnest(command_ids) AS c;
     RETURN state || jsonb_build_object('first', first::text, 'hashes', to_jsonb(hashes));
   END $$;`;

/**
 * ledger_append with prefix guards, checked once the allocation lock is held: every earlier holder
 * has committed or rolled back, so each event below the position this append will take is visible,
 * and no other append can take a position until this one commits. So the check and the write are one
 * step in the global order, whatever streams the other appends write. Appends without a prefix guard
 * skip the check; a guarded one holds the lock for a scan of the events after its position, by
 * global position (the primary key), which are few. Otherwise as APPEND_WITH_CHAIN.
 */
const APPEND_WITH_PREFIX_GUARDS = `
   DROP FUNCTION ledger_append(bigint, bigint[], boolean[], text[], text, text, integer, text[], text[], integer[], timestamptz, text[], text[], json[], json[], text, text[], text[], text[]);
   CREATE FUNCTION ledger_append(
     allocation_lock bigint, lock_keys bigint[], lock_exclusive boolean[], command_ids text[],
     stream text, expected_kind text, expected_revision integer,
     guard_streams text[], guard_kinds text[], guard_revisions integer[],
     prefixes text[], prefix_ends text[], afters bigint[],
     recorded timestamptz, event_ids text[], types text[], datas json[], metadatas json[],
     algorithm text, heads text[], middles text[], tails text[]
   ) RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     n       integer := coalesce(array_length(event_ids, 1), 0);
     state   jsonb;
     current integer;
     xid     xid8;
     first   bigint;
     hash    bytea;
     hashes  text[] := '{}';
   BEGIN
     FOR i IN 1 .. coalesce(array_length(lock_keys, 1), 0) LOOP
       IF lock_exclusive[i] THEN PERFORM pg_advisory_xact_lock(lock_keys[i]); ELSE PERFORM pg_advisory_xact_lock_shared(lock_keys[i]); END IF;
     END LOOP;
     -- A new statement, so a new snapshot (READ COMMITTED): it sees what every earlier holder of these locks committed.
     SELECT jsonb_build_object(
       'command', (SELECT jsonb_build_object('first', c.first_global_position::text, 'count', c.count)
                   FROM unnest(command_ids) WITH ORDINALITY AS u(id, ord) JOIN ledger_commands c ON c.command_id = u.id
                   ORDER BY u.ord LIMIT 1),
       'revisions', (SELECT coalesce(jsonb_object_agg(s.stream_id, s.revision), '{}') FROM ledger_streams s
                     WHERE s.stream_id = stream OR s.stream_id = ANY(guard_streams)))
       INTO state;
     current := coalesce((state->'revisions'->>stream)::integer, -1);
     IF n = 0 OR state->'command' <> 'null'
        OR NOT ledger_expectation_holds(expected_kind, expected_revision, current)
        OR EXISTS (SELECT 1 FROM unnest(guard_streams, guard_kinds, guard_revisions) AS g(id, kind, revision)
                   WHERE NOT ledger_expectation_holds(g.kind, g.revision, coalesce((state->'revisions'->>g.id)::integer, -1))) THEN
       RETURN state;
     END IF;
     -- The transaction id and the positions, together under the allocation lock: see docs/stores.md, "Global order".
     IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
       RAISE EXCEPTION 'ledger_append must make the first write of its transaction: the global order relies on it';
     END IF;
     PERFORM pg_advisory_xact_lock(allocation_lock);
     IF coalesce(array_length(prefixes, 1), 0) > 0 THEN
       -- A new statement after the lock: it sees every event below the positions this append will take.
       state := state || jsonb_build_object('firstUnder',
         (SELECT jsonb_agg((SELECT e.global_position::text FROM ledger_events e
                            WHERE e.global_position > g.after AND e.stream_id >= g.prefix AND e.stream_id < g.prefix_end
                            ORDER BY e.global_position LIMIT 1) ORDER BY g.ord)
          FROM unnest(prefixes, prefix_ends, afters) WITH ORDINALITY AS g(prefix, prefix_end, after, ord)));
       IF EXISTS (SELECT 1 FROM jsonb_array_elements(state->'firstUnder') AS f WHERE f <> 'null') THEN
         RETURN state;
       END IF;
     END IF;
     xid := pg_current_xact_id();
     first := nextval('ledger_global_position');
     IF n > 1 THEN PERFORM setval('ledger_global_position', first + n - 1); END IF;
     -- Every earlier holder of the lock has committed or rolled back: the last row is the previous event.
     SELECT decode(e.chain_hash, 'hex') INTO hash FROM ledger_events e ORDER BY e.global_position DESC LIMIT 1;
     hash := coalesce(hash, decode(repeat('00', 32), 'hex'));
     FOR i IN 1 .. n LOOP
       hash := sha256(hash || convert_to(heads[i] || (first + i - 1)::text || middles[i] || (current + i)::text || tails[i], 'UTF8'));
       hashes := hashes || encode(hash, 'hex');
     END LOOP;
     INSERT INTO ledger_events (global_position, transaction_id, stream_id, position, event_id, type, data, metadata, recorded_at, chain_hash, chain_algorithm)
       SELECT first + i - 1, xid, stream, current + i, event_ids[i], types[i], datas[i], metadatas[i], recorded, hashes[i], algorithm
       FROM generate_series(1, n) AS i;
     INSERT INTO ledger_streams (stream_id, revision) VALUES (stream, current + n)
       ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision;
     INSERT INTO ledger_commands (command_id, first_global_position, count) SELECT c, first, n FROM unnest(command_ids) AS c;
     RETURN state || jsonb_build_object('first', first::text, 'hashes', to_jsonb(hashes));
   END $$;`;

/**
 * ledger_append_group: the appends one node has queued, in order, in one transaction: one commit
 * (one WAL flush) and one hold of the allocation lock for all of them, where the chain held that lock
 * through a commit per append, so that appends from every caller of every node waited for each other's
 * flush (32 callers: no faster than one). The locks of every append of the group are taken first, in
 * one ascending order (locksFor), so two groups never wait for each other in a cycle; then the
 * allocation lock; then each append as ledger_append did it: what its checks read (seeing the group's
 * earlier appends), and the write if they hold. An append that expects an exact revision of a stream
 * whose earlier append did not land, in this group or (`refuse`) in an earlier one, is refused: it was
 * decided on top of that one (EventStore.appliesAppendsInOrder). Returns each append's state, in order.
 */
const APPEND_GROUP = `
   DROP FUNCTION ledger_append(bigint, bigint[], boolean[], text[], text, text, integer, text[], text[], integer[], text[], text[], bigint[], timestamptz, text[], text[], json[], json[], text, text[], text[], text[]);
   CREATE FUNCTION ledger_append_group(
     allocation_lock bigint, lock_keys bigint[], lock_exclusive boolean[], recorded timestamptz, algorithm text, appends jsonb
   ) RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     a        jsonb;
     stream   text;
     n        integer;
     state    jsonb;
     current  integer;
     xid      xid8;
     first    bigint;
     hash     bytea;
     hashes   text[];
     holds    boolean;
     command_ids   text[];
     guard_streams text[];
     refused  text[] := '{}';
     states   jsonb[] := '{}';
   BEGIN
     FOR i IN 1 .. coalesce(array_length(lock_keys, 1), 0) LOOP
       IF lock_exclusive[i] THEN PERFORM pg_advisory_xact_lock(lock_keys[i]); ELSE PERFORM pg_advisory_xact_lock_shared(lock_keys[i]); END IF;
     END LOOP;
     -- The transaction id and the positions, together under the allocation lock: see docs/stores.md, "Global order".
     IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
       RAISE EXCEPTION 'ledger_append_group must make the first write of its transaction: the global order relies on it';
     END IF;
     PERFORM pg_advisory_xact_lock(allocation_lock);
     xid := pg_current_xact_id();
     -- Every earlier holder of the lock has committed or rolled back: the last row is the previous event.
     SELECT decode(e.chain_hash, 'hex') INTO hash FROM ledger_events e ORDER BY e.global_position DESC LIMIT 1;
     hash := coalesce(hash, decode(repeat('00', 32), 'hex'));
     FOR a IN SELECT value FROM jsonb_array_elements(appends) LOOP
       stream := a->>'stream';
       n := jsonb_array_length(a->'eventIds');
       -- Arrays, not subqueries over the JSON, in the read below: so its plan looks streams up by key
       -- (with a subquery in the OR it scanned ledger_streams whole, ~250 µs an append at 1,500 streams).
       command_ids := ARRAY(SELECT jsonb_array_elements_text(a->'commandIds'));
       guard_streams := ARRAY(SELECT g->>'streamId' FROM jsonb_array_elements(a->'guards') AS g);
       -- A new statement, so a new snapshot (READ COMMITTED): it sees what every earlier holder of these locks committed.
       SELECT jsonb_build_object(
         'command', (SELECT jsonb_build_object('first', c.first_global_position::text, 'count', c.count)
                     FROM unnest(command_ids) WITH ORDINALITY AS u(id, ord) JOIN ledger_commands c ON c.command_id = u.id
                     ORDER BY u.ord LIMIT 1),
         'revisions', (SELECT coalesce(jsonb_object_agg(s.stream_id, s.revision), '{}') FROM ledger_streams s
                       WHERE s.stream_id = stream OR s.stream_id = ANY(guard_streams)))
         INTO state;
       current := coalesce((state->'revisions'->>stream)::integer, -1);
       IF (a->>'refuse')::boolean OR (stream = ANY(refused) AND a->>'expectedKind' = 'exact') THEN
         state := state || '{"onTopOfRefused": true}';
         holds := false;
       ELSE
         holds := state->'command' = 'null'
           AND ledger_expectation_holds(a->>'expectedKind', (a->>'expectedRevision')::integer, current)
           AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(a->'guards') AS g
                           WHERE NOT ledger_expectation_holds(g->>'kind', (g->>'revision')::integer, coalesce((state->'revisions'->>(g->>'streamId'))::integer, -1)));
         IF holds AND jsonb_array_length(a->'prefixGuards') > 0 THEN
           -- Under the allocation lock: every event below the positions this append will take is visible.
           state := state || jsonb_build_object('firstUnder',
             (SELECT jsonb_agg((SELECT e.global_position::text FROM ledger_events e
                                WHERE e.global_position > (g->>'after')::bigint AND e.stream_id >= g->>'prefix' AND e.stream_id < g->>'end'
                                ORDER BY e.global_position LIMIT 1) ORDER BY ord)
              FROM jsonb_array_elements(a->'prefixGuards') WITH ORDINALITY AS x(g, ord)));
           holds := NOT EXISTS (SELECT 1 FROM jsonb_array_elements(state->'firstUnder') AS f WHERE f <> 'null');
         END IF;
       END IF;
       IF NOT holds THEN
         refused := refused || stream;
       ELSIF n > 0 THEN
         first := nextval('ledger_global_position');
         IF n > 1 THEN PERFORM setval('ledger_global_position', first + n - 1); END IF;
         hashes := '{}';
         FOR i IN 1 .. n LOOP
           hash := sha256(hash || convert_to((a->'heads'->>(i - 1)) || (first + i - 1)::text || (a->'middles'->>(i - 1)) || (current + i)::text || (a->'tails'->>(i - 1)), 'UTF8'));
           hashes := hashes || encode(hash, 'hex');
         END LOOP;
         INSERT INTO ledger_events (global_position, transaction_id, stream_id, position, event_id, type, data, metadata, recorded_at, chain_hash, chain_algorithm)
           SELECT first + i - 1, xid, stream, current + i, a->'eventIds'->>(i - 1), a->'types'->>(i - 1),
                  (a->'datas'->>(i - 1))::json, (a->'metadatas'->>(i - 1))::json, recorded, hashes[i], algorithm
           FROM generate_series(1, n) AS i;
         INSERT INTO ledger_streams (stream_id, revision) VALUES (stream, current + n)
           ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision;
         INSERT INTO ledger_commands (command_id, first_global_position, count) SELECT c, first, n FROM unnest(command_ids) AS c;
         state := state || jsonb_build_object('first', first::text, 'hashes', to_jsonb(hashes));
       END IF;
       states := states || state;
     END LOOP;
     RETURN to_jsonb(states);
   END $$;`;

/**
 * ledger_append_group's statements take plpgsql variables (the stream, the guards' ids), so
 * PostgreSQL planned each with their values at every call (a custom plan: it kept finding those
 * cheaper than a generic one) — ~0.16 ms of its ~0.40 ms of server time for a consumption, measured
 * with the function alone in rolled-back transactions. Every one of them looks rows up by key, which
 * no value changes: planned once per connection, and never as a sequential scan, which the generic
 * plan chose for the streams' revisions on a small table (45 µs at a few thousand streams, growing
 * with them) for want of the guards' count. docs/performance.md, "PostgreSQL one at a time".
 */
const GENERIC_PLANS = `
   ALTER FUNCTION ledger_append_group(bigint, bigint[], boolean[], timestamptz, text, jsonb)
     SET plan_cache_mode = force_generic_plan SET enable_seqscan = off;`;

/** Advisory lock keys of their own: a 64-bit hash of a namespaced name. */
const lockKey = (name: string): string => createHash('sha256').update(`ledger:${name}`).digest().readBigInt64BE(0).toString();
const MIGRATION_LOCK = lockKey('migration');
const ALLOCATION_LOCK = lockKey('allocation');
/** Streams' keys, kept: every append locks the catalog and its lifecycle stream, a SHA-256 each (2 % of a command's time one at a time). */
const streamKeys = new Map<string, string>();
const MAX_STREAM_KEYS = 100_000;
const streamKey = (streamId: string): string => {
  let key = streamKeys.get(streamId);
  if (key === undefined) {
    // Bounded: forgetting only costs a hash.
    if (streamKeys.size >= MAX_STREAM_KEYS) streamKeys.clear();
    key = lockKey(`stream:${streamId}`);
    streamKeys.set(streamId, key);
  }
  return key;
};

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
  readonly chain_hash: string | null;
  readonly chain_algorithm: string | null;
}

const COLUMNS = 'global_position, stream_id, position, event_id, type, data, metadata, recorded_at, chain_hash, chain_algorithm';

/** bigint columns arrive as text; beyond 2^53 a position would silently round. */
const toPosition = (text: string): number => {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`global position ${text} is not a safe integer`);
  return n;
};

const toRecorded = (row: EventRow): RecordedEvent =>
  withChain(
    {
      streamId: row.stream_id,
      position: row.position,
      globalPosition: toPosition(row.global_position),
      eventId: row.event_id,
      type: row.type,
      data: row.data,
      metadata: row.metadata,
      recordedAt: row.recorded_at.toISOString(),
    },
    row,
  );

/** SQLSTATE of a lock wait that PostgreSQL broke as a deadlock; the append is retried. */
const DEADLOCK_DETECTED = '40P01';
const isDeadlock = (error: unknown): boolean => (error as { code?: unknown }).code === DEADLOCK_DETECTED;

/**
 * Errors that say the database cannot answer now, not that the request was wrong: SQLSTATE classes
 * 08 (connection exception) and 53 (insufficient resources), 57P01-57P03 (terminated by an
 * administrator, crash, cannot connect now), 57014 (a statement cancelled by statement_timeout); and
 * the driver's own for a socket that failed, closed or timed out.
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0[1-3]$|57014$)/;
const SOCKET_ERROR = /^E(CONNREFUSED|CONNRESET|CONNABORTED|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN|NOTFOUND)$/;
const DRIVER_CONNECTION_ERROR = /Connection terminated|connection error|timeout exceeded when trying to connect|Query read timeout|not queryable|Connection ended/i;
const isConnectionFault = (error: unknown): boolean => {
  if (error instanceof DatabaseError) return UNAVAILABLE_SQLSTATE.test(error.code ?? '');
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (typeof code === 'string' && SOCKET_ERROR.test(code)) || DRIVER_CONNECTION_ERROR.test(String(message));
};
/** How soon to try again: the pool reconnects on the next request, so soon. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

/** A connection fault as the port's StoreFault (503 STORE_UNAVAILABLE); any other error as it is. */
const asFault = (what: string, error: unknown): unknown =>
  isConnectionFault(error)
    ? new StoreFault('unavailable', `${what}: PostgreSQL cannot be reached or dropped the connection (${(error as Error).message})`, UNAVAILABLE_RETRY_AFTER_SECONDS, {
        cause: error,
      })
    : error;

/**
 * A client checked out of the pool, with an 'error' listener while it is held: a connection dropping
 * between two of its queries is otherwise an unhandled 'error' event, which ends the process. A client
 * whose connection failed is destroyed on release, never given to the next caller.
 */
const checkOut = async (pool: Pool, what: string): Promise<{ readonly client: PoolClient; readonly release: (broken?: Error) => void }> => {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw asFault(what, error);
  }
  let lost: Error | undefined;
  const onError = (error: Error): void => {
    lost = error;
  };
  client.on('error', onError);
  return {
    client,
    release: (broken) => {
      client.removeListener('error', onError);
      client.release(broken ?? lost);
    },
  };
};

/**
 * Bounds on every wait, so that an unreachable database is an answer (503), not a hang: a connection
 * attempt (seconds: a lost or refused connection fails at once anyway), a statement (an append's lock
 * waits included) and a reply on the socket (a minute: a long read of a big stream on a busy server
 * is not a fault).
 */
const CONNECT_TIMEOUT_MS = 5000;
const STATEMENT_TIMEOUT_MS = 60_000;
const QUERY_TIMEOUT_MS = STATEMENT_TIMEOUT_MS + 5000;

/** Pool size unless the URL says `pool_max=N` (a ledger parameter, taken out before pg sees the URL). */
export const DEFAULT_POOL_MAX = 10;

/**
 * The pg pool settings for a `postgres://` / `postgresql://` URL; `sslmode` and the rest are pg's own.
 * Every connection commits synchronously whatever the server's default: an acknowledged append must
 * survive a crash of the server too (appended to the URL's own `options`, if any).
 */
export const poolConfigFrom = (url: string): PoolConfig => {
  const parsed = new URL(url);
  const poolMax = parsed.searchParams.get('pool_max');
  parsed.searchParams.delete('pool_max');
  const max = poolMax === null ? DEFAULT_POOL_MAX : Number(poolMax);
  if (!Number.isSafeInteger(max) || max < 1 || max > 1000) throw new Error(`pool_max must be an integer from 1 to 1000, not "${poolMax}"`);
  const options = [parsed.searchParams.get('options'), '-c synchronous_commit=on', `-c statement_timeout=${STATEMENT_TIMEOUT_MS}`].filter((o) => o !== null).join(' ');
  parsed.searchParams.set('options', options);
  return { connectionString: parsed.toString(), max, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, query_timeout: QUERY_TIMEOUT_MS, keepAlive: true };
};

/**
 * PostgreSQL store: several ledger processes share one database (docs/stores.md). The appends a
 * process has queued are one statement, `ledger_append_group`, in one transaction (group commit):
 * advisory locks on what they read and write, taken in one order; then, append by append, what its
 * checks read and the write if they hold. Readers see the log only up to the last position below
 * which no append is still in flight, so a checkpoint never passes an event that commits later.
 */
export class PostgresEventStore implements EventStore {
  private readonly clock: () => Date;
  private readonly pageSize: number;
  private readonly visibilityWaitMs: number;
  /**
   * Where streams end (the revision from which each has no events), as this process last read or
   * wrote them; trusted while nobody else has appended: see streamEnds.
   */
  private readonly ends = new Map<string, number>();
  /** The position up to which every other writer's append has been accounted for. */
  private accountedUpTo = -1;
  /** Positions this process appended above `accountedUpTo`: the settled head passing them is no news. */
  private ownPositions: number[] = [];
  /** Appends issued while a group is being committed: the next group. */
  private queue: PendingAppend[] = [];
  /** The groups being committed, while there are any: close waits for them. */
  private flushing: Promise<void> | undefined;
  readonly appliesAppendsInOrder = true;

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

  append(streamId: string, events: ReadonlyArray<NewEvent>, options: AppendOptions): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ streamId, events, options, refuse: false, resolve, reject });
      // The next turn of the event loop: the appends issued in this one go together.
      this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
    });
  }

  /**
   * Group commit: the appends queued, all in one transaction, one group at a time, in the order
   * issued; those queued meanwhile form the next group. A sequential caller's append is a group of one.
   */
  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      const outcomes = await this.commitGroup(group);
      const failed = new Set<string>();
      outcomes.forEach((outcome, i) => {
        const p = group[i] as PendingAppend;
        if (outcome.ok && outcome.result.kind === 'appended') {
          this.ownPositions.push(...outcome.result.events.map((e) => e.globalPosition));
          this.knowEnd(p.streamId, outcome.result.nextExpectedRevision + 1);
        } else failed.add(p.streamId);
        // A refused expectation means another writer moved the stream it names, which this process thought it knew.
        if (outcome.ok && outcome.result.kind === 'conflict') this.ends.delete(outcome.result.streamId);
        // Settled, not yet run: callers continue once this loop and the marking below are done.
        if (outcome.ok) p.resolve(outcome.result);
        else p.reject(outcome.error);
      });
      // Issued before these answers: one expecting what a failed append would have made was decided on top of it.
      for (const p of this.queue) if (decidedOnTopOf(failed, p)) p.refuse = true;
    }
    this.flushing = undefined;
  }

  /** One group's outcomes, in order; never throws. */
  private async commitGroup(group: ReadonlyArray<PendingAppend>): Promise<Outcome[]> {
    for (;;) {
      let checkedOut: Awaited<ReturnType<typeof checkOut>>;
      try {
        checkedOut = await checkOut(this.pool, `append to ${group.map((p) => p.streamId).join(', ')}`);
      } catch (error) {
        return group.map(() => ({ ok: false, error }));
      }
      const { client, release } = checkedOut;
      let broken: Error | undefined;
      try {
        const recordedAt = this.clock().toISOString();
        let states: ReadonlyArray<AppendState>;
        try {
          states = await commitStates(client, group, recordedAt);
        } catch (error) {
          // The connection failed, perhaps during the commit: the outcome is unknown, and a retry under the same command ids tells.
          if (isConnectionFault(error)) {
            broken = error as Error;
            const fault = asFault(`append to ${group.map((p) => p.streamId).join(', ')}`, error);
            return group.map(() => ({ ok: false, error: fault }));
          }
          // Otherwise the statement's implicit transaction rolled back, and its locks (all transaction-level) with it.
          // Locks are taken in one order, so only a lock this code does not know of can deadlock; try again.
          if (isDeadlock(error)) continue;
          // Nothing was committed (the error came before or from the one statement): what made it fail fails alone.
          return group.length === 1 ? [{ ok: false, error }] : await this.commitEachAlone(group);
        }
        // Committed: from here on an error is its append's alone, never a reason to append again.
        if (states.length !== group.length) {
          const error = new Error(`ledger_append_group answered ${states.length} states for ${group.length} appends (SQL and TypeScript disagree)`);
          return group.map(() => ({ ok: false, error }));
        }
        const outcomes: Outcome[] = [];
        for (const [i, p] of group.entries()) {
          try {
            outcomes.push({ ok: true, result: await outcomeOf(client, p, states[i] as AppendState, recordedAt) });
          } catch (error) {
            if (isConnectionFault(error)) broken = error as Error;
            outcomes.push({ ok: false, error: asFault(`append to ${p.streamId} (committed; reading its answer)`, error) });
          }
        }
        return outcomes;
      } finally {
        // A connection in an unknown state is closed rather than given to the next caller.
        release(broken);
      }
    }
  }

  /** A group that failed as a whole, again one append at a time: what made it fail fails alone. */
  private async commitEachAlone(group: ReadonlyArray<PendingAppend>): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    const failed = new Set<string>();
    for (const p of group) {
      if (decidedOnTopOf(failed, p)) p.refuse = true;
      const [outcome] = (await this.commitGroup([p])) as [Outcome];
      if (!outcome.ok || outcome.result.kind !== 'appended') failed.add(p.streamId);
      outcomes.push(outcome);
    }
    return outcomes;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<ReadonlyArray<RecordedEvent>> {
    const { rows } = await this.query<EventRow>({
      name: 'ledger_read_stream',
      text: `SELECT ${COLUMNS} FROM ledger_events WHERE stream_id = $1 AND position >= $2 ORDER BY position LIMIT $3`,
      values: [streamId, options.fromRevision ?? 0, options.limit ?? null],
    });
    // Read to the stream's end: what was read is all there is, until someone appends.
    if (options.limit === undefined || rows.length < options.limit) {
      this.knowEnd(streamId, rows.length === 0 ? (options.fromRevision ?? 0) : (rows[rows.length - 1] as EventRow).position + 1);
    }
    return rows.map(toRecorded);
  }

  /**
   * One round trip instead of a read per cached stream. What this process knows of streams' ends is
   * trusted only when, in one snapshot, no append is in flight below the newest committed one
   * (settled = committed) and the log has grown by exactly this process's own appends since the last
   * look: then every event committed so far is accounted for, and a decision on what is known is a
   * decision on the log as of that snapshot (a refusal included). Otherwise everything is forgotten
   * and read again.
   */
  async streamEnds(): Promise<(streamId: string) => number | undefined> {
    const { rows } = await this.query<{ committed: string | null; settled: string | null }>({
      name: 'ledger_log_ends',
      text: `SELECT (SELECT max(global_position) FROM ledger_events) AS committed,
                    (SELECT global_position FROM ledger_events WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
                     ORDER BY global_position DESC LIMIT 1) AS settled`,
    });
    const committed = rows[0]?.committed == null ? -1 : toPosition(rows[0].committed);
    const settled = rows[0]?.settled == null ? -1 : toPosition(rows[0].settled);
    const own = this.ownPositions.filter((p) => p > this.accountedUpTo && p <= committed).length;
    if (settled !== committed || committed - this.accountedUpTo !== own) this.ends.clear();
    // Only what is settled is accounted for: an append in flight below `committed` must still show as news.
    this.accountedUpTo = Math.max(this.accountedUpTo, settled);
    this.ownPositions = this.ownPositions.filter((p) => p > this.accountedUpTo);
    return this.knownEnd;
  }

  private readonly knownEnd = (streamId: string): number | undefined => this.ends.get(streamId);

  private knowEnd(streamId: string, end: number): void {
    // Bounded: forgetting only costs a read.
    if (this.ends.size >= MAX_KNOWN_ENDS) this.ends.clear();
    this.ends.set(streamId, end);
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    // Every event up to `settled` has committed or never will: pages below it never change.
    const settled = await this.headPosition();
    let after = options.after ?? -1;
    let remaining = options.limit ?? Infinity;
    const prefix = options.streamPrefix;
    while (remaining > 0 && after < settled) {
      const size = Math.min(this.pageSize, remaining);
      // No upper bound in SQL: with one, a table whose statistics lag a bulk load gets a plan that
      // sorts the whole rest of the log for every page. Rows above `settled` end the read here.
      const { rows } =
        prefix === undefined
          ? await this.query<EventRow>({
              name: 'ledger_read_all',
              text: `SELECT ${COLUMNS} FROM ledger_events WHERE global_position > $1 ORDER BY global_position LIMIT $2`,
              values: [after, size],
            })
          : await this.query<EventRow>(
              `SELECT ${COLUMNS} FROM ledger_events WHERE global_position > $1 AND stream_id >= $2 AND stream_id < $3
               ORDER BY global_position LIMIT $4`,
              [after, prefix, prefixEnd(prefix), size],
            );
      for (const row of rows) {
        const event = toRecorded(row);
        if (event.globalPosition > settled) return;
        yield event;
      }
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < size) return;
      after = toPosition(last.global_position);
      remaining -= rows.length;
    }
  }

  async readCommand(commandId: string): Promise<ReadonlyArray<RecordedEvent> | undefined> {
    return commandEvents(this.pool, commandId).catch((error: unknown) => {
      throw asFault(`read command ${commandId}`, error);
    });
  }

  /**
   * The newest position below which every append has finished. Appends get their transaction id and
   * positions together (ledger_append), so an event whose transaction id is below the oldest one in
   * flight has no unfinished append before it. When newer events are already committed, it waits
   * (up to visibilityWaitMs) for the older appends to finish, so that what was acknowledged is read.
   */
  async headPosition(): Promise<number> {
    const deadline = Date.now() + this.visibilityWaitMs;
    let target: number | undefined;
    for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
      const { rows } = await this.query<{ committed: string | null; settled: string | null }>(
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

  async logHead(): Promise<LogHead> {
    const position = await this.headPosition();
    if (position < 0) return EMPTY_HEAD;
    const { rows } = await this.query<{ chain_hash: string | null }>({
      name: 'ledger_chain_at',
      text: 'SELECT chain_hash FROM ledger_events WHERE global_position = $1',
      values: [position],
    });
    return { position, chainHash: rows[0]?.chain_hash ?? '' };
  }

  async chainMigration(): Promise<ChainMigration | undefined> {
    const { rows } = await this.query<{ chained_at: Date; last_position: string; chain_hash: string; events: string }>(
      'SELECT chained_at, last_position, chain_hash, events FROM ledger_chain_migration',
    );
    const row = rows[0];
    return row === undefined ? undefined : { chainedAt: row.chained_at.toISOString(), position: toPosition(row.last_position), chainHash: row.chain_hash, events: Number(row.events) };
  }

  async close(): Promise<void> {
    // Appends already issued are committed first, as on SQLite.
    await this.flushing;
    await this.pool.end();
  }

  /** The pool's query, a connection fault answered as StoreFault. */
  private async query<R extends QueryResultRow>(config: QueryConfig | string, values?: unknown[]): Promise<QueryResult<R>> {
    try {
      return await this.pool.query<R>(config, values);
    } catch (error) {
      throw asFault(`query ${typeof config === 'string' ? 'the log' : (config.name ?? 'the log')}`, error);
    }
  }

}

/** The group in one ledger_append_group call: each append's state, in order, once committed. */
const commitStates = async (client: PoolClient, group: ReadonlyArray<PendingAppend>, recordedAt: string): Promise<ReadonlyArray<AppendState>> => {
  const [lockKeys, lockExclusive] = locksFor(group.map((p) => ({ streamId: p.streamId, commandIds: p.options.commandIds ?? [], guards: p.options.guards ?? [] })));
  const appends = JSON.stringify(group.map(appendArgument));
  const { rows } = await client.query<{ states: AppendState[] }>({
    name: 'ledger_append_group',
    text: 'SELECT ledger_append_group($1, $2, $3, $4, $5, $6::jsonb) AS states',
    values: [ALLOCATION_LOCK, lockKeys, lockExclusive, recordedAt, CHAIN_ALGORITHM, appends],
  });
  return (rows[0] as { states: AppendState[] }).states;
};

/** One append as ledger_append_group reads it. */
const appendArgument = (p: PendingAppend) => {
  const { streamId, events, options } = p;
  // Serialised once, for the chain and the row: the stored JSON is the canonical JSON the hash covers.
  const payloads = events.map(canonicalPayload);
  const pieces = events.map((e, i) => canonicalPieces({ streamId, eventId: e.eventId, type: e.type, data: e.data ?? null, metadata: e.metadata }, payloads[i]));
  const [expectedKind, expectedRevision] = expectationArgs(options.expectedRevision);
  return {
    stream: streamId,
    refuse: p.refuse,
    commandIds: options.commandIds ?? [],
    expectedKind,
    expectedRevision,
    guards: (options.guards ?? []).map((g) => {
      const [kind, revision] = expectationArgs(g.expectedRevision);
      return { streamId: g.streamId, kind, revision };
    }),
    prefixGuards: (options.prefixGuards ?? []).map((g) => ({ prefix: g.streamPrefix, end: prefixEnd(g.streamPrefix), after: g.after })),
    eventIds: events.map((e) => e.eventId),
    types: events.map((e) => e.type),
    datas: payloads.map((x) => x.data),
    metadatas: payloads.map((x) => x.metadata),
    heads: pieces.map((x) => x[0]),
    middles: pieces.map((x) => x[1]),
    tails: pieces.map((x) => x[2]),
  };
};

/** What one append's state, as ledger_append_group returned it, means: the same checks again in TypeScript, which must agree. */
const outcomeOf = async (client: PoolClient, p: PendingAppend, state: AppendState, recordedAt: string): Promise<AppendResult> => {
  const { streamId, events, options } = p;
  const commandIds = options.commandIds ?? [];
  const prefixGuards = options.prefixGuards ?? [];
  const revisionOf = (id: string): number => state.revisions[id] ?? -1;
  const current = revisionOf(streamId);
  if (state.onTopOfRefused === true) return conflict(streamId, options.expectedRevision, current);
  if (state.command !== null) {
    const previous = await eventsFrom(client, toPosition(state.command.first), state.command.count);
    const last = previous[previous.length - 1];
    if (last === undefined) throw new Error(`command ${commandIds.join(', ')}: its events are missing from the log`);
    return { kind: 'duplicate', nextExpectedRevision: last.position, events: previous };
  }
  const refused = conflictOf(streamId, options, {
    revisionOf,
    firstUnder: (prefix, after) => {
      const found = state.firstUnder?.[prefixGuards.findIndex((g) => g.streamPrefix === prefix && g.after === after)];
      return found == null ? undefined : toPosition(found);
    },
  });
  if (refused !== undefined) return refused;
  if (events.length === 0) return { kind: 'appended', nextExpectedRevision: current, events: [] };
  if (state.first === undefined) throw new Error(`append to ${streamId}: ledger_append_group refused checks that hold here (SQL and TypeScript disagree)`);
  const first = toPosition(state.first);
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
      chainHash: state.hashes?.[i] ?? '',
      chainAlgorithm: CHAIN_ALGORITHM,
    }),
  );
  return { kind: 'appended', nextExpectedRevision: current + events.length, events: recorded };
};

/** An append waiting for its group; `refuse`: decided on top of an append of an earlier group that did not land. */
interface PendingAppend {
  readonly streamId: string;
  readonly events: ReadonlyArray<NewEvent>;
  readonly options: AppendOptions;
  refuse: boolean;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { readonly ok: true; readonly result: AppendResult } | { readonly ok: false; readonly error: unknown };

/**
 * The append's advisory locks, in ascending key order so that two appends never wait for each
 * other in a cycle: exclusive on its command ids and its stream; shared on the streams it guards
 * (readers of a stream do not exclude each other; its writer waits for them, and they for it).
 */
const locksFor = (appends: ReadonlyArray<{ readonly streamId: string; readonly commandIds: ReadonlyArray<string>; readonly guards: AppendOptions['guards'] }>): [string[], boolean[]] => {
  const locks = new Map<string, boolean>();
  const want = (key: string, exclusive: boolean): void => {
    locks.set(key, exclusive || (locks.get(key) ?? false));
  };
  for (const { streamId, commandIds, guards = [] } of appends) {
    for (const id of commandIds) want(lockKey(`command:${id}`), true);
    want(streamKey(streamId), true);
    for (const g of guards) want(streamKey(g.streamId), false);
  }
  const ordered = [...locks].sort(([a], [b]) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
  return [ordered.map(([k]) => k), ordered.map(([, x]) => x)];
};

const MAX_KNOWN_ENDS = 100_000;

/** What ledger_append read once the locks were held, and where it wrote (positions as text: bigint). */
interface AppendState {
  /** The first of the append's command ids already claimed, if any. */
  readonly command: { readonly first: string; readonly count: number } | null;
  readonly revisions: Readonly<Record<string, number>>;
  /** The global position of the first event written; absent when nothing was. */
  readonly first?: string;
  /** The chain hashes of the events written. */
  readonly hashes?: ReadonlyArray<string>;
  /** For each prefix guard, the first global position above its own under its prefix (null: none); absent when there were none. */
  readonly firstUnder?: ReadonlyArray<string | null>;
  /** Refused unread: decided on top of an earlier append to the stream that did not land. */
  readonly onTopOfRefused?: true;
}

/** An ExpectedRevision as ledger_expectation_holds takes it. */
const expectationArgs = (e: ExpectedRevision): [string, number | null] => [e.kind, e.kind === 'exact' ? e.revision : null];

const eventsFrom = async (db: Pool | PoolClient, first: number, count: number): Promise<RecordedEvent[]> => {
  const { rows } = await db.query<EventRow>({
    name: 'ledger_events_range',
    text: `SELECT ${COLUMNS} FROM ledger_events WHERE global_position >= $1 AND global_position < $2 ORDER BY global_position`,
    values: [first, first + count],
  });
  return rows.map(toRecorded);
};

const commandEvents = async (db: Pool | PoolClient, commandId: string): Promise<ReadonlyArray<RecordedEvent> | undefined> => {
  const { rows } = await db.query<{ first: string; count: number }>({
    name: 'ledger_command',
    text: 'SELECT first_global_position AS first, count FROM ledger_commands WHERE command_id = $1',
    values: [commandId],
  });
  const command = rows[0];
  return command === undefined ? undefined : eventsFrom(db, toPosition(command.first), command.count);
};

/**
 * Creates or upgrades the schema in one transaction under an advisory lock, so that several nodes
 * starting together migrate once and the others find it done.
 */
const migrate = async (pool: Pool): Promise<void> => {
  const { client, release } = await checkOut(pool, 'migrate the schema');
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS ledger_schema (version integer NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM ledger_schema');
    const version = rows[0]?.version ?? 0;
    if (version > MIGRATIONS.length) throw new Error(`database schema version ${version} is newer than this build knows (${MIGRATIONS.length})`);
    for (const step of MIGRATIONS.slice(version)) {
      if (typeof step === 'string') await client.query(step);
      else await step(client);
    }
    if (rows.length === 0) await client.query('INSERT INTO ledger_schema (version) VALUES ($1)', [MIGRATIONS.length]);
    else await client.query('UPDATE ledger_schema SET version = $1', [MIGRATIONS.length]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    release();
  }
};
