import { parseArgs, ParseArgsConfig } from 'node:util';
import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { appendedEventJson, previewJson } from '../../api/wire';
import { CommandFailure, CommandHandler } from '../../commands/commandHandler';
import { CommandFields, CommandType } from '../../domain/commands';
import { strictObject } from '../../domain/validation';
import { CLI_ACTOR, CliCommand, CliIO, ExitCode, UsageError } from '../cliCommand';
import { renderStatement } from '../renderStatement';
import { renderTable } from '../table';
import { decodeOptions, refused, storeHelp, withLedger, withStore } from '../withLedger';
import { runUsageFile, USAGE_FILE_HELP, USAGE_FILE_LINE } from './usageFile';

/**
 * The commands that change a ledger, from the command line: the very commands of the API, decoded
 * by the same field codecs and executed by the same CommandHandler, with the actor "cli".
 */

type Field = string;

/** Each command field's flag, and what it is for people reading --help. */
const FLAGS: Readonly<Record<Field, { readonly flag: string; readonly help: string }>> = {
  profileId: { flag: 'profile', help: 'the profile (1 to 128 characters of A-Z a-z 0-9 . _ : @ -)' },
  accountId: { flag: 'account', help: 'its 12-digit AWS account id' },
  region: { flag: 'region', help: 'its AWS Region code, such as us-east-1' },
  name: { flag: 'name', help: 'a display name' },
  userId: { flag: 'user', help: 'the user' },
  groupId: { flag: 'group', help: 'the group the assignment comes through; none: a direct assignment' },
  tier: { flag: 'tier', help: 'a tier code such as PRO, PRO_PLUS, POWER' },
  credits: { flag: 'credits', help: 'credits, a decimal with at most 2 places, such as 2500 or 12.50' },
  price: { flag: 'price', help: 'monthly price in USD, a decimal with at most 2 places' },
  fromMonth: { flag: 'from-month', help: 'the first month it applies to, YYYY-MM: later than the month of --occurred-at and than the month the clock reaches in 5 minutes' },
  requestId: { flag: 'request-id', help: 'the id of the metered request: a retry with the same id, user and credits changes nothing' },
  lineId: { flag: 'line', help: 'the line to credit, as its final statement shows it: PROFILE~YYYY-MM~USER~N' },
  amount: { flag: 'amount', help: 'USD to credit, a decimal above 0 with at most 2 places, at most what is left of the line' },
  reason: { flag: 'reason', help: 'why, 1 to 500 characters: the customer reads it on the CREDIT line' },
  occurredAt: { flag: 'occurred-at', help: 'when it happened, such as 2026-04-01T09:00:00Z (default: now)' },
};

/** T2's table, in words: the events a command's date may not precede. */
const SUBSCRIPTION_CHANGE = "never before the profile's creation, its subscription changes and overage switches, or this user's consumptions";
const CHECKED_AGAINST: Readonly<Record<CommandType, string>> = {
  DefineTier: "never before the catalog's latest definition",
  CreateProfile: 'each profile starts a clock of its own',
  Subscribe: SUBSCRIPTION_CHANGE,
  Unsubscribe: SUBSCRIPTION_CHANGE,
  Upgrade: SUBSCRIPTION_CHANGE,
  Downgrade: SUBSCRIPTION_CHANGE,
  SetOverage: "never before the profile's creation, its subscription changes and overage switches, or any consumption",
  ConsumeCredits: "never before the profile's creation, its overage switches or this user's subscription changes (consumptions come in any order among themselves)",
  IssueCredit: "never before the profile's creation or any credit note of the profile",
};

/** What --occurred-at may be for this command (T2, T4). */
const occurredAtHelp = (type: CommandType): string =>
  `${FLAGS.occurredAt?.help}: from 1970 on, at most 5 minutes ahead of the clock, never in a closed month; ${CHECKED_AGAINST[type]}`;

const flagOf = (field: Field): string => FLAGS[field]?.flag ?? field;

/** How a CLI command fills the fields its flags do not: `overage on|off` takes `enabled` from its argument. */
interface Argument {
  readonly usage: string;
  readonly field: Field;
  readonly codec: t.Decoder<unknown, unknown>;
}

interface ChangeSpec {
  readonly name: string;
  readonly type: CommandType;
  readonly summary: string;
  /** The rules, in words, that decide whether the command is accepted and what it bills. */
  readonly about: string;
  readonly argument?: Argument;
}

const EXIT_CODES = `Exit codes: 0 ok (also a retry that changed nothing), 1 refused by a rule (printed as CODE: why,
such as PROFILE_NOT_FOUND or NOT_SUBSCRIBED), 2 bad usage (a malformed or missing option, a store
that does not exist).`;

const describeEvents = (events: ReadonlyArray<Pick<ReturnType<typeof appendedEventJson>, 'type' | 'streamId' | 'position' | 'occurredAt'>>): string =>
  `${events.length} event${events.length === 1 ? '' : 's'}:\n${renderTable(['event', 'stream', 'position', 'occurred'], events.map((e) => [e.type, e.streamId, String(e.position), e.occurredAt]))}`;

const changeCommand = (spec: ChangeSpec): CliCommand => {
  const fields = CommandFields[spec.type] as { readonly required: t.Props; readonly optional: t.Props };
  const byArgument = spec.argument?.field;
  const required = Object.keys(fields.required).filter((f) => f !== byArgument);
  const optional = Object.keys(fields.optional);
  // The flags decode with the command's own field codecs, so that a message names the flag (--credits: must be …).
  const flagCodec = strictObject(
    'options',
    Object.fromEntries(required.map((f) => [flagOf(f), fields.required[f] as t.Mixed])),
    Object.fromEntries(optional.map((f) => [flagOf(f), fields.optional[f] as t.Mixed])),
  );
  const options: ParseArgsConfig['options'] = {
    ...Object.fromEntries([...required, ...optional].map((f) => [flagOf(f), { type: 'string' as const }])),
    json: { type: 'boolean' },
    preview: { type: 'boolean' },
    store: { type: 'string' },
  };
  const flagUsage = [...required.map((f) => `--${flagOf(f)} ${flagOf(f).toUpperCase()}`), ...optional.map((f) => `[--${flagOf(f)} ${flagOf(f).toUpperCase()}]`)];
  const help = `Usage: ledger ${spec.name}${spec.argument === undefined ? '' : ` ${spec.argument.usage}`} ${flagUsage.join(' ')}
       [--preview] [--json] [--store URL]

${spec.about}

${[...required, ...optional].map((f) => `  --${flagOf(f).padEnd(14)} ${f === 'occurredAt' ? occurredAtHelp(spec.type) : (FLAGS[f]?.help ?? '')}`).join('\n')}
  --preview        decide it as it would be now and record nothing: print the events it would record
                   and ${spec.type === 'DefineTier' || spec.type === 'CreateProfile' ? 'no statement (the command changes no profile\'s statement)' : 'the statement of the month it is dated in, as it would then read'}
  --json           {"events": [{"streamId", "position", "eventId", "type", "occurredAt", "data"}]}, as the API answers
                   (with --preview: {"events", "statement"}, as the API answers ?preview=true)
  ${storeHelp}

The events are recorded with the actor "cli".

${EXIT_CODES}`;

  const run = async (args: ReadonlyArray<string>, io: CliIO): Promise<number> => {
    const { values, positionals } = parseArgs({ args: [...args], options, strict: true, allowPositionals: spec.argument !== undefined });
    const argument = spec.argument;
    if (argument !== undefined && positionals.length !== 1) throw new UsageError(`expected ${argument.usage}`);
    const flags = Object.fromEntries(Object.entries(values).filter(([k]) => k !== 'json' && k !== 'store' && k !== 'preview'));
    const decoded = decodeOptions(flagCodec, flags) as Record<string, unknown>;
    const input: Record<string, unknown> = { type: spec.type };
    for (const f of [...required, ...optional]) if (decoded[flagOf(f)] !== undefined) input[f] = decoded[flagOf(f)];
    if (argument !== undefined) {
      const value = argument.codec.decode(positionals[0]);
      if (E.isLeft(value)) throw new UsageError(`expected ${argument.usage}, got ${JSON.stringify(positionals[0])}`);
      input[argument.field] = value.right;
    }
    /** What the flags could not catch (a date ahead of the clock) is still bad usage, named as its flag; a rule's refusal exits 1. */
    const refusal = (url: string, e: CommandFailure): number => {
      if (e.code === 'VALIDATION') throw new UsageError(`--${e.message.replace(/^([A-Za-z]+)/, (field) => flagOf(field))}`);
      return refused(io, spec.name, url, e);
    };
    if (values.preview) {
      return withLedger(io, spec.name, values.store as string | undefined, async (ledger, url) => {
        const result = await ledger.preview(input, { actor: CLI_ACTOR });
        if (E.isLeft(result)) return refusal(url, result.left);
        const answer = previewJson(result.right);
        if (values.json) io.out(JSON.stringify(answer, null, 2));
        else {
          const events = answer.events.length === 0 ? 'No events: it was applied before (a retry changes nothing).' : `It would record ${describeEvents(answer.events)}`;
          const statement = answer.statement === null ? `No statement: ${spec.type} changes no profile's statement.` : `The statement would then read:\n${renderStatement(answer.statement)}`;
          io.out(`Preview, nothing recorded. ${events}\n\n${statement}`);
        }
        return ExitCode.ok;
      });
    }
    return withStore(io, spec.name, values.store as string | undefined, 'refuse', async ({ store, url }) => {
      const result = await new CommandHandler({ store, clock: () => new Date() }).execute(input, { actor: CLI_ACTOR });
      if (E.isLeft(result)) return refusal(url, result.left);
      const events = result.right.events.map(appendedEventJson);
      if (values.json) io.out(JSON.stringify({ events }, null, 2));
      else io.out(`${result.right.duplicate ? 'Applied before (a retry changes nothing), recorded as' : 'Recorded'} ${describeEvents(events)}`);
      return ExitCode.ok;
    });
  };
  return { name: spec.name, summary: spec.summary, help, run };
};

/** `usage` also takes a file of requests (usageFile.ts): with --file, that mode; else one request from the flags. */
const withFileMode = (single: CliCommand): CliCommand => ({
  ...single,
  help: `${single.help.replace('[--json] [--store URL]\n', `[--json] [--store URL]\n${USAGE_FILE_LINE}\n`)}\n\n${USAGE_FILE_HELP}`,
  run: async (args, io) => {
    if (!args.some((a) => a === '--file' || a.startsWith('--file='))) return single.run(args, io);
    // A file goes in batches of 1,000, and a batch's preview cannot see the batches before it (docs/api.md "Previews").
    if (args.includes('--preview')) throw new UsageError('--preview: not available with --file; preview one request at a time, without --file');
    return runUsageFile(args, io);
  },
});

const OnOff = t.keyof({ on: null, off: null });

export const changeCommands: ReadonlyArray<CliCommand> = [
  changeCommand({
    name: 'create-profile',
    type: 'CreateProfile',
    summary: 'create a profile: one AWS account in one Region',
    about: `Creates a profile, the unit that is billed: one AWS account in one Region. A second profile
for the same account and Region is refused (PROFILE_EXISTS).`,
  }),
  changeCommand({
    name: 'define-tier',
    type: 'DefineTier',
    summary: "add a tier, or change a tier's price or credits from a month on",
    about: `Adds a tier, or changes a tier's price or monthly credits, from --from-month on. A month that
has started is never re-priced: --from-month must be later than the current month and than the
month of --occurred-at (else PERIOD_STARTED). Defining a tier twice for the same month: the later
definition stands. Tiers rank by price in the month in question, then by credits.`,
  }),
  changeCommand({
    name: 'subscribe',
    type: 'Subscribe',
    summary: 'subscribe a user to a profile at a tier',
    about: `Subscribes a user to a profile at a tier, directly or through --group (one assignment per user
and group). A user is charged once per profile and month, at the highest tier held in the
month, in full from the first day; several assignments cost the highest one only.`,
  }),
  changeCommand({
    name: 'unsubscribe',
    type: 'Unsubscribe',
    summary: 'end a user\'s assignment (effective at the end of the month)',
    about: `Ends one assignment of the user (the direct one, or --group's). The month stays paid in full,
and the user keeps access and credits until its end; the next month has no charge unless the
user holds another assignment.`,
  }),
  changeCommand({
    name: 'upgrade',
    type: 'Upgrade',
    summary: "raise an assignment's tier (refund of the lower tier, charge of the higher)",
    about: `Raises one assignment of the user to a higher tier. If the user's billed tier rises, this
month's charge of the lower tier is refunded and the higher tier is charged in full, and its
credits apply to the whole month.`,
  }),
  changeCommand({
    name: 'downgrade',
    type: 'Downgrade',
    summary: "lower an assignment's tier (from the next month)",
    about: `Lowers one assignment of the user to a lower tier. The higher tier stays paid, with its credits,
for the rest of this month; the lower tier is charged from the next month.`,
  }),
  withFileMode(changeCommand({
    name: 'usage',
    type: 'ConsumeCredits',
    summary: "record a request's credit consumption",
    about: `Records the credits one request of a user consumed. The request id makes it safe to retry: the
same id with the same user and credits changes nothing, with others it is refused
(REQUEST_ID_REUSED). A request past the user's monthly allowance is refused whole
(CREDITS_EXHAUSTED) unless the profile's overage is on; then each credit past it costs 0.04 USD.`,
  })),
  changeCommand({
    name: 'credit',
    type: 'IssueCredit',
    summary: 'credit a line of a final bill (a credit note on the current month)',
    about: `Credits a CHARGE or OVERAGE line of a final statement (its month is over), as a credit note: the
final statement stays as it was sent, and the credit shows as a CREDIT line, naming --line, on
the statement of the month it is dated in. Never more than what is left of the line (its
amount, less the REFUND that reversed it, less earlier credits; else CREDIT_EXCEEDS_LINE). A line
of a month not over is MONTH_OPEN; REFUND and CREDIT lines are NOT_CREDITABLE. Over the API,
only an admin token may do this.`,
  }),
  changeCommand({
    name: 'overage',
    type: 'SetOverage',
    summary: 'turn a profile\'s overage on or off',
    about: `Turns overage on or off for every user of the profile (off for a new profile). While it is off,
a request past a user's monthly credits is refused; while on, the credits past the allowance are
billed at 0.04 USD each. Overage already consumed stays billable after it is turned off.`,
    argument: { usage: 'on|off', field: 'enabled', codec: new t.Type<boolean, string, unknown>('on|off', t.boolean.is, (u, c) => (OnOff.is(u) ? t.success(u === 'on') : t.failure(u, c)), (b) => (b ? 'on' : 'off')) },
  }),
];
