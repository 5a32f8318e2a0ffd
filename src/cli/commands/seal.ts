import { parseArgs } from 'node:util';
import { DEFAULT_SEAL_DELAY_MS } from '../../app/sealing';
import { integerText } from '../../domain/fields';
import { strictObject } from '../../domain/validation';
import { CliCommand, ExitCode } from '../cliCommand';
import { decodeOptions, storeHelp, withLedger } from '../withLedger';

/** Up to a week: a longer delay would leave a month's bills unsealed for most of the next. */
export const SealDelayMinutes = integerText('a whole number of minutes from 0 to 10080', 0, 10_080);

/** The seal delay in minutes as text: the flag, else LEDGER_SEAL_DELAY, else the default (0 on the test clock). */
export const sealDelayFrom = (env: NodeJS.ProcessEnv, flag: string | undefined, testClock: boolean): string =>
  flag ?? env.LEDGER_SEAL_DELAY ?? (testClock ? '0' : String(DEFAULT_SEAL_DELAY_MS / 60_000));

const Options = strictObject('options', { 'seal-delay': SealDelayMinutes }, {});

export const sealCommand: CliCommand = {
  name: 'seal',
  summary: 'seal the statements of months that ended (for a cron job; ledger serve does it itself)',
  help: `Usage: ledger seal [--seal-delay MINUTES] [--store URL] [--json]

Appends a StatementSealed event (billing-rules F2) for each profile and month whose end the clock
passed by the seal delay and that has no seal yet, oldest first: the SHA-256 of the statement's
RFC 8785 JSON and the log head it was built from. Safe to run on several machines and again: a
month another process sealed first is left as it is.

  --seal-delay M   minutes after a month's end (default 10, or LEDGER_SEAL_DELAY)
  ${storeHelp}
  --json           {"sealed": n, "sealedElsewhere": n}

Exit codes: 0 done, 2 bad usage or no such store.`,
  async run(args, io) {
    const { values } = parseArgs({ args: [...args], options: { 'seal-delay': { type: 'string' }, store: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
    const o = decodeOptions(Options, { 'seal-delay': sealDelayFrom(io.env, values['seal-delay'], false) });
    return withLedger(io, 'seal', values.store, async (ledger) => {
      const result = await ledger.sealDue(o['seal-delay'] * 60_000);
      io.out(values.json ? JSON.stringify(result) : `sealed ${result.sealed} statements${result.sealedElsewhere > 0 ? ` (${result.sealedElsewhere} were sealed by another process meanwhile)` : ''}`);
      return ExitCode.ok;
    });
  },
};
