import { parseArgs } from 'node:util';
import { knownAccountStatement } from '../../app/ledgerQueries';
import { AccountId, MonthOrCurrent } from '../../domain/fields';
import { resolveCurrentMonth } from '../../domain/time';
import { strictObject } from '../../domain/validation';
import { CliCommand } from '../cliCommand';
import { renderAccountStatement } from '../renderStatement';
import { answer, decodeOptions, storeHelp, withLedger } from '../withLedger';

const Options = strictObject('options', { account: AccountId, month: MonthOrCurrent }, {});

export const accountStatement: CliCommand = {
  name: 'account-statement',
  summary: "print an account's profiles and totals for a month",
  help: `Usage: ledger account-statement --account A --month YYYY-MM|current [--json] [--store URL]

Prints the account's total for the month, each of its profiles' totals, and the users billed in
more than one of its profiles (each profile bills its users on its own, so such a user is
charged in each).

  --json        {"accountId", "month", "currency", "status", "total", "profiles", "usersInSeveralProfiles"}
  ${storeHelp}

Exit codes: 0 ok, 1 the account has no profile in that month, 2 bad usage (a store that does
not exist included).`,
  async run(args, io) {
    const { values } = parseArgs({ args: [...args], options: { account: { type: 'string' }, month: { type: 'string' }, json: { type: 'boolean' }, store: { type: 'string' } }, strict: true });
    const o = decodeOptions(Options, { account: values.account, month: values.month });
    return withLedger(io, 'account-statement', values.store, async (ledger, url) =>
      answer(io, 'account-statement', url, await knownAccountStatement(ledger, o.account, resolveCurrentMonth(o, ledger.now()).month)(), (a) =>
        values.json ? JSON.stringify(a, null, 2) : renderAccountStatement(a),
      ),
    );
  },
};
