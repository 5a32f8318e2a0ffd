import Database from 'better-sqlite3';
import * as E from 'fp-ts/Either';
import { Client } from 'pg';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerService } from '../../src/app/ledgerService';
import { verifyLog } from '../../src/app/verifyLog';
import { monthlyStatement } from '../../src/projections/monthlyStatement';
import { chainAfter, GENESIS_HASH } from '../../src/store/chain';
import { EventStore, RecordedEvent } from '../../src/store/eventStore';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';
import { PostgresEventStore } from '../../src/store/postgresEventStore';
import { SqliteEventStore } from '../../src/store/sqliteEventStore';
import { loadScenarios } from '../support/scenarios';
import { runScenario } from '../../src/simulation/runScenario';
import { collect } from '../store/contract';
import { databaseBeforeChain, postgresSkipReason, testDatabase } from '../store/postgresDatabase';
import { ScratchDatabase } from '../../bench/scratchPostgres';

/** billing-rules F3: each way of altering the log fails verify with the right break; the honest log verifies. */
const dir = mkdtempSync(join(tmpdir(), 'ledger-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const history: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ['2026-03-05T09:00:00Z', { type: 'CreateProfile', profileId: 'p-iad', accountId: '111122223333', region: 'us-east-1' }],
  ['2026-03-05T09:01:00Z', { type: 'Subscribe', profileId: 'p-iad', userId: 'alice', tier: 'PRO' }],
  ['2026-03-06T09:00:00Z', { type: 'ConsumeCredits', profileId: 'p-iad', userId: 'alice', credits: '12.5', requestId: 'r-1' }],
  ['2026-03-07T09:00:00Z', { type: 'ConsumeCredits', profileId: 'p-iad', userId: 'alice', credits: '7.25', requestId: 'r-2' }],
  ['2026-04-02T09:01:00Z', { type: 'Upgrade', profileId: 'p-iad', userId: 'alice', tier: 'POWER' }],
  ['2026-04-03T09:00:00Z', { type: 'ConsumeCredits', profileId: 'p-iad', userId: 'alice', credits: '30', requestId: 'r-3' }],
];

/** The history, with March and April sealed (the clock at 2026-05-02), in `store`. */
const sealedHistory = async (store: EventStore): Promise<EventStore> => {
  let now = new Date(history[0]?.[0] as string);
  const ledger = await new LedgerService(store, { clock: () => now }).open();
  for (const [at, command] of history) {
    now = new Date(at);
    const r = await ledger.execute({ ...command, occurredAt: at });
    if (E.isLeft(r)) throw new Error(`${command.type}: ${r.left.message}`);
  }
  now = new Date('2026-05-02T00:00:00Z');
  expect(await ledger.sealDue(10 * 60_000)).toEqual({ sealed: 2, sealedElsewhere: 0 });
  return store;
};

const sqliteHistory = async (): Promise<string> => {
  const file = join(dir, `log-${files++}.db`);
  const store = await sealedHistory(new SqliteEventStore(file));
  await store.close();
  return file;
};

const verifyFile = async (file: string, options: Parameters<typeof verifyLog>[1] = {}) => {
  const store = new SqliteEventStore(file);
  try {
    return await verifyLog(store, options);
  } finally {
    await store.close();
  }
};

/** Edits the SQLite file as someone with the file, not the ledger, would. */
const raw = <T>(file: string, edit: (db: Database.Database) => T): T => {
  const db = new Database(file);
  try {
    return edit(db);
  } finally {
    db.close();
  }
};

const positionOf = (file: string, requestId: string): number =>
  raw(file, (db) => db.prepare<[string], number>("SELECT global_position FROM events WHERE json_extract(data, '$.requestId') = ?").pluck().get(requestId) as number);

describe('ledger verify on SQLite', () => {
  test('the honest log verifies: chain, seals, and a head kept along the way', async () => {
    const file = await sqliteHistory();
    const store = new SqliteEventStore(file);
    const kept = await store.logHead();
    await store.close();
    const report = await verifyFile(file, { trusted: [kept] });
    expect(report).toMatchObject({ ok: true, chainStored: true, chain: { breaks: 0, first: null }, seals: { checked: 2, breaks: 0, first: null }, migration: null });
    expect(report.trusted).toEqual([{ ...kept, found: kept.chainHash, ok: true }]);
    expect(report.head).toEqual(kept);
  });

  test("a byte of one event's data changed in the file breaks the chain at that event", async () => {
    const file = await sqliteHistory();
    const at = positionOf(file, 'r-1');
    raw(file, (db) => db.prepare("UPDATE events SET data = replace(data, '\"12.5\"', '\"92.5\"') WHERE global_position = ?").run(at));
    const report = await verifyFile(file);
    expect(report.ok).toBe(false);
    expect(report.chain.first).toMatchObject({ position: at, streamId: 'profile/p-iad/usage/alice/2026-03' });
    expect(report.chain.first?.found).not.toBe(report.chain.first?.expected);
    expect(report.chain.breaks).toBe(1);
    // The replayed March no longer matches its seal either.
    expect(report.seals.first).toMatchObject({ profileId: 'p-iad', month: '2026-03', why: 'statement' });
  });

  test('an event deleted breaks the chain at the one after it', async () => {
    const file = await sqliteHistory();
    const at = positionOf(file, 'r-2');
    raw(file, (db) => db.prepare('DELETE FROM events WHERE global_position = ?').run(at));
    const report = await verifyFile(file);
    expect(report.ok).toBe(false);
    expect(report.chain.first?.position).toBe(at + 1);
  });

  test('two events swapped break the chain at the first of them', async () => {
    const file = await sqliteHistory();
    const [a, b] = [positionOf(file, 'r-1'), positionOf(file, 'r-2')];
    raw(file, (db) =>
      db.transaction(() => {
        db.prepare('UPDATE events SET global_position = -1 WHERE global_position = ?').run(a);
        db.prepare('UPDATE events SET global_position = ? WHERE global_position = ?').run(a, b);
        db.prepare('UPDATE events SET global_position = ? WHERE global_position = -1').run(b);
      })(),
    );
    const report = await verifyFile(file);
    expect(report.ok).toBe(false);
    expect(report.chain.first?.position).toBe(a);
  });

  test('an insider who rewrites an event and recomputes every hash after it passes the chain, and is caught by a head kept before', async () => {
    const file = await sqliteHistory();
    const store = new SqliteEventStore(file);
    const kept = await store.logHead();
    await store.close();
    const at = positionOf(file, 'r-1');
    raw(file, (db) => {
      db.prepare("UPDATE events SET data = replace(data, '\"12.5\"', '\"2.5\"') WHERE global_position = ?").run(at);
      // Every hash from there on, recomputed with the ledger's own code, as an insider with it would.
      const rows = db.prepare<[], { global_position: number; stream_id: string; position: number; event_id: string; type: string; data: string; metadata: string }>('SELECT * FROM events ORDER BY global_position').all();
      const events = rows.map((r) => ({ globalPosition: r.global_position, streamId: r.stream_id, position: r.position, eventId: r.event_id, type: r.type, data: JSON.parse(r.data) as unknown, metadata: JSON.parse(r.metadata) as unknown }));
      const hashes = chainAfter(GENESIS_HASH, events);
      const update = db.prepare('UPDATE events SET chain_hash = ? WHERE global_position = ?');
      events.forEach((e, i) => update.run(hashes[i], e.globalPosition));
    });
    const withoutHead = await verifyFile(file, { statementOf: monthlyStatement });
    expect(withoutHead.chain.breaks).toBe(0);
    const report = await verifyFile(file, { trusted: [kept] });
    expect(report.ok).toBe(false);
    expect(report.chain.first).toBeNull();
    expect(report.trusted).toEqual([{ position: kept.position, chainHash: kept.chainHash, found: expect.not.stringMatching(kept.chainHash), ok: false }]);
  });

  test('a version of the ledger that bills an old month differently is caught by the seal', async () => {
    const file = await sqliteHistory();
    const report = await verifyFile(file, {
      // Stands for a changed fold: March now costs a cent more.
      statementOf: (input) => {
        const s = monthlyStatement(input);
        return input.month === '2026-03' ? { ...s, total: (Number(s.total) + 0.01).toFixed(2) } : s;
      },
    });
    expect(report.ok).toBe(false);
    expect(report.chain.first).toBeNull();
    expect(report.seals).toMatchObject({ checked: 2, breaks: 1, first: { profileId: 'p-iad', month: '2026-03', why: 'statement', streamId: 'profile/p-iad/seal/2026-03' } });
  });

  test("a log written by main before the chain verifies after its migration, which it reports", async () => {
    const file = join(dir, `fixture-${files++}.db`);
    copyFileSync(join(__dirname, '..', 'fixtures', 'before-chain.db'), file);
    const report = await verifyFile(file);
    expect(report).toMatchObject({ ok: true, events: 41, migration: { position: 40, events: 41 } });
  });
});

describe('ledger verify after histories like the test suite\'s', () => {
  test.each(loadScenarios().map((s) => [s.file, s.scenario] as const))('%s', async (_file, scenario) => {
    const store = new InMemoryEventStore();
    await runScenario(scenario, store);
    const report = await verifyLog(store);
    expect(report).toMatchObject({ ok: true, chain: { breaks: 0 }, seals: { breaks: 0 } });
  });
});

const skip = postgresSkipReason('verifyLog');
(skip === undefined ? describe : describe.skip)(`ledger verify on PostgreSQL${skip === undefined ? '' : ` — skipped: ${skip}`}`, () => {
  let db: ScratchDatabase;
  beforeAll(async () => {
    db = await testDatabase('verify');
  });
  afterAll(() => db?.drop());

  test('the honest log verifies; a byte of one row changed breaks the chain at that row', async () => {
    const store = await sealedHistory(await PostgresEventStore.open(db.url()));
    expect(await verifyLog(store)).toMatchObject({ ok: true, seals: { checked: 2, breaks: 0 } });
    const target = (await collect(store.readAll())).find((e) => (e.data as { requestId?: string }).requestId === 'r-3') as RecordedEvent;
    const client = new Client({ connectionString: db.url() });
    await client.connect();
    await client.query(`UPDATE ledger_events SET data = replace(data::text, '"30"', '"31"')::json WHERE global_position = $1`, [target.globalPosition]);
    await client.end();
    const report = await verifyLog(store);
    expect(report.ok).toBe(false);
    expect(report.chain.first).toMatchObject({ position: target.globalPosition, streamId: 'profile/p-iad/usage/alice/2026-04' });
    await store.close();
  });

  test('a database written by main before the chain verifies after its migration, which it reports, and after the appends that follow', async () => {
    const old = await databaseBeforeChain('verify_before_chain');
    try {
      const store = await PostgresEventStore.open(old.url());
      expect(await verifyLog(store)).toMatchObject({ ok: true, events: 41, chain: { breaks: 0 }, unreadable: { events: 0 }, migration: { position: 40, events: 41 } });
      // A command through today's ledger after the migration: the chain goes on from the migrated head.
      const ledger = await new LedgerService(store, { clock: () => new Date('2026-02-20T10:00:00Z') }).open();
      expect(E.isRight(await ledger.execute({ type: 'ConsumeCredits', profileId: 'p-0', userId: 'u-1', credits: '1.5', requestId: 'after-the-migration' }, { actor: 'test' }))).toBe(true);
      const report = await verifyLog(store);
      expect(report).toMatchObject({ ok: true, chain: { breaks: 0 }, migration: { position: 40, events: 41 } });
      expect(report.events).toBeGreaterThan(41);
      await store.close();
    } finally {
      await old.drop();
    }
  });
});
