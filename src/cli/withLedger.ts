import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { LedgerService } from '../app/ledgerService';
import { snapshotStoreFor } from '../app/snapshotStore';
import { decode } from '../domain/validation';
import { EventStore } from '../store/eventStore';
import { openStore, OpenStoreOptions, storeUrlFrom } from '../store/openStore';
import { CliIO, ExitCode, UsageError } from './cliCommand';

/** Options decoded like any other input; a bad one is bad usage, named as the flag (`--month: must be …`). */
export const decodeOptions = <A>(codec: t.Decoder<unknown, A>, options: Record<string, unknown>): A =>
  E.getOrElse<{ message: string }, A>((e) => {
    throw new UsageError(`--${e.message}`);
  })(decode(codec, options));

/** The store a command works on, and its URL, which every not-found message names. */
export interface CliStore {
  readonly store: EventStore;
  readonly url: string;
}

/**
 * Opens the store the flag or LEDGER_STORE names and closes it whatever happens. Only the commands
 * that start a ledger pass `create`, and then a new one is announced; every other command refuses
 * a store that does not exist (StoreNotFound), so that a typo cannot pass for an empty ledger.
 */
export const withStore = async <A>(
  io: CliIO,
  command: string,
  storeFlag: string | undefined,
  ifMissing: OpenStoreOptions['ifMissing'],
  use: (opened: CliStore) => Promise<A>,
): Promise<A> => {
  const url = storeUrlFrom(io.env, storeFlag);
  const store = await openStore(url, { ifMissing, onCreate: (location) => io.err(`ledger ${command}: created a new ledger at ${location}`) });
  try {
    return await use({ store, url });
  } finally {
    await store.close();
  }
};

/** An existing store with its read model built. */
export const withLedger = async <A>(io: CliIO, command: string, storeFlag: string | undefined, use: (ledger: LedgerService, url: string) => Promise<A>): Promise<A> =>
  withStore(io, command, storeFlag, 'refuse', async ({ store, url }) => use(await new LedgerService(store, { snapshots: snapshotStoreFor(url), warn: io.err }).open(), url));

const NOT_FOUND = /NOT_FOUND$/;

/**
 * Prints a refusal with exit code 1 (an unknown profile, a rule the command breaks); a not-found
 * names the store it looked in, since the usual cause is the wrong store.
 */
export const refused = (io: CliIO, command: string, url: string, e: { readonly code: string; readonly message: string }): number => {
  io.err(`ledger ${command}: ${e.code}: ${e.message}${NOT_FOUND.test(e.code) ? ` (in the ledger at ${url})` : ''}`);
  return ExitCode.ruleViolation;
};

/** Prints a query's answer, or its refusal. */
export const answer = <L extends { readonly code: string; readonly message: string }, A>(
  io: CliIO,
  command: string,
  url: string,
  result: E.Either<L, A>,
  print: (a: A) => string,
): number => {
  if (E.isLeft(result)) return refused(io, command, url, result.left);
  io.out(print(result.right));
  return ExitCode.ok;
};

export const storeHelp = '--store URL   sqlite:PATH (default sqlite:./data/ledger.db), memory:, esdb://…; or LEDGER_STORE';
