import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
export const BIN = join(ROOT, 'bin/ledger.js');

/** A `ledger serve` process of the built CLI (`npm test` builds it first). */
export interface LedgerNode {
  readonly child: ChildProcessWithoutNullStreams;
  readonly base: string;
  /** Everything it wrote so far, both streams. */
  output(): string;
}

/**
 * Starts `ledger serve --port 0 --store URL` in a folder of its own under `dir` (its read-model
 * snapshot), with the extra arguments given; resolves once it listens.
 */
export const startLedgerNode = (url: string, dir: string, extra: ReadonlyArray<string> = []): Promise<LedgerNode> =>
  new Promise((resolveNode, reject) => {
    const { LEDGER_STORE: _store, PORT: _port, HOST: _host, ...env } = process.env;
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--store', url, ...extra], { cwd: mkdtempSync(join(dir, 'node-')), env });
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /Server listening at (http:\/\/127\.0\.0\.1:[0-9]+)/.exec(seen);
      if (match?.[1] !== undefined) resolveNode({ child, base: match[1], output: () => seen });
    });
    child.stderr.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`node exited with ${code} before listening: ${seen}`)));
  });
