import { spawn, ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { HttpAnswer, send, startServerWithHistory, TestServer } from '../api/support/ledgerServer';
import { ExpectedRevision, StoreFault } from '../../src/store/eventStore';
import { SqliteEventStore } from '../../src/store/sqliteEventStore';

/**
 * Issue 17, problem 2: another process holding the SQLite write lock. Writes wait for it without
 * blocking the event loop and answer 503 STORE_BUSY with Retry-After past the bound; reads are served
 * meanwhile; once the lock is released, writes succeed, a 503'd requestId included (it appended nothing).
 */
const NOW = new Date('2026-04-15T12:00:00.000Z');
let dir: string;
let server: TestServer;

const holdLock = (file: string): Promise<ChildProcessWithoutNullStreams> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'lockHolder.js'), file]);
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('locked')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });

const released = (child: ChildProcessWithoutNullStreams): Promise<void> =>
  new Promise((resolve) => {
    child.on('exit', () => resolve());
    child.stdin.end('release\n');
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-busy-'));
  server = await startServerWithHistory(
    [
      { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1', occurredAt: '2026-04-01T09:00:00Z' },
      { type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO', occurredAt: '2026-04-01T10:00:00Z' },
    ],
    NOW,
    { storeUrl: `sqlite:${join(dir, 'ledger.db')}` },
  );
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const usage = (requestId: string) => send(server, { type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '1', requestId });

test('a write waits out the bound and answers STORE_BUSY; reads are served meanwhile; after the release writes succeed', async () => {
  const before = await server.store.headPosition();
  const holder = await holdLock(join(dir, 'ledger.db'));
  let holderAlive = true;
  try {
    const order: string[] = [];
    const write = usage('r-busy').then((a) => {
      order.push('write');
      return a;
    });
    // Reads started after the write, while it waits for the lock: each must answer before it does.
    const reads: HttpAnswer[] = [];
    for (let i = 0; i < 5; i += 1) {
      const read = await server.request('GET', '/v1/catalog?month=2026-04');
      order.push('read');
      reads.push(read);
    }
    const busy = await write;
    expect(reads.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(reads[0]?.body.tiers.length).toBeGreaterThan(0);
    expect(order).toEqual(['read', 'read', 'read', 'read', 'read', 'write']);
    expect(busy.status).toBe(503);
    expect(busy.body.error.code).toBe('STORE_BUSY');
    expect(Number(busy.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await server.store.headPosition()).toBe(before);

    await released(holder);
    holderAlive = false;
    const retried = await usage('r-busy');
    expect(retried.status).toBe(201);
    expect(await server.store.headPosition()).toBe(before + 1);
    // Answered again, not appended again.
    expect((await usage('r-busy')).body).toEqual(retried.body);
    expect(await server.store.headPosition()).toBe(before + 1);
  } finally {
    if (holderAlive) await released(holder);
  }
});

test('an append queued behind one given up on the locked database, expecting the revision that one would make, is given up with it', async () => {
  const file = join(dir, 'given-up.db');
  // A bound far longer than the pause below, so that a loaded machine still queues the second
  // append while the first is retrying (the premise, checked below).
  const store = new SqliteEventStore(file, { busyBoundMs: 1000 });
  const holder = new Database(file);
  holder.exec('BEGIN IMMEDIATE');
  const event = (id: string) => [{ eventId: id, type: 'Noted', data: { id }, metadata: { schemaVersion: 1 } }];
  const first = store.append('s-1', event('e-1'), { expectedRevision: ExpectedRevision.noStream });
  let firstDone = false;
  const firstSettled = first.then(
    () => 'appended',
    (e: unknown) => (e instanceof StoreFault ? e.kind : 'other'),
  ).finally(() => {
    firstDone = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(firstDone).toBe(false);
  // Decided on top of the first, as the handler decides a group of one user's consumptions.
  const second = store.append('s-1', event('e-2'), { expectedRevision: ExpectedRevision.exact(0) }).then(
    () => 'appended',
    (e: unknown) => (e instanceof StoreFault ? e.kind : 'other'),
  );
  expect(await firstSettled).toBe('busy');
  // The lock released and another writer's event at revision 0 right away: the second must not land on it.
  holder.exec('COMMIT');
  holder.close();
  const other = new SqliteEventStore(file);
  expect((await other.append('s-1', event('e-other'), { expectedRevision: ExpectedRevision.noStream })).kind).toBe('appended');
  await other.close();
  expect(await second).toBe('busy');
  expect((await store.readStream('s-1')).map((e) => e.eventId)).toEqual(['e-other']);
  await store.close();
});
