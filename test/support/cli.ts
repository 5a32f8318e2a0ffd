import { ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The built CLI (`npm test` builds it first, in `pretest`), run as a child process. */
export const ROOT = path.resolve(__dirname, '../..');
export const BIN = path.join(ROOT, 'bin/ledger.js');

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment without the variables that would pick a store, port or host behind a test's back. */
export const baseEnv = (): NodeJS.ProcessEnv => {
  const { LEDGER_STORE: _store, PORT: _port, HOST: _host, ...env } = process.env;
  return env;
};

export const runLedger = (args: ReadonlyArray<string>, options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv } = {}): Promise<Run> =>
  new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env: { ...baseEnv(), ...options.env } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });

/** A temporary folder for a test file's stores and outputs. */
export const tempDir = (prefix: string): string => {
  if (!fs.existsSync(path.join(ROOT, 'dist/src/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it in pretest)');
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
};

/** A `ledger serve` process on an ephemeral port, in a folder of its own (its read-model snapshot). */
export interface ServeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly base: string;
  /** What it wrote to standard error so far. */
  readonly stderr: () => string;
  /** Sends the signal (SIGTERM by default) and resolves with the exit code. */
  readonly stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** Starts `ledger serve --port 0 --store URL`; resolves once it listens, rejects if it exits first. */
export const startServe = (store: string, cwd: string): Promise<ServeProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--store', store], { cwd, env: baseEnv() });
    const exited = new Promise<number | null>((done) => child.on('exit', done));
    let seen = '';
    let stderr = '';
    const stop = (signal: NodeJS.Signals = 'SIGTERM') => {
      child.kill(signal);
      return exited;
    };
    const listening = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /Server listening at (http:\/\/127\.0\.0\.1:[0-9]+)/.exec(seen);
      if (match?.[1] !== undefined) resolve({ child, base: match[1], stderr: () => stderr, stop });
    };
    child.stdout.on('data', listening);
    child.stderr.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      stderr += chunk.toString();
    });
    child.on('exit', (code) => reject(new Error(`ledger serve exited with ${code} before listening: ${seen}`)));
  });

/** How many answers of each status and error code (`201`, `422 CREDIT_EXCEEDS_LINE`): what a race came to. */
export const tally = (answers: ReadonlyArray<{ readonly status: number; readonly body: { readonly error?: { readonly code: string } } }>): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const a of answers) {
    const key = a.body.error === undefined ? String(a.status) : `${a.status} ${a.body.error.code}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
};
