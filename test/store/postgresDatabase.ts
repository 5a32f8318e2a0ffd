import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { ScratchDatabase } from '../../bench/scratchPostgres';

/**
 * PostgreSQL for tests: the server named by LEDGER_TEST_PG_URL (default: the local one, trust auth).
 * test/store/globalSetup.ts probes it once per run and sets LEDGER_TEST_PG_SKIP when it does not
 * answer; a file that needs it creates its own database (`testDatabase`) and drops it at the end.
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

export const testDatabase = (label: string): Promise<ScratchDatabase> => ScratchDatabase.create(adminUrl(), `test_${label}`);

/** A database as main wrote it before the hash chain: test/fixtures/before-chain.postgres.sql, loaded in one transaction. */
export const databaseBeforeChain = async (label: string): Promise<ScratchDatabase> => {
  const db = await testDatabase(label);
  const client = new Client({ connectionString: db.url() });
  await client.connect();
  try {
    await client.query(readFileSync(join(__dirname, '..', 'fixtures', 'before-chain.postgres.sql'), 'utf8'));
  } finally {
    await client.end();
  }
  return db;
};
