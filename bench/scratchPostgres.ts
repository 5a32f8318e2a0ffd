import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

/**
 * Throw-away databases on a PostgreSQL server, for the bench and the tests: each run creates its
 * own and drops it, so that runs in parallel never see each other's events. `adminUrl` names a
 * database on the server to connect to while creating and dropping (usually `postgres`).
 */

/** undefined if the server answers within `ms`, else why not. */
export const probePostgres = async (adminUrl: string, ms = 3000): Promise<string | undefined> => {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: ms });
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

const withAdmin = async <T>(adminUrl: string, work: (client: Client) => Promise<T>): Promise<T> => {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
};

export class ScratchDatabase {
  private constructor(
    private readonly adminUrl: string,
    readonly name: string,
  ) {}

  static async create(adminUrl: string, label: string): Promise<ScratchDatabase> {
    const name = `ledger_${label}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`));
    return new ScratchDatabase(adminUrl, name);
  }

  /** Its URL, with extra query parameters (`pool_max=…`) if given. */
  url(query = ''): string {
    const url = new URL(this.adminUrl);
    url.pathname = `/${this.name}`;
    return `${url.toString()}${query === '' ? '' : `${url.search === '' ? '?' : '&'}${query}`}`;
  }

  /** Drops it, closing whatever connections are still open to it. */
  drop(): Promise<unknown> {
    return withAdmin(this.adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`));
  }
}
