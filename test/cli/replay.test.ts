import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isLedgerStream } from '../../src/domain/events';
import { RecordedEvent } from '../../src/store/eventStore';
import { SqliteEventStore } from '../../src/store/sqliteEventStore';

const BIN = join(__dirname, '..', '..', 'bin', 'ledger.js');
const run = promisify(execFile);

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'ledger-replay-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const logOf = async (file: string): Promise<RecordedEvent[]> => {
  const store = new SqliteEventStore(file);
  const events: RecordedEvent[] = [];
  for await (const e of store.readAll()) events.push(e);
  await store.close();
  return events;
};

const seeded = async (name: string): Promise<string> => {
  const file = join(dir, name);
  await run(process.execPath, [BIN, 'seed', '--profiles', '2', '--users', '15', '--months', '2', '--usage-per-user-month', '4', '--store', `sqlite:${file}`]);
  return file;
};

test('ledger replay --json reads every event of a seeded store, and writes no ledger event', async () => {
  const file = await seeded('ledger.db');
  const before = await logOf(file);
  const { stdout, stderr } = await run(process.execPath, [BIN, 'replay', '--json', '--store', `sqlite:${file}`]);
  const report = JSON.parse(stdout) as { events: number; head: number; seconds: number; eventsPerSec: number; peakRssMb: number; snapshot: string };
  const after = await logOf(file);
  expect(before.length).toBeGreaterThan(100);
  expect(report.events).toBe(before.length);
  expect(report.head).toBe(before.length - 1);
  expect(report.peakRssMb).toBeGreaterThan(0);
  expect(after.filter((e) => isLedgerStream(e.streamId))).toEqual(before.filter((e) => isLedgerStream(e.streamId)));
  // stderr is no terminal here: a few plain progress lines, no bar redraws.
  expect(stderr).not.toContain('\r');
});

test('ledger replay rewrites a damaged snapshot, which the next start then uses without a warning', async () => {
  const file = await seeded('damaged.db');
  const snapshot = `${file}.view.json`;
  writeFileSync(snapshot, '{"version":1,"checkpoint":');
  const { stdout } = await run(process.execPath, [BIN, 'replay', '--json', '--store', `sqlite:${file}`]);
  expect(JSON.parse(stdout).snapshot).toBe(snapshot);
  expect(readFileSync(snapshot, 'utf8').length).toBeGreaterThan(1000);

  // A query opens the ledger from the snapshot: no warning, since it verifies.
  const { stderr } = await run(process.execPath, [BIN, 'statement', '--profile', 'p-0001', '--month', '2026-01', '--store', `sqlite:${file}`]).catch((e) => e);
  expect(stderr).not.toContain(snapshot);
});

test('ledger serve starts on a truncated snapshot, with one warning naming the file', async () => {
  const file = await seeded('truncated.db');
  const snapshot = `${file}.view.json`;
  await run(process.execPath, [BIN, 'replay', '--store', `sqlite:${file}`]);
  const text = readFileSync(snapshot, 'utf8');
  writeFileSync(snapshot, text.slice(0, text.length / 2));

  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--store', `sqlite:${file}`]);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    const started = () => stderr.includes('ledger serve: listening at http://') && resolve();
    child.stderr.on('data', started);
    child.on('exit', () => reject(new Error(`serve exited: ${stderr}`)));
  });
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(stderr.split(snapshot).length - 1).toBe(1);
  expect(stderr).toContain('discarded, the read model is rebuilt from the log');
  expect(existsSync(snapshot)).toBe(true);
});
