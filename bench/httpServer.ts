import { AddressInfo } from 'node:net';
import { buildServer } from '../src/api/server';
import { LedgerService } from '../src/app/ledgerService';
import { SqliteEventStore } from '../src/store/sqliteEventStore';

/**
 * The server the HTTP figures measure, as `ledger serve` runs it (SQLite, synchronous=FULL, no
 * request log), on an ephemeral port of 127.0.0.1. Prints `{"port": N}` once it listens.
 */
const main = async (storePath: string): Promise<void> => {
  const store = new SqliteEventStore(storePath);
  const ledger = await new LedgerService(store).open();
  const app = buildServer(ledger);
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${JSON.stringify({ port: (app.server.address() as AddressInfo).port })}\n`);
  process.once('SIGTERM', () => {
    void app.close().then(() => store.close());
  });
};

const path = process.argv[2];
if (path === undefined) {
  process.stderr.write('usage: node dist/bench/httpServer.js STORE_FILE\n');
  process.exitCode = 2;
} else {
  main(path).catch((e: unknown) => {
    process.stderr.write(`bench server: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
}
