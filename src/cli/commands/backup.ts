import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteEventStore } from '../../store/sqliteEventStore';
import { CliCommand, ExitCode, UsageError } from '../cliCommand';
import { storeHelp, withStore } from '../withLedger';

export const backup: CliCommand = {
  name: 'backup',
  summary: 'copy the SQLite ledger to a file, safely while the server runs',
  help: `Usage: ledger backup --to FILE [--store URL]

Copies the SQLite ledger to FILE with SQLite's online backup: one consistent snapshot of the log
(every acknowledged append up to a moment, nothing half-written), safe while ledger serve and other
processes write. FILE must not exist. To restore, start on the copy: ledger serve --store sqlite:FILE.
The copy is checked (SQLite's integrity check, its log head) before this answers; check its
events too before restoring from it: ledger verify --store sqlite:FILE (the hash chain and the
seals). For PostgreSQL use pg_dump or point-in-time recovery: docs/stores.md.

  --to FILE     where the copy goes (its folder must exist)
  ${storeHelp}

Exit codes: 0 copied and checked, 1 the copy failed its check, 2 bad usage (no --to, FILE exists,
not a SQLite store).`,
  async run(args, io) {
    const { values } = parseArgs({ args: [...args], options: { to: { type: 'string' }, store: { type: 'string' } }, strict: true });
    const to = values.to;
    if (to === undefined || to === '') throw new UsageError('--to: is required (the file to copy the ledger to)');
    const destination = path.resolve(to);
    // Never over a file: it may be the last good backup, or the ledger itself.
    if (fs.existsSync(destination)) throw new UsageError(`--to: ${destination} exists; choose a new file`);
    if (!fs.existsSync(path.dirname(destination))) throw new UsageError(`--to: the folder ${path.dirname(destination)} does not exist`);
    return withStore(io, 'backup', values.store, 'refuse', async ({ store, url }) => {
      if (!(store instanceof SqliteEventStore)) throw new UsageError(`backup copies a SQLite ledger, not ${url}: for PostgreSQL use pg_dump or point-in-time recovery (docs/stores.md)`);
      await store.backup(destination);
      const copy = new SqliteEventStore(destination);
      try {
        const check = copy.integrityCheck();
        if (check !== 'ok') {
          io.err(`ledger backup: the copy at ${destination} failed SQLite's integrity check: ${check}`);
          return ExitCode.ruleViolation;
        }
        io.out(`ledger backup: copied ${url} to ${destination}, log head at position ${await copy.headPosition()}, integrity ok; restore by starting on sqlite:${destination} after ledger verify --store sqlite:${destination}`);
        return ExitCode.ok;
      } finally {
        await copy.close();
      }
    });
  },
};
