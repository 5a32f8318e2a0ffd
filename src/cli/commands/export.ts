import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { exportStatements } from '../../app/ledgerQueries';
import { AccountId, MonthString } from '../../domain/fields';
import { strictObject } from '../../domain/validation';
import { billingExportCsv } from '../../projections/billingExport';
import { CliCommand } from '../cliCommand';
import { answer, decodeOptions, storeHelp, withLedger } from '../withLedger';

const Options = strictObject('options', { month: MonthString }, { account: AccountId });

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'write the billing export (CSV, AWS CUR 2.0 columns) of a month',
  help: `Usage: ledger export --month YYYY-MM [--account A] [--out FILE] [--store URL]

Writes one CSV row per statement line of the month, for every profile of account A or, without
--account, of every account: AWS Cost and Usage Report 2.0 column names, and a last column
ledger_event_ids with the events behind the row (streamId@position, ;-separated).

  --out FILE    write the CSV to FILE instead of standard output
  ${storeHelp}

Exit codes: 0 ok, 1 the account has no profile in that month, 2 bad usage.`,
  async run(args, io) {
    const { values } = parseArgs({ args: [...args], options: { month: { type: 'string' }, account: { type: 'string' }, out: { type: 'string' }, store: { type: 'string' } }, strict: true });
    const o = decodeOptions(Options, { month: values.month, account: values.account });
    return withLedger(io, values.store, async (ledger) =>
      answer(io, 'export', await exportStatements(ledger, o.month, o.account)(), (statements) => {
        const csv = billingExportCsv(statements);
        // io.out ends the text with a newline of its own.
        if (values.out === undefined) return csv.replace(/\r\n$/, '');
        fs.writeFileSync(values.out, csv);
        return `wrote ${values.out}`;
      }),
    );
  },
};
