import { parseArgs } from 'node:util';
import { profileStatement } from '../../app/ledgerQueries';
import { Identifier, MonthOrCurrent } from '../../domain/fields';
import { resolveCurrentMonth } from '../../domain/time';
import { strictObject } from '../../domain/validation';
import { CliCommand } from '../cliCommand';
import { renderStatement } from '../renderStatement';
import { answer, decodeOptions, storeHelp, withLedger } from '../withLedger';

const Options = strictObject('options', { profile: Identifier, month: MonthOrCurrent }, {});

export const statement: CliCommand = {
  name: 'statement',
  summary: "print a profile's statement for a month",
  help: `Usage: ledger statement --profile P --month YYYY-MM|current [--json] [--store URL]

Prints the statement of profile P for the month (current: this machine's clock's): its users,
their lines and totals, and whether the month is still open (by this machine's clock) or final.

  --json        the statement JSON of the API (docs/api.md)
  ${storeHelp}

Exit codes: 0 ok, 1 no such profile, 2 bad usage (a store that does not exist included).`,
  async run(args, io) {
    const { values } = parseArgs({ args: [...args], options: { profile: { type: 'string' }, month: { type: 'string' }, json: { type: 'boolean' }, store: { type: 'string' } }, strict: true });
    const o = decodeOptions(Options, { profile: values.profile, month: values.month });
    return withLedger(io, 'statement', values.store, async (ledger, url) =>
      answer(io, 'statement', url, await profileStatement(ledger, o.profile, resolveCurrentMonth(o, ledger.now()).month)(), (s) => (values.json ? JSON.stringify(s, null, 2) : renderStatement(s))),
    );
  },
};
