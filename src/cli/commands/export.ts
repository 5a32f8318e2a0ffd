import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { exportStatements } from '../../app/ledgerQueries';
import { AccountId, MonthOrCurrent } from '../../domain/fields';
import { resolveCurrentMonth } from '../../domain/time';
import { strictObject } from '../../domain/validation';
import { billingExportCsv } from '../../projections/billingExport';
import { CliCommand, UsageError } from '../cliCommand';
import { answer, decodeOptions, storeHelp, withLedger } from '../withLedger';

const Options = strictObject('options', { month: MonthOrCurrent }, { account: AccountId });

/** An --out the CLI cannot write is bad usage (exit code 2), named with the folder to create. */
const writeOut = (file: string, content: string | Buffer): void => {
  try {
    fs.writeFileSync(file, content);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`--out: cannot write ${file}: the folder ${path.dirname(path.resolve(file))} does not exist`);
    if (code === 'EACCES' || code === 'EISDIR' || code === 'EROFS') throw new UsageError(`--out: cannot write ${file} (${code})`);
    throw e;
  }
};

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'write the billing export (CSV, AWS CUR 2.0 columns) of a month',
  help: `Usage: ledger export --month YYYY-MM|current [--account A] [--out FILE [--gzip]] [--store URL]

Writes one CSV row per statement line of the month, for every profile of account A or, without
--account, of every account: AWS Cost and Usage Report 2.0 column names, and a last column
ledger_event_ids with the events behind the row (streamId@position, ;-separated).

  --out FILE    write the CSV to FILE instead of standard output (its folder must exist)
  --gzip        compress FILE with gzip (name it *.csv.gz); needs --out
  ${storeHelp}

Exit codes: 0 ok, 1 the account has no profile in that month, 2 bad usage (a store or folder
that does not exist included).`,
  async run(args, io) {
    const { values } = parseArgs({
      args: [...args],
      options: { month: { type: 'string' }, account: { type: 'string' }, out: { type: 'string' }, gzip: { type: 'boolean' }, store: { type: 'string' } },
      strict: true,
    });
    const o = decodeOptions(Options, { month: values.month, account: values.account });
    const out = values.out;
    // A terminal is no place for gzip bytes; a pipe can take the plain CSV and compress it itself.
    if (values.gzip && out === undefined) throw new UsageError('--gzip: needs --out FILE');
    return withLedger(io, 'export', values.store, async (ledger, url) =>
      answer(io, 'export', url, await exportStatements(ledger, resolveCurrentMonth(o, ledger.now()).month, o.account)(), (statements) => {
        const csv = billingExportCsv(statements);
        // io.out ends the text with a newline of its own.
        if (out === undefined) return csv.replace(/\r\n$/, '');
        writeOut(out, values.gzip ? gzipSync(csv) : csv);
        return `wrote ${out}`;
      }),
    );
  },
};
