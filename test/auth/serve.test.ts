import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../../src/cli/main';

/** The built CLI (`npm test` builds it in `pretest`), as `ledger serve` runs in production. */
const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/ledger.js');

let dir: string;
let store: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-serve-'));
  store = `sqlite:${join(dir, 'ledger.db')}`;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cli = async (...args: string[]) => {
  const err: string[] = [];
  const out: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), env: { LEDGER_STORE: store } });
  return { code, out: out.join('\n'), err: err.join('\n') };
};

/** Starts `ledger serve`, waits until it listens, and returns its address and what it wrote to stderr by then. */
const serve = (...args: string[]) => {
  const { LEDGER_STORE: _s, PORT: _p, HOST: _h, ...env } = process.env;
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--store', store, ...args], { cwd: ROOT, env });
  const exited = new Promise<number | null>((done) => child.on('exit', done));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const listening = new Promise<string>((done, fail) => {
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const port = /Server listening at http:\/\/[^ "]*:([0-9]+)/.exec(seen)?.[1];
      if (port !== undefined) done(`http://127.0.0.1:${port}`);
    });
    child.on('exit', (code) => fail(new Error(`exited with ${code} before listening: ${seen}${stderr}`)));
  });
  return {
    listening,
    stderr: () => stderr,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
};

describe('ledger serve and tokens', () => {
  test('without tokens it refuses a non-loopback host, with exit code 2 and the way out', async () => {
    const r = await cli('serve', '--host', '0.0.0.0', '--port', '0');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no API tokens .* only loopback hosts .* not 0\.0\.0\.0/);
    expect(r.err).toMatch(/ledger token create/);
  });

  test('without tokens it serves loopback in local mode and says so', async () => {
    const server = serve();
    try {
      const base = await server.listening;
      expect(server.stderr()).toContain('no API tokens: local mode, loopback only, actor local');
      expect((await fetch(`${base}/v1/accounts/111122223333/statements/2026-04`)).status).toBe(404);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  test('with a token it serves any host, and only to tokens', async () => {
    const created = await cli('token', 'create', '--name', 'ops', '--role', 'reader', '--json');
    const { token } = JSON.parse(created.out) as { token: string };
    const server = serve('--host', '0.0.0.0');
    try {
      const base = await server.listening;
      expect(server.stderr()).not.toContain('local mode');
      const path = `${base}/v1/accounts/111122223333/statements/2026-04`;
      expect((await fetch(path)).status).toBe(401);
      expect((await fetch(path, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
      expect((await cli('token', 'revoke', 'ops')).code).toBe(0);
      expect((await fetch(path, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
