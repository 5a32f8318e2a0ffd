import { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { buildServer } from '../src/api/server';
import { LedgerService } from '../src/app/ledgerService';
import { SqliteEventStore } from '../src/store/sqliteEventStore';

/**
 * The server the HTTP figures measure, as `ledger serve` runs it (SQLite, synchronous=FULL, no
 * request log), on an ephemeral port of 127.0.0.1. Prints `{"port": N}` once it listens, and on
 * each SIGUSR2 `{"eventLoopMaxStallMs": N, "longestGcMs": M}`: the longest the event loop was held since the last one, and the longest garbage collection.
 */
const main = async (storePath: string): Promise<void> => {
  const store = new SqliteEventStore(storePath);
  const ledger = await new LedgerService(store).open();
  const app = buildServer(ledger);
  await app.listen({ host: '127.0.0.1', port: 0 });
  // Resolution 1 ms: a stall shows within a millisecond of its length.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  // The longest garbage collection meanwhile: a stall that long may be the collector's, not the code's.
  let longestGcMs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longestGcMs = Math.max(longestGcMs, e.duration);
  }).observe({ entryTypes: ['gc'] });
  process.on('SIGUSR2', () => {
    process.stdout.write(`${JSON.stringify({ eventLoopMaxStallMs: delay.max / 1e6, longestGcMs })}\n`);
    delay.reset();
    longestGcMs = 0;
  });
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
