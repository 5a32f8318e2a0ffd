import Database from 'better-sqlite3';
import canonicalize from 'canonicalize';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chainAfter, chainHash, GENESIS_HASH } from '../../src/store/chain';
import { ExpectedRevision, RecordedEvent } from '../../src/store/eventStore';
import { openStore } from '../../src/store/openStore';
import { SqliteEventStore } from '../../src/store/sqliteEventStore';
import { collect, describeEventStoreContract, expectRefusedOnTopOfRefused, newEvent, written } from './contract';

const dir = mkdtempSync(join(tmpdir(), 'ledger-sqlite-'));
let files = 0;
const freshFile = (): string => join(dir, `store-${files++}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeEventStoreContract('SQLite file', () => openStore(`sqlite:${freshFile()}`));
describeEventStoreContract('SQLite in memory', () => openStore('sqlite::memory:'));

describe('SQLite file store', () => {
  test('reads a stream up to every limit, beyond the limits it keeps a statement for', async () => {
    const store = new SqliteEventStore(freshFile());
    await written(store.append('s', Array.from({ length: 30 }, (_, n) => newEvent({ n })), { expectedRevision: ExpectedRevision.noStream }));
    // 40 limits: the first ones get a statement of their own, the rest the bound LIMIT; the answers must not tell.
    for (let limit = 0; limit < 40; limit++) {
      for (const from of [0, 7, 29]) {
        expect((await store.readStream('s', { fromRevision: from, limit })).map((e) => e.position)).toEqual(Array.from({ length: Math.max(0, Math.min(limit, 30 - from)) }, (_, i) => from + i));
      }
    }
    await store.close();
  });

  test('creates its folder and keeps the log across reopening', async () => {
    const file = join(dir, 'nested', 'deeper', 'ledger.db');
    const first = new SqliteEventStore(file);
    const appended = await written(
      first.append('account-1', [newEvent({ n: 1 }), newEvent({ n: 2 })], {
        expectedRevision: ExpectedRevision.noStream,
        commandIds: ['cmd-1'],
      }),
    );
    await first.close();

    const reopened = new SqliteEventStore(file);
    expect(await reopened.readStream('account-1')).toEqual(appended.events);
    expect(await reopened.readCommand('cmd-1')).toEqual(appended.events);
    const next = await written(reopened.append('account-2', [newEvent()], { expectedRevision: ExpectedRevision.noStream }));
    expect(next.events[0]?.globalPosition).toBe(2);
    await reopened.close();
  });

  test('opens in WAL mode at the latest schema version, and refuses a newer schema', async () => {
    const file = freshFile();
    await (await openStore(`sqlite:${file}`)).close();
    const raw = new Database(file);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(3);
    raw.pragma('user_version = 99');
    raw.close();

    expect(() => new SqliteEventStore(file)).toThrow('database schema version 99 is newer than this build knows (3)');
  });

  test('a version-1 database is migrated: its command ids and stream heads carry over', async () => {
    const file = freshFile();
    const raw = new Database(file);
    raw.exec(`CREATE TABLE events (global_position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, position INTEGER NOT NULL,
      event_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at TEXT NOT NULL,
      command_id TEXT, UNIQUE (stream_id, position))`);
    const insert = raw.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    insert.run(0, 's', 0, 'e0', 'T', '{}', '{"schemaVersion":1}', '2026-01-01T00:00:00.000Z', 'cmd');
    insert.run(1, 's', 1, 'e1', 'T', '{}', '{"schemaVersion":1}', '2026-01-01T00:00:00.000Z', 'cmd');
    raw.pragma('user_version = 1');
    raw.close();

    const store = new SqliteEventStore(file);
    expect((await store.readCommand('cmd'))?.map((e) => e.eventId)).toEqual(['e0', 'e1']);
    expect(await store.append('s', [newEvent()], { expectedRevision: ExpectedRevision.exact(0) })).toMatchObject({ kind: 'conflict', actual: 1 });
    expect((await written(store.append('s', [newEvent()], { expectedRevision: ExpectedRevision.exact(1) }))).events[0]?.globalPosition).toBe(2);
    // And chained (F4): the two old events by the migration, which says so; the new one on top.
    const [e0, e1, e2] = await collect(store.readAll());
    const h0 = chainHash(GENESIS_HASH, e0 as RecordedEvent);
    const h1 = chainHash(h0, e1 as RecordedEvent);
    expect([e0?.chainHash, e1?.chainHash, e2?.chainHash]).toEqual([h0, h1, chainHash(h1, e2 as RecordedEvent)]);
    expect(await store.chainMigration()).toEqual({ chainedAt: expect.any(String), position: 1, chainHash: h1, events: 2 });
    await store.close();
  });

  test('a store written by main before the chain (test/fixtures/before-chain.db) is chained once, and says so', async () => {
    const file = freshFile();
    copyFileSync(join(__dirname, '..', 'fixtures', 'before-chain.db'), file);
    const store = new SqliteEventStore(file);
    const events = await collect(store.readAll());
    expect(events).toHaveLength(41);
    expect(events.map((e) => e.chainHash)).toEqual(chainAfter(GENESIS_HASH, events));
    const migration = await store.chainMigration();
    expect(migration).toEqual({ chainedAt: expect.any(String), position: 40, chainHash: events[40]?.chainHash, events: 41 });
    await store.close();
    // Once: reopening neither chains again nor moves the record.
    const reopened = new SqliteEventStore(file);
    expect(await reopened.chainMigration()).toEqual(migration);
    expect(await reopened.logHead()).toEqual({ position: 40, chainHash: events[40]?.chainHash });
    // The next append continues the chain from the migrated head.
    const appended = (await written(reopened.append('after-the-migration', [newEvent({ n: 1 })], { expectedRevision: ExpectedRevision.noStream }))).events[0] as RecordedEvent;
    expect(appended.globalPosition).toBe(41);
    expect(appended.chainHash).toBe(chainHash(events[40]?.chainHash as string, appended));
    await reopened.close();
  });

  test('data and metadata are stored as their RFC 8785 JSON, the bytes the chain covers', async () => {
    const file = freshFile();
    const store = new SqliteEventStore(file);
    const event = { ...newEvent({ zeta: [{ b: 1, a: 'x' }], alpha: 0.5, '10': true, '9': null }), metadata: { schemaVersion: 1, correlationId: 'c', actor: 'a' } };
    const [stored] = (await written(store.append('s', [event], { expectedRevision: ExpectedRevision.noStream }))).events;
    await store.close();
    const raw = new Database(file, { readonly: true });
    const row = raw.prepare<[], { data: string; metadata: string }>('SELECT data, metadata FROM events').get();
    raw.close();
    expect(row).toEqual({ data: canonicalize(event.data), metadata: canonicalize(event.metadata) });
    expect(row?.data).toBe('{"10":true,"9":null,"alpha":0.5,"zeta":[{"a":"x","b":1}]}');
    const reopened = new SqliteEventStore(file);
    expect(await collect(reopened.readAll())).toEqual([stored]);
    await reopened.close();
  });

  test('readAll pages through the log without skipping or repeating', async () => {
    const store = new SqliteEventStore(':memory:', { readAllPageSize: 3 });
    for (let i = 0; i < 10; i++) await store.append(`s-${i % 3}`, [newEvent({ i })], { expectedRevision: ExpectedRevision.any });
    expect((await collect(store.readAll())).map((e) => e.data)).toEqual(Array.from({ length: 10 }, (_, i) => ({ i })));
    expect((await collect(store.readAll({ after: 2, limit: 4 }))).map((e) => e.globalPosition)).toEqual([3, 4, 5, 6]);
    await store.close();
  });

  test('appends issued in the same turn of the event loop share one commit', async () => {
    const file = freshFile();
    const store = new SqliteEventStore(file);
    await store.append('warm-up', [newEvent()], { expectedRevision: ExpectedRevision.noStream });
    // Every commit adds at least one frame to the WAL (far from its checkpoint size here).
    const walFrames = (): number => (statSync(`${file}-wal`).size - 32) / (4096 + 24);
    const before = walFrames();

    await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.append(`s-${i}`, [newEvent()], { expectedRevision: ExpectedRevision.noStream })),
    );

    expect(walFrames() - before).toBeLessThan(10);
    expect(await store.headPosition()).toBe(50);
    await store.close();
  });

  test('in one commit, an append after a refused one to the same stream is refused too, though another writer moved the stream to the revision it expects', async () => {
    const file = freshFile();
    const [mine, other] = [new SqliteEventStore(file), new SqliteEventStore(file)];
    await expectRefusedOnTopOfRefused(mine, other);
    await Promise.all([mine.close(), other.close()]);
  });

  test('appends still queued when the store closes are written first', async () => {
    const file = freshFile();
    const store = new SqliteEventStore(file);
    const pending = store.append('late', [newEvent()], { expectedRevision: ExpectedRevision.noStream });
    await store.close();
    await expect(pending).resolves.toMatchObject({ nextExpectedRevision: 0 });
    const reopened = new SqliteEventStore(file);
    expect(await reopened.readStream('late')).toHaveLength(1);
    await reopened.close();
  });

  test('a read that follows a write by another connection sees it, also where this connection knew the stream to be read to its end', async () => {
    const file = freshFile();
    const mine = new SqliteEventStore(file);
    const theirs = new SqliteEventStore(file);
    await mine.append('s', [newEvent({ n: 0 })], { expectedRevision: ExpectedRevision.noStream });
    expect(await mine.readStream('s', { fromRevision: 1 })).toEqual([]);
    expect(await mine.readStream('t')).toEqual([]);

    await theirs.append('s', [newEvent({ n: 1 })], { expectedRevision: ExpectedRevision.exact(0) });
    await theirs.append('t', [newEvent({ n: 0 })], { expectedRevision: ExpectedRevision.noStream });
    expect((await mine.readStream('s', { fromRevision: 1 })).map((e) => e.data)).toEqual([{ n: 1 }]);
    expect((await mine.readStream('t')).map((e) => e.data)).toEqual([{ n: 0 }]);

    // And the other way round, after this connection's own append.
    await mine.append('s', [newEvent({ n: 2 })], { expectedRevision: ExpectedRevision.exact(1) });
    expect((await theirs.readStream('s', { fromRevision: 2 })).map((e) => e.data)).toEqual([{ n: 2 }]);
    expect(await mine.readStream('s', { fromRevision: 3 })).toEqual([]);
    // A limited read that stopped at its limit says nothing of what lies beyond it.
    await theirs.append('s', [newEvent({ n: 3 })], { expectedRevision: ExpectedRevision.exact(2) });
    expect((await mine.readStream('s', { fromRevision: 2, limit: 1 })).map((e) => e.data)).toEqual([{ n: 2 }]);
    expect((await mine.readStream('s', { fromRevision: 3 })).map((e) => e.data)).toEqual([{ n: 3 }]);
    await Promise.all([mine.close(), theirs.close()]);
  });

  test('an append that fails part-way writes nothing, alone in its commit or in a group', async () => {
    const store = new SqliteEventStore(':memory:');
    await store.append('s', [newEvent()], { expectedRevision: ExpectedRevision.noStream });
    const clash = () => {
      const event = newEvent();
      return store.append('t', [newEvent(), event, event], { expectedRevision: ExpectedRevision.noStream, commandIds: ['clash'] });
    };
    await expect(clash()).rejects.toHaveProperty('code', 'SQLITE_CONSTRAINT_UNIQUE');
    const [alone, neighbour] = await Promise.allSettled([clash(), store.append('u', [newEvent()], { expectedRevision: ExpectedRevision.noStream })]);
    expect(alone.status).toBe('rejected');
    expect(neighbour.status).toBe('fulfilled');
    expect(await store.readStream('t')).toEqual([]);
    expect(await store.readCommand('clash')).toBeUndefined();
    expect(await store.headPosition()).toBe(1);
    await store.close();
  });
});
