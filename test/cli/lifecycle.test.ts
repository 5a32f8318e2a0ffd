import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseEnv, ROOT, runLedger, startServe, tempDir } from '../support/cli';

/** Issue 17, problems 6 and 7: a shutdown whose snapshot cannot be written, and a deleted -wal. */
let dir: string;
beforeAll(() => {
  dir = tempDir('ledger-lifecycle-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('shutdown exits 0 and closes the store when the snapshot cannot be written, with a warning', async () => {
  const file = join(dir, 'shutdown.db');
  const server = await startServe(`sqlite:${file}`, ROOT);
  const base = server.base;
  const created = await fetch(`${base}/v1/profiles`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ profileId: 'p-1', accountId: '111122223333', region: 'us-east-1' }) });
  expect(created.status).toBe(201);
  // Where the snapshot goes, a folder that is not empty: the save's rename fails whoever runs the test (root ignores read-only folders).
  mkdirSync(`${file}.view.json`);
  writeFileSync(join(`${file}.view.json`, 'keep'), '');
  expect(await server.stop()).toBe(0);
  expect(server.stderr()).toMatch(/warning: the read-model snapshot was not saved/);
  // SQLite removes the -wal when the last connection closes: the store was closed.
  expect(existsSync(`${file}-wal`)).toBe(false);
  // What was acknowledged is there for the next run (an unknown profile would be PROFILE_NOT_FOUND, exit 1).
  rmSync(`${file}.view.json`, { recursive: true });
  const next = await runLedger(['events', '--profile', 'p-1', '--json', '--store', `sqlite:${file}`]);
  expect([next.code, next.stderr]).toEqual([0, '']);
}, 60_000);

test('a -wal deleted after kill -9 is a loud warning at start-up; a clean store gets none', async () => {
  const file = join(dir, 'wal.db');
  const writer = spawn(process.execPath, [join(ROOT, 'test/store/crashWriter.js'), `sqlite:${file}`, '1'], { cwd: ROOT, env: baseEnv() });
  await new Promise<void>((done) => {
    let lines = 0;
    writer.stdout.on('data', (chunk: Buffer) => {
      lines += chunk.toString().split('\n').length - 1;
      if (lines >= 50) done();
    });
  });
  const killed = new Promise((done) => writer.on('exit', done));
  writer.kill('SIGKILL');
  await killed;
  expect([existsSync(`${file}-wal`), existsSync(`${file}-shm`)]).toEqual([true, true]);
  rmSync(`${file}-wal`);
  const warned = await runLedger(['replay', '--store', `sqlite:${file}`]);
  expect(warned.stderr).toMatch(/WARNING: .*wal\.db-wal is missing, but .*wal\.db-shm shows it held [1-9][0-9]* WAL frames/);
  expect(warned.stderr).toMatch(/docs\/durability\.md/);

  // That run closed the store cleanly (no -wal, no -shm left): the next start says nothing.
  const clean = await runLedger(['replay', '--store', `sqlite:${file}`]);
  expect(clean.stderr).not.toMatch(/WARNING/);
}, 60_000);
