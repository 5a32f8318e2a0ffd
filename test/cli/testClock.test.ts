import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `ledger serve --test-clock` (api.md "Test clock"), as the built CLI in a child process. */
const BIN = join(__dirname, '..', '..', 'bin', 'ledger.js');

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'ledger-test-clock-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = (): NodeJS.ProcessEnv => {
  const { LEDGER_STORE: _store, PORT: _port, HOST: _host, ...rest } = process.env;
  return rest;
};

test('--test-clock refuses a host other than loopback', async () => {
  const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(process.execPath, [BIN, 'serve', '--test-clock', '--host', '0.0.0.0', '--port', '0', '--store', 'memory:'], { env: env() }, (error, _out, err) =>
      resolve({ code: error === null ? 0 : Number(error.code), stderr: err }),
    ),
  );
  expect(code).toBe(2);
  expect(stderr).toContain('--test-clock serves only loopback hosts');
});

test('--test-clock says so at start-up, and "now" is the latest occurredAt sent', async () => {
  const child = spawn(process.execPath, [BIN, 'serve', '--test-clock', '--port', '0', '--store', `sqlite:${join(dir, 'ledger.db')}`], { env: env() });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    const base = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', () => {
        const address = /ledger serve: listening at (http:\/\/\S+) on/.exec(stderr)?.[1];
        if (address !== undefined) resolve(address);
      });
      child.on('exit', () => reject(new Error(`serve exited: ${stderr}`)));
    });
    expect(stderr).toContain('test clock: "now" is the latest occurredAt sent');
    const post = async (path: string, body: object, method = 'POST') => {
      const response = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status).toBeLessThan(300);
    };
    const march = async () => ((await (await fetch(`${base}/v1/profiles/p-1/statements/2026-03`)).json()) as { status: string }).status;

    await post('/v1/profiles', { profileId: 'p-1', accountId: '111122223333', region: 'us-east-1', occurredAt: '2026-03-01T00:00:00Z' });
    await post('/v1/profiles/p-1/subscriptions', { userId: 'alice', tier: 'PRO', occurredAt: '2026-03-02T00:00:00Z' });
    // By this machine's clock March 2026 has long ended; by the test clock it is March 2.
    expect(await march()).toBe('open');
    await post('/v1/profiles/p-1/overage', { enabled: true, occurredAt: '2026-04-02T00:00:00Z' }, 'PUT');
    expect(await march()).toBe('final');
  } finally {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
});
