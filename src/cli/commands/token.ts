import { parseArgs } from 'node:util';
import * as E from 'fp-ts/Either';
import { DEFAULT_RATE } from '../../auth/rateLimit';
import { TokenRecord } from '../../auth/tokenDecider';
import { MAX_RATE, Role, RequestsPerSecond, TokenName } from '../../auth/tokenEvents';
import { TokenRegistry } from '../../auth/tokenRegistry';
import { AccountId, integerText } from '../../domain/fields';
import { strictObject } from '../../domain/validation';
import { OpenStoreOptions } from '../../store/openStore';
import { CLI_ACTOR, CliCommand, CliIO, ExitCode, UsageError } from '../cliCommand';
import { renderTable } from '../table';
import { decodeOptions, refused, storeHelp, withStore } from '../withLedger';

const RateOption = integerText(RequestsPerSecond.name, 1, MAX_RATE);
const CreateOptions = strictObject('options', { name: TokenName, role: Role, rate: RateOption }, {});
const AccountOption = strictObject('options', { account: AccountId }, {});
const NameArgument = strictObject('arguments', { NAME: TokenName }, {});

/** Only `token create` may start a ledger: its first token is how a production store begins. */
const withRegistry = <A>(io: CliIO, storeFlag: string | undefined, ifMissing: OpenStoreOptions['ifMissing'], use: (registry: TokenRegistry, url: string) => Promise<A>): Promise<A> =>
  withStore(io, 'token', storeFlag, ifMissing, ({ store, url }) => use(new TokenRegistry(store), url));

const accountsText = (t: TokenRecord): string => (t.accounts === 'all' ? 'all' : t.accounts.join(','));

const create = async (args: ReadonlyArray<string>, io: CliIO): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      name: { type: 'string' },
      role: { type: 'string' },
      account: { type: 'string', multiple: true },
      rate: { type: 'string', default: String(DEFAULT_RATE) },
      json: { type: 'boolean' },
      store: { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const o = decodeOptions(CreateOptions, { name: values.name, role: values.role, rate: values.rate });
  const listed = (values.account ?? []).map((account) => decodeOptions(AccountOption, { account }).account);
  const accounts = listed.length === 0 ? ('all' as const) : [...new Set(listed)].sort();
  return withRegistry(io, values.store, 'create', async (registry, url) => {
    const created = await registry.create({ name: o.name, role: o.role, accounts, rate: o.rate }, { actor: CLI_ACTOR });
    if (E.isLeft(created)) return refused(io, 'token', url, created.left);
    if (values.json) {
      io.out(JSON.stringify(created.right));
    } else {
      io.out(created.right.token);
      io.err(`token ${o.name} created: role ${o.role}, accounts ${accounts === 'all' ? 'all' : accounts.join(',')}, ${o.rate} requests/s.`);
      io.err('It is shown this once and stored only as a hash: keep it now.');
    }
    return ExitCode.ok;
  });
};

const list = async (args: ReadonlyArray<string>, io: CliIO): Promise<number> => {
  const { values } = parseArgs({ args: [...args], options: { json: { type: 'boolean' }, store: { type: 'string' } }, strict: true });
  return withRegistry(io, values.store, 'refuse', async (registry) => {
    const tokens = [...(await registry.tokens()).values()];
    if (values.json) {
      // Never the hash: a listing goes to terminals and logs.
      io.out(JSON.stringify(tokens.map(({ name, role, accounts, rate, createdAt, revokedAt }) => ({ name, role, accounts, rate, createdAt, revokedAt })), null, 2));
    } else if (tokens.length === 0) {
      io.out('No tokens: `ledger serve` runs in local mode (loopback only).');
    } else {
      io.out(renderTable(['name', 'role', 'accounts', 'rate/s', 'created', 'revoked'], tokens.map((t) => [t.name, t.role, accountsText(t), String(t.rate), t.createdAt, t.revokedAt ?? ''])));
    }
    return ExitCode.ok;
  });
};

const revoke = async (args: ReadonlyArray<string>, io: CliIO): Promise<number> => {
  const { values, positionals } = parseArgs({ args: [...args], options: { store: { type: 'string' } }, strict: true, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError('expected exactly one token name');
  const { NAME } = decodeOptions(NameArgument, { NAME: positionals[0] });
  return withRegistry(io, values.store, 'refuse', async (registry, url) => {
    const revoked = await registry.revoke(NAME, { actor: CLI_ACTOR });
    if (E.isLeft(revoked)) return refused(io, 'token', url, revoked.left);
    io.out(`token ${NAME} revoked`);
    return ExitCode.ok;
  });
};

const actions: Readonly<Record<string, (args: ReadonlyArray<string>, io: CliIO) => Promise<number>>> = { create, list, revoke };

export const token: CliCommand = {
  name: 'token',
  summary: 'create, list and revoke API tokens',
  help: `Usage: ledger token create --name NAME --role ROLE [--account A]… [--rate N] [--json] [--store URL]
       ledger token list [--json] [--store URL]
       ledger token revoke NAME [--store URL]

API tokens for \`ledger serve\`, kept in the event store (stream meta/tokens) as SHA-256 hashes.
While the store has never had a token, the server runs in local mode: loopback only, actor "local".

create   prints the new token once (with --json: {"name": …, "token": …}); it cannot be shown again.
         A store that does not exist yet is created (and said so): a first token starts a ledger.
  --name NAME     the actor its requests are recorded as; never reused, even after a revocation
  --role ROLE     reader (queries), operator (commands and queries), admin (also DefineTier,
                  which concerns every account: an admin with no --account)
  --account A     a 12-digit account it may act on; repeat for several; none: every account
  --rate N        sustained requests per second, bursts to 2N (default ${DEFAULT_RATE})
list     names, roles, accounts, rates, creation and revocation times (never the hashes)
revoke   refuses the token from the server's next request on
  ${storeHelp}

Exit codes: 0 ok, 1 a rule violation (the name exists, no such token), 2 bad usage (list and
revoke: a store that does not exist included).`,
  async run(args, io) {
    const [action, ...rest] = args;
    const run = action === undefined ? undefined : actions[action];
    if (run === undefined) throw new UsageError(action === undefined ? 'expected create, list or revoke' : `unknown action "${action}": expected create, list or revoke`);
    return run(rest, io);
  },
};
