import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { baseEnv, ROOT, tempDir } from '../support/cli';

/** Issue 13, item 10: SIGTERM to npm's process (what a supervisor sends) stops the server too, leaving no orphan. */
let dir: string;
beforeAll(() => {
  dir = tempDir('ledger-npm-start-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('npm start: SIGTERM to npm stops the server, which shuts down cleanly', async () => {
  const npm = spawn('npm', ['start', '--silent'], { cwd: ROOT, env: { ...baseEnv(), PORT: '0', LEDGER_STORE: `sqlite:${path.join(dir, 'ledger.db')}` } });
  const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
  let log = '';
  const listening = await new Promise<{ readonly pid: number; readonly base: string }>((resolve, reject) => {
    npm.stdout.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const line = log.split('\n').find((l) => l.includes('Server listening at'));
      if (line !== undefined) {
        const parsed = JSON.parse(line) as { pid: number; msg: string };
        resolve({ pid: parsed.pid, base: /http:\/\/[^ ]+/.exec(parsed.msg)?.[0] as string });
      }
    });
    npm.on('exit', (code) => reject(new Error(`npm exited with ${code}: ${log}`)));
  });
  expect((await fetch(`${listening.base}/openapi.json`)).status).toBe(200);

  npm.kill('SIGTERM');
  await exited;
  // The server logs its orderly shutdown, then its process is gone.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(log).toMatch(/"signal":"SIGTERM","msg":"shutting down"/);
  expect(isRunning(listening.pid)).toBe(false);
}, 30_000);
