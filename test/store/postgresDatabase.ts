import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

/**
 * PostgreSQL for tests: the server named by LEDGER_TEST_PG_URL (default: the local one, trust auth).
 * test/store/globalSetup.ts probes it once per run; a file that needs it creates its own database
 * and drops it at the end, so that files running in parallel never see each other's events.
 */
export const PG_URL_VAR = 'LEDGER_TEST_PG_URL';
export const PG_SKIP_VAR = 'LEDGER_TEST_PG_SKIP';
export const adminUrl = (): string => process.env[PG_URL_VAR] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Why PostgreSQL tests skip (undefined: they run), printed once per file. */
export const postgresSkipReason = (file: string): string | undefined => {
  const reason = process.env[PG_SKIP_VAR];
  // Not console.log: jest hides the console of a file whose tests are all skipped.
  if (reason !== undefined) process.stderr.write(`[${file}] skipped: no PostgreSQL at ${adminUrl()} (${reason})\n`);
  return reason === undefined ? undefined : `no PostgreSQL (${reason})`;
};

/** undefined if the server answers within `ms`, else why not. */
export const probePostgres = async (ms = 3000): Promise<string | undefined> => {
  const client = new Client({ connectionString: adminUrl(), connectionTimeoutMillis: ms });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
};

const withAdmin = async <T>(work: (client: Client) => Promise<T>): Promise<T> => {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
};

/** A fresh, empty database on the test server. */
export class TestDatabase {
  private constructor(readonly name: string) {}

  static async create(label: string): Promise<TestDatabase> {
    const name = `ledger_test_${label}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    await withAdmin((c) => c.query(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`));
    return new TestDatabase(name);
  }

  /** Its URL, with extra query parameters (`pool_max`, …) if given. */
  url(query = ''): string {
    const url = new URL(adminUrl());
    url.pathname = `/${this.name}`;
    return `${url.toString()}${query === '' ? '' : `${url.search === '' ? '?' : '&'}${query}`}`;
  }

  /** Drops it, closing whatever connections are still open to it. */
  drop(): Promise<unknown> {
    return withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`));
  }
}
