import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MAX_RATE } from '../src/auth/tokenEvents';

/** The compiled bench runs from dist/bench; the package root is two levels up. */
const LEDGER_BIN = join(__dirname, '..', '..', 'bin', 'ledger.js');
const SERVER_ENTRY = join(__dirname, 'httpServer.js');
const BARE_ENTRY = join(__dirname, 'bareServer.js');

/** Runs `ledger ARGS` in a child process of its own (its memory is its own) and parses its JSON output. */
export const ledgerJson = <T>(args: ReadonlyArray<string>): Promise<T> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LEDGER_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`ledger ${args.join(' ')} exited with ${code}: ${err}`));
      else resolve(JSON.parse(out) as T);
    });
  });

/**
 * An admin token for every account, with the highest rate a token may have, created the way an
 * operator would (`ledger token create`): the server then authenticates every request, as in
 * production, rather than running in local mode.
 */
export const createToken = async (storePath: string): Promise<string> =>
  (
    await ledgerJson<{ token: string }>(['token', 'create', '--name', 'bench', '--role', 'admin', '--rate', String(MAX_RATE), '--json', '--store', `sqlite:${storePath}`])
  ).token;

export interface LoopHeld {
  readonly eventLoopMaxStallMs: number;
  readonly longestGcMs: number;
}

export interface RunningServer {
  readonly base: string;
  /** The longest the server's event loop was held since the last call (or since it listened), and its longest garbage collection. */
  loopHeld(): Promise<LoopHeld>;
  stop(): Promise<void>;
}

/** The HTTP server in a process of its own, so that the load generator does not share its core. */
export const startServer = (storePath: string): Promise<RunningServer> => startProcess(SERVER_ENTRY, [storePath]);

/** The bare Fastify route the HTTP figures are measured against (bench/bareServer.ts). */
export const startBareServer = (): Promise<RunningServer> => startProcess(BARE_ENTRY, []);

const startProcess = (entry: string, args: ReadonlyArray<string>): Promise<RunningServer> =>
  new Promise((resolve, reject) => {
    // LEDGER_BENCH_SERVER_PROFILE=DIR: the server writes a CPU profile there when it stops (docs/performance.md).
    const profile = process.env.LEDGER_BENCH_SERVER_PROFILE;
    const flags = profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`];
    const child = spawn(process.execPath, [...flags, entry, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((done) => child.on('close', () => done()));
    child.on('error', reject);
    child.on('close', (code) => reject(new Error(`bench server exited with ${code} before it listened`)));
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      const { port } = JSON.parse(line) as { port: number };
      resolve({
        base: `http://127.0.0.1:${port}`,
        loopHeld: () =>
          new Promise((answer) => {
            lines.once('line', (held) => answer(JSON.parse(held) as LoopHeld));
            child.kill('SIGUSR2');
          }),
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
