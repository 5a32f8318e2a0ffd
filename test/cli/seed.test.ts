import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EXPECTED_REJECTIONS, seedPlan, SeedOptions } from '../../src/simulation/seedPlan';

const BIN = join(__dirname, '..', '..', 'bin', 'ledger.js');
const run = promisify(execFile);

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'ledger-seed-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const options: SeedOptions = { profiles: 3, users: 20, months: 3, usagePerUserMonth: 6, seed: 42, start: '2025-01' };

test('the same seed gives the same commands, another seed other ones', () => {
  expect([...seedPlan(options)]).toEqual([...seedPlan(options)]);
  expect([...seedPlan({ ...options, seed: 43 })]).not.toEqual([...seedPlan(options)]);
});

test('a plan uses every kind of command but DefineTier, in time order', () => {
  const plan = [...seedPlan(options)];
  expect(new Set(plan.map((c) => c.type))).toEqual(new Set(['CreateProfile', 'SetOverage', 'Subscribe', 'Upgrade', 'Downgrade', 'Unsubscribe', 'ConsumeCredits']));
  const instants = plan.map((c) => Date.parse(c.occurredAt));
  expect(instants).toEqual([...instants].sort((a, b) => a - b));
});

test('ledger seed: every command is accepted, or refused only for usage past the allowance', async () => {
  const store = `sqlite:${join(dir, 'seeded.db')}`;
  const flags = ['--profiles', '3', '--users', '20', '--months', '3', '--usage-per-user-month', '6', '--seed', '42', '--start', '2025-01'];
  const { stdout } = await run(process.execPath, [BIN, 'seed', ...flags, '--store', store, '--json']);
  const report = JSON.parse(stdout) as { commands: number; ok: number; rejected: Record<string, number>; events: number; head: number };
  expect(report.commands).toBe([...seedPlan(options)].length);
  expect(report.ok).toBeGreaterThan(report.commands * 0.9);
  for (const code of Object.keys(report.rejected)) expect(EXPECTED_REJECTIONS.has(code)).toBe(true);
  // One event per accepted command, after the three of the genesis catalog.
  expect(report.events).toBe(report.ok);
  expect(report.head).toBe(report.events + 2);
});
