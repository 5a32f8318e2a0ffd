import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { QueryError } from '../app/ledgerQueries';
import { LedgerService } from '../app/ledgerService';
import { snapshotStoreFor } from '../app/snapshotStore';
import { decode } from '../domain/validation';
import { openStore, storeUrlFrom } from '../store/openStore';
import { CliIO, ExitCode, UsageError } from './cliCommand';

/** Options decoded like any other input; a bad one is bad usage, named as the flag (`--month: must be …`). */
export const decodeOptions = <A>(codec: t.Decoder<unknown, A>, options: Record<string, unknown>): A =>
  E.getOrElse<{ message: string }, A>((e) => {
    throw new UsageError(`--${e.message}`);
  })(decode(codec, options));

/** Opens the store the flag or LEDGER_STORE names, builds the read model, and closes the store whatever happens. */
export const withLedger = async <A>(io: CliIO, storeFlag: string | undefined, use: (ledger: LedgerService) => Promise<A>): Promise<A> => {
  const url = storeUrlFrom(io.env, storeFlag);
  const store = await openStore(url);
  try {
    return await use(await new LedgerService(store, { snapshots: snapshotStoreFor(url), warn: io.err }).open());
  } finally {
    await store.close();
  }
};

/** Prints a query's answer, or its error with exit code 1 (a rule violation, such as an unknown profile). */
export const answer = <A>(io: CliIO, command: string, result: E.Either<QueryError, A>, print: (a: A) => string): number => {
  if (E.isLeft(result)) {
    io.err(`ledger ${command}: ${result.left.code}: ${result.left.message}`);
    return ExitCode.ruleViolation;
  }
  io.out(print(result.right));
  return ExitCode.ok;
};

export const storeHelp = '--store URL   sqlite:PATH (default sqlite:./data/ledger.db), memory:, esdb://…; or LEDGER_STORE';
