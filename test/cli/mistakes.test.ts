import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { baseEnv, BIN, ROOT, runLedger, tempDir } from '../support/cli';

/** Issue 13: a newcomer's mistakes get answers that say what to do, and leave nothing behind. */
let dir: string;
beforeAll(() => {
  dir = tempDir('ledger-mistakes-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('a store that does not exist', () => {
  test.each([
    ['statement', '--profile', 'p-iad', '--month', '2026-12'],
    ['account-statement', '--account', '111122223333', '--month', '2026-12'],
    ['export', '--month', '2026-12'],
    ['replay'],
    ['token', 'list'],
    ['token', 'revoke', 'ops'],
    ['events', '--profile', 'p-iad'],
    ['subscribe', '--profile', 'p-iad', '--user', 'alice', '--tier', 'PRO'],
  ])('ledger %s … refuses it, naming it, and creates nothing', async (...args) => {
    const missing = path.join(dir, 'nonexistent', 'dir', 'x.db');
    const r = await runLedger([...args, '--store', `sqlite:${missing}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`ledger ${args[0]}: no ledger at sqlite:${missing} (${missing} does not exist): check --store or LEDGER_STORE; ledger serve, seed or token create start a new one\n`);
    expect(fs.existsSync(path.join(dir, 'nonexistent'))).toBe(false);
  });

  test('a relative path is resolved where the command runs, and named in full', async () => {
    const r = await runLedger(['replay', '--store', 'sqlite:never.db'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`(${path.join(fs.realpathSync(dir), 'never.db')} does not exist)`);
    expect(fs.existsSync(path.join(dir, 'never.db'))).toBe(false);
  });

  test('seed and token create start one and say so; the next command opens it silently', async () => {
    const seeded = path.join(dir, 'seeded', 'ledger.db');
    const seed = await runLedger(['seed', '--profiles', '1', '--users', '1', '--months', '1', '--store', `sqlite:${seeded}`]);
    expect(seed.code).toBe(0);
    expect(seed.stderr).toContain(`ledger seed: created a new ledger at ${seeded}\n`);
    const again = await runLedger(['seed', '--profiles', '1', '--users', '1', '--months', '1', '--seed', '2', '--store', `sqlite:${seeded}`]);
    expect(again.stderr).not.toContain('created a new ledger');

    const tokens = path.join(dir, 'tokens.db');
    const created = await runLedger(['token', 'create', '--name', 'ops', '--role', 'admin', '--store', `sqlite:${tokens}`]);
    expect(created.code).toBe(0);
    expect(created.stderr).toContain(`ledger token: created a new ledger at ${tokens}\n`);
    const listed = await runLedger(['token', 'list', '--store', `sqlite:${tokens}`]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^name .*\n-+.*\nops /);
  });

  test('a not-found answer names the store it looked in', async () => {
    const tokens = `sqlite:${path.join(dir, 'tokens.db')}`;
    const r = await runLedger(['statement', '--profile', 'p-none', '--month', '2026-04', '--store', tokens]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`ledger statement: PROFILE_NOT_FOUND: profile p-none does not exist (in the ledger at ${tokens})\n`);
    const revoke = await runLedger(['token', 'revoke', 'nobody', '--store', tokens]);
    expect(revoke.code).toBe(1);
    expect(revoke.stderr).toContain(`(in the ledger at ${tokens})`);
  });
});

describe('messages that say what to do', () => {
  test.each([
    [['statement', '--profile', 'p-iad', '--month', '2026-13'], /--month: must be a month as YYYY-MM \(months run 01 to 12\), or current, got "2026-13"/],
    [['statement', '--profile', 'p-iad', '--mont', '2026-04'], /Unknown option '--mont' \(did you mean --month\?\)/],
    [['statment', '--profile', 'p-iad'], /unknown command "statment" \(did you mean statement\?\)/],
    [['simulate', 'README.md'], /^ledger simulate: README.md is not JSON \(.*\); a scenario is a JSON file, see shared\/scenarios\/README.md/],
    [['simulate', 'package.json'], /^ledger simulate: package.json is not a scenario: steps: is required\n/],
    [['simulate', 'no-such-file.json'], /^ledger simulate: cannot read no-such-file.json: no such file\n/],
  ])('ledger %j is exit code 2 with a message to act on', async (args, message) => {
    const r = await runLedger(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  test('export --out into a missing folder is bad usage naming the folder', async () => {
    const tokens = `sqlite:${path.join(dir, 'out.db')}`;
    expect((await runLedger(['token', 'create', '--name', 'ops', '--role', 'admin', '--store', tokens])).code).toBe(0);
    const out = path.join(dir, 'missing', 'x.csv');
    const r = await runLedger(['export', '--month', '2026-04', '--out', out, '--store', tokens]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^ledger export: --out: cannot write ${out}: the folder ${path.dirname(out)} does not exist`));
  });

  test('a port in use suggests --port or PORT', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await runLedger(['serve', '--port', String(port), '--store', `sqlite:${path.join(dir, 'port.db')}`]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`ledger serve: port ${port} on 127.0.0.1 is in use (another server?): choose another with --port N or PORT=N (0: any free port)`);
    } finally {
      blocker.close();
    }
  });
});

describe('the start-up line', () => {
  test('serving every interface says so, and explains the catalog events of a new store', async () => {
    const store = `sqlite:${path.join(dir, 'wide.db')}`;
    expect((await runLedger(['token', 'create', '--name', 'ops', '--role', 'admin', '--store', store])).code).toBe(0);
    const child = spawn(process.execPath, [BIN, 'serve', '--host', '0.0.0.0', '--port', '0', '--store', store], { cwd: ROOT, env: baseEnv() });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let seen = '';
        child.stderr.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          const match = /^ledger serve: listening.*$/m.exec(seen);
          if (match !== null) resolve(match[0]);
        });
        child.on('exit', (code) => reject(new Error(`exited with ${code}: ${seen}`)));
      });
      expect(line).toMatch(/^ledger serve: listening on every interface \(0\.0\.0\.0\), port [0-9]+; from this machine http:\/\/127\.0\.0\.1:[0-9]+ on sqlite:.*wide\.db; [0-9]+ events in the read model, the 3 of the default tier catalog included$/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  test('another host on a store without tokens is refused before a store is created', async () => {
    const fresh = path.join(dir, 'fresh.db');
    const r = await runLedger(['serve', '--host', '0.0.0.0', '--store', `sqlite:${fresh}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no API tokens in the store, so it serves only loopback hosts .* not 0\.0\.0\.0\.\nCreate one first: ledger token create/);
    expect(fs.existsSync(fresh)).toBe(false);
  });
});
