import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const BIN = join(__dirname, '..', '..', 'bin', 'ledger.js');
const run = promisify(execFile);

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'ledger-verify-cli-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ledger = (...args: string[]) => run(process.execPath, [BIN, ...args]).then(
  ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
  (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
);

test('ledger seal then ledger verify on a seeded store: exit 0; a byte changed: exit 1 naming the break; a kept head that is not in the log: exit 1', async () => {
  const store = `sqlite:${join(dir, 'ledger.db')}`;
  await ledger('seed', '--profiles', '2', '--users', '4', '--months', '3', '--usage-per-user-month', '2', '--start', '2025-01', '--store', store);
  const sealed = await ledger('seal', '--json', '--store', store);
  expect(sealed.code).toBe(0);
  // Two profiles, every month from January 2025 to the month before this one.
  expect(JSON.parse(sealed.stdout).sealed).toBeGreaterThanOrEqual(6);
  expect(JSON.parse((await ledger('seal', '--json', '--store', store)).stdout)).toEqual({ sealed: 0, sealedElsewhere: 0 });

  const honest = await ledger('verify', '--store', store);
  expect([honest.code, honest.stdout]).toEqual([0, expect.stringMatching(/chain: ok\n(.|\n)*seals: \d+ ok\nverified/)]);
  const report = JSON.parse((await ledger('verify', '--json', '--store', store)).stdout) as { ok: boolean; head: { position: number; chainHash: string } };
  const kept = `${report.head.position}:${report.head.chainHash}`;
  expect((await ledger('verify', '--trusted', kept, '--store', store)).stdout).toContain(`trusted head ${report.head.position}: ok`);

  const db = new Database(join(dir, 'ledger.db'));
  const target = db.prepare<[], { global_position: number; stream_id: string }>("SELECT global_position, stream_id FROM events WHERE type = 'CreditsConsumed' LIMIT 1").get();
  db.prepare("UPDATE events SET data = replace(data, '\"credits\":\"', '\"credits\":\"1') WHERE global_position = ?").run(target?.global_position);
  db.close();
  const broken = await ledger('verify', '--trusted', kept, '--store', store);
  expect(broken.code).toBe(1);
  expect(broken.stdout).toContain(`chain: BROKEN at position ${target?.global_position} (stream ${target?.stream_id}): expected `);
  expect(broken.stdout).toContain(`trusted head ${report.head.position}: NOT IN THE LOG: expected ${report.head.chainHash}, found `);
  expect(broken.stdout).toMatch(/seals: BROKEN at position \d+ \(stream profile\/p-\d+\/seal\/2025-0\d, .* the replayed statement differs\)/);
  expect(broken.stdout).toContain('NOT VERIFIED');
});

test('ledger verify: a malformed --trusted is bad usage (exit 2)', async () => {
  const answer = await ledger('verify', '--trusted', '12:nothex', '--store', `sqlite:${join(dir, 'none.db')}`);
  expect(answer.code).toBe(2);
  expect(answer.stderr).toContain('--trusted: expected POSITION:HASH');
});
