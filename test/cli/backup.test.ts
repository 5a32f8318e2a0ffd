import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/store/sqliteEventStore';
import { RecordedEvent } from '../../src/store/eventStore';
import { runLedger, startServe, tempDir } from '../support/cli';

/** Issue 17 item 7: `ledger backup --to FILE` while the server writes, and a restore by starting on the copy. */
let dir: string;
beforeAll(() => {
  dir = tempDir('ledger-backup-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const all = async (file: string): Promise<RecordedEvent[]> => {
  const store = new SqliteEventStore(file);
  try {
    const events: RecordedEvent[] = [];
    for await (const e of store.readAll()) events.push(e);
    return events;
  } finally {
    await store.close();
  }
};

test('a backup taken under load is a consistent prefix of the log, and the ledger starts on it', async () => {
  const file = join(dir, 'ledger.db');
  const server = await startServe(`sqlite:${file}`, dir);
  try {
    const base = server.base;
    const post = async (path: string, body: unknown) =>
      (await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status;
    expect(await post('/v1/profiles', { profileId: 'p-1', accountId: '111122223333', region: 'us-east-1' })).toBe(201);
    expect(await post('/v1/profiles/p-1/subscriptions', { userId: 'alice', tier: 'POWER' })).toBe(201);
    let writing = true;
    let acknowledged = 0;
    const load = (async () => {
      for (let i = 0; writing; i += 1) if ((await post('/v1/profiles/p-1/usage', { userId: 'alice', credits: '1', requestId: `r-${i}` })) === 201) acknowledged += 1;
    })();
    while (acknowledged < 50) await new Promise((r) => setTimeout(r, 20));
    const copy = join(dir, 'copy.db');
    const backedUp = await runLedger(['backup', '--to', copy, '--store', `sqlite:${file}`]);
    writing = false;
    await load;
    expect([backedUp.code, backedUp.stderr]).toEqual([0, '']);
    expect(backedUp.stdout).toMatch(/integrity ok/);

    const original = await all(file);
    const copied = await all(copy);
    expect(copied.length).toBeGreaterThan(50);
    // Every event of the copy is the original's at its position: a snapshot of the log, no holes, nothing half-written.
    expect(copied).toEqual(original.slice(0, copied.length));

    // Restore: a ledger started on the copy serves what the copy holds.
    const restored = await runLedger(['statement', '--profile', 'p-1', '--month', new Date().toISOString().slice(0, 7), '--json', '--store', `sqlite:${copy}`]);
    expect(restored.code).toBe(0);
    const used = copied.filter((e) => e.type === 'CreditsConsumed').length;
    expect(JSON.parse(restored.stdout).users[0].creditsUsed).toBe(`${used}.00`);
  } finally {
    await server.stop();
  }
}, 90_000);

test('backup refuses to overwrite a file and names a missing --to', async () => {
  const file = join(dir, 'refuse.db');
  new SqliteEventStore(file).close();
  const existing = join(dir, 'existing.db');
  writeFileSync(existing, 'precious');
  const over = await runLedger(['backup', '--to', existing, '--store', `sqlite:${file}`]);
  expect(over.code).toBe(2);
  expect(over.stderr).toMatch(/exists; choose a new file/);
  const missing = await runLedger(['backup', '--store', `sqlite:${file}`]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/--to: is required/);
});
