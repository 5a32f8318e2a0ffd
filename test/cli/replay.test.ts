import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SqliteEventStore } from '../../src/store/sqliteEventStore';

const BIN = join(__dirname, '..', '..', 'bin', 'ledger.js');
const run = promisify(execFile);

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'ledger-replay-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('ledger replay --json reads every event of a seeded store, and writes none', async () => {
  const file = join(dir, 'ledger.db');
  await run(process.execPath, [BIN, 'seed', '--profiles', '2', '--users', '15', '--months', '2', '--usage-per-user-month', '4', '--store', `sqlite:${file}`]);
  const { stdout, stderr } = await run(process.execPath, [BIN, 'replay', '--json', '--store', `sqlite:${file}`]);
  const report = JSON.parse(stdout) as { events: number; head: number; seconds: number; eventsPerSec: number; peakRssMb: number };
  const store = new SqliteEventStore(file);
  const head = await store.headPosition();
  await store.close();
  expect(head).toBeGreaterThan(100);
  expect(report.events).toBe(head + 1);
  expect(report.head).toBe(head);
  expect(report.peakRssMb).toBeGreaterThan(0);
  // stderr is no terminal here: a few plain progress lines, no bar redraws.
  expect(stderr).not.toContain('\r');
});
