import { EsdbEventStore } from './esdbEventStore';
import { EventStore } from './eventStore';
import { InMemoryEventStore } from './inMemoryEventStore';
import { PostgresEventStore } from './postgresEventStore';
import { DEFAULT_SQLITE_PATH, SqliteEventStore } from './sqliteEventStore';

export const DEFAULT_STORE_URL = `sqlite:${DEFAULT_SQLITE_PATH}`;

const POSTGRES_SCHEMES = /^postgres(ql)?:\/\//;
const ESDB_SCHEMES = /^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kurrent|kurrent\+discover):\/\//;

/**
 * Opens the store a URL names:
 * `sqlite:PATH` (the embedded default), `sqlite::memory:`, `memory:` (not durable), a PostgreSQL
 * URL (`postgres://`, `postgresql://`; `sslmode` and `pool_max` in its query), or an
 * EventStoreDB/KurrentDB connection string (`esdb://`, `esdb+discover://`, `kurrentdb://`).
 */
export const openStore = async (url: string): Promise<EventStore> => {
  if (url === 'memory:') return new InMemoryEventStore();
  if (url.startsWith('sqlite:')) return new SqliteEventStore(url.slice('sqlite:'.length) || DEFAULT_SQLITE_PATH);
  if (POSTGRES_SCHEMES.test(url)) return PostgresEventStore.open(url);
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
