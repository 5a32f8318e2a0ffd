import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { EsdbEventStore } from './esdbEventStore';
import { EventStore } from './eventStore';
import { InMemoryEventStore } from './inMemoryEventStore';
import { PostgresEventStore } from './postgresEventStore';
import { DEFAULT_SQLITE_PATH, SqliteEventStore } from './sqliteEventStore';

export const DEFAULT_STORE_URL = `sqlite:${DEFAULT_SQLITE_PATH}`;

const POSTGRES_SCHEMES = /^postgres(ql)?:\/\//;
const ESDB_SCHEMES = /^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kurrent|kurrent\+discover):\/\//;

/**
 * What to do when the URL names a store that does not exist yet. `refuse` is for everything that
 * only reads or changes an existing ledger: a mistyped path must not become a new, empty ledger
 * that answers "no such profile". `create` is for the commands that start a ledger (serve, seed,
 * token create); they learn of the creation through `onCreate`, to say so.
 * A store kind that cannot tell "missing" from "empty" (a server that is simply there) opens either way.
 */
export interface OpenStoreOptions {
  readonly ifMissing: 'refuse' | 'create';
  /** Called with where the new store is (an absolute path for a file) when one was created. */
  readonly onCreate?: (location: string) => void;
}

/** The URL names no existing store and the caller asked not to create one. */
export class StoreNotFound extends Error {
  override readonly name = 'StoreNotFound';
  constructor(
    readonly url: string,
    readonly location: string,
  ) {
    super(`no ledger at ${url} (${location} does not exist): check --store or LEDGER_STORE; ledger serve, seed or token create start a new one`);
  }
}

/**
 * Opens the store a URL names:
 * `sqlite:PATH` (the embedded default), `sqlite::memory:`, `memory:` (not durable), a PostgreSQL
 * URL (`postgres://`, `postgresql://`; `sslmode` and `pool_max` in its query), or an
 * EventStoreDB/KurrentDB connection string (`esdb://`, `esdb+discover://`, `kurrentdb://`).
 * Without options a missing store is created silently (tests, benchmarks); the CLI always says which.
 */
export const openStore = async (url: string, options: OpenStoreOptions = { ifMissing: 'create' }): Promise<EventStore> => {
  // Scratch stores: nothing to find, nothing left behind.
  if (url === 'memory:') return new InMemoryEventStore();
  if (url === 'sqlite::memory:') return new SqliteEventStore(':memory:');
  if (url.startsWith('sqlite:')) {
    const file = resolve(url.slice('sqlite:'.length) || DEFAULT_SQLITE_PATH);
    const exists = existsSync(file);
    if (!exists && options.ifMissing === 'refuse') throw new StoreNotFound(url, file);
    const store = new SqliteEventStore(file);
    if (!exists) options.onCreate?.(file);
    return store;
  }
  // A database server answers for an existing database or refuses naming it: it has no "missing" of ours to refuse.
  if (POSTGRES_SCHEMES.test(url)) return PostgresEventStore.open(url);
  // An EventStoreDB server is there or unreachable; it has no "missing" to refuse (its first append creates the streams).
  if (ESDB_SCHEMES.test(url)) return EsdbEventStore.connect(url);
  throw new Error(
    `unknown event store URL "${url}": expected sqlite:PATH, sqlite::memory:, memory:, ` +
      `postgres://user@host:5432/db or an EventStoreDB connection string (esdb://host:2113?tls=false, esdb+discover://…, kurrentdb://…)`,
  );
};

/** The store URL to use: the `--store` flag, else `LEDGER_STORE`, else the SQLite default. */
export const storeUrlFrom = (env: Readonly<Record<string, string | undefined>>, flag?: string): string =>
  nonEmpty(flag) ?? nonEmpty(env.LEDGER_STORE) ?? DEFAULT_STORE_URL;

const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value === '' ? undefined : value);
