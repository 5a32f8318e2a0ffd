import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import Decimal from 'decimal.js';
import * as E from 'fp-ts/Either';
import { LedgerService } from '../../src/app/ledgerService';
import { SqliteEventStore } from '../../src/store/sqliteEventStore';
import { baseEnv, BIN, ROOT, Run, runLedger, tempDir } from '../support/cli';

const ACCOUNT = '111122223333';
const run = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}): Promise<Run> => runLedger(args, { env });

let dir: string;
let storeFile: string;
let store: string;

beforeAll(async () => {
  dir = tempDir('ledger-cli-');
  storeFile = path.join(dir, 'ledger.db');
  store = `sqlite:${storeFile}`;
  let now = new Date('2026-03-01T00:00:00Z');
  const sqlite = new SqliteEventStore(storeFile);
  const ledger = await new LedgerService(sqlite, { clock: () => now }).open();
  const commands: ReadonlyArray<[string, Record<string, unknown>]> = [
    ['2026-03-01T09:00:00Z', { type: 'CreateProfile', profileId: 'p-iad', accountId: ACCOUNT, region: 'us-east-1' }],
    ['2026-03-01T09:01:00Z', { type: 'CreateProfile', profileId: 'p-fra', accountId: ACCOUNT, region: 'eu-central-1' }],
    ['2026-03-02T09:00:00Z', { type: 'Subscribe', profileId: 'p-iad', userId: 'alice', tier: 'PRO' }],
    ['2026-04-10T09:00:00Z', { type: 'Upgrade', profileId: 'p-iad', userId: 'alice', tier: 'POWER' }],
    ['2026-04-11T09:00:00Z', { type: 'Subscribe', profileId: 'p-fra', userId: 'alice', tier: 'PRO' }],
  ];
  for (const [at, command] of commands) {
    now = new Date(at);
    const result = await ledger.execute({ ...command, occurredAt: at }, { actor: 'test' });
    if (E.isLeft(result)) throw new Error(result.left.message);
  }
  await sqlite.close();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ledger statement', () => {
  test('prints the table by default', async () => {
    const r = await run(['statement', '--profile', 'p-iad', '--month', '2026-04', '--store', store]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Statement p-iad \(111122223333, us-east-1\) 2026-04 — final, total 200\.00 USD/);
    expect(r.stdout).toMatch(/alice\s+REFUND\s+PRO\s+-20\.00/);
  });

  test("problem 6: --month current is the month of this machine's clock, as over HTTP", async () => {
    const r = await run(['statement', '--profile', 'p-iad', '--month', 'current', '--json', '--store', store]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect([s.month, s.status, s.total]).toEqual([new Date().toISOString().slice(0, 7), 'open', '200.00']);
  });

  test("problem 6: --occurred-at's help says what each command is checked against (T2)", async () => {
    const usage = await run(['usage', '--help']);
    expect(usage.stdout).toContain("never before the profile's creation, its overage switches or this user's subscription changes");
    expect(usage.stdout).not.toContain("profile's latest change");
    expect((await run(['overage', '--help'])).stdout).toContain('or any consumption');
  });

  test('--json prints the statement JSON; LEDGER_STORE names the store', async () => {
    const r = await run(['statement', '--profile', 'p-iad', '--month', '2026-04', '--json'], { LEDGER_STORE: store });
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ profileId: 'p-iad', accountId: ACCOUNT, region: 'us-east-1', month: '2026-04', currency: 'USD', status: 'final', total: '200.00' });
    expect(s.users[0].lines.map((l: { kind: string; amount: string }) => [l.kind, l.amount])).toEqual([
      ['CHARGE', '20.00'],
      ['REFUND', '-20.00'],
      ['CHARGE', '200.00'],
    ]);
  });

  test('an unknown profile is exit code 1', async () => {
    const r = await run(['statement', '--profile', 'p-nowhere', '--month', '2026-04', '--store', store]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/PROFILE_NOT_FOUND: profile p-nowhere does not exist/);
  });
});

describe('ledger account-statement', () => {
  test('--json, and the table names users billed in several profiles', async () => {
    const json = await run(['account-statement', '--account', ACCOUNT, '--month', '2026-04', '--json', '--store', store]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ accountId: ACCOUNT, total: '220.00', usersInSeveralProfiles: [{ userId: 'alice', profiles: ['p-fra', 'p-iad'] }] });
    const table = await run(['account-statement', '--account', ACCOUNT, '--month', '2026-04', '--store', store]);
    expect(table.stdout).toMatch(/Users billed in several profiles:\n\s+alice: p-fra, p-iad/);
  });

  test('an account without profiles is exit code 1', async () => {
    expect((await run(['account-statement', '--account', '999999999999', '--month', '2026-04', '--store', store])).code).toBe(1);
  });
});

describe('ledger export', () => {
  test('--out writes the CSV; its costs add up to the account total', async () => {
    const out = path.join(dir, 'april.csv');
    const r = await run(['export', '--month', '2026-04', '--account', ACCOUNT, '--out', out, '--store', store]);
    expect(r.code).toBe(0);
    const rows: Array<Record<string, string>> = parse(fs.readFileSync(out, 'utf8'), { columns: true });
    expect(rows).toHaveLength(4);
    expect(rows.reduce((sum, row) => sum.plus(row.line_item_unblended_cost as string), new Decimal(0)).toFixed(2)).toBe('220.00');
  });

  test('without --out, to standard output, for every account', async () => {
    const r = await run(['export', '--month', '2026-04', '--store', store]);
    expect(r.code).toBe(0);
    expect(parse(r.stdout, { columns: true })).toHaveLength(4);
  });
});

describe('bad usage is exit code 2', () => {
  test.each([
    [['statement', '--month', '2026-04'], /--profile: is required/],
    [['statement', '--profile', 'p-iad', '--month', '2026-4'], /--month: must be a month as YYYY-MM/],
    [['account-statement', '--account', '12345', '--month', '2026-04'], /--account: must be a 12-digit AWS account id/],
    [['export', '--month', '2026-04', 'extra'], /Unexpected argument/i],
    [['statement', '--profile', 'p-iad', '--month', '2026-04', '--colour'], /Unknown option/i],
    [['serve', '--port', '70000'], /--port: must be a TCP port/],
  ])('ledger %j', async (args, message) => {
    const r = await run([...args, '--store', store]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  test.each(['statement', 'account-statement', 'export', 'serve'])('ledger %s --help is exit code 0', async (command) => {
    const r = await run([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: ledger ${command}`));
  });
});

describe('ledger serve', () => {
  const listening = (child: ChildProcessWithoutNullStreams): Promise<string> =>
    new Promise((resolve, reject) => {
      let seen = '';
      child.stdout.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const match = /Server listening at (http:\/\/127\.0\.0\.1:[0-9]+)/.exec(seen);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`exited with ${code} before listening: ${seen}`)));
    });

  test('honours PORT and LEDGER_STORE, serves, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'serve'], { cwd: ROOT, env: { ...baseEnv(), PORT: '0', LEDGER_STORE: store } });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const base = await listening(child);
      const statement = await fetch(`${base}/v1/profiles/p-iad/statements/2026-04`);
      expect(statement.status).toBe(200);
      expect(((await statement.json()) as { total: string }).total).toBe('200.00');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
