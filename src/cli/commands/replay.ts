import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { LedgerService } from '../../app/ledgerService';
import { snapshotStoreFor } from '../../app/snapshotStore';
import { CliCommand, ExitCode } from '../cliCommand';
import { peakRss } from '../peakRss';
import { progress } from '../progress';
import { storeHelp, withStore } from '../withLedger';

export const replay: CliCommand = {
  name: 'replay',
  summary: 'rebuild every projection from the log',
  help: `Usage: ledger replay [--store URL] [--json]

Rebuilds every projection (the read model statements are folded from) from position 0 of the
store's global log, streaming it page by page, with a progress bar on stderr, and prints how many
events it read, how long that took, events per second and the process's peak memory. Then it
rewrites the read-model snapshot (beside a SQLite file) from what it rebuilt, whatever the old one
held; no ledger event is written.

  ${storeHelp}
  --json        {"events", "head", "seconds", "eventsPerSec", "peakRssMb", "snapshot"}

Exit codes: 0 ok, 2 bad usage (a store that does not exist included).`,
  async run(args, io) {
    const { values } = parseArgs({ args: [...args], options: { store: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
    return withStore(io, 'replay', values.store, 'refuse', async ({ store, url }) => {
      const snapshots = snapshotStoreFor(url);
      const head = await store.headPosition();
      const bar = progress('replay', head + 1, io);
      const rss = peakRss();
      let events = 0;
      const ledger = new LedgerService(store, {
        ...(snapshots === undefined ? {} : { snapshots }),
        onProgress: (read) => {
          events = read;
          rss.sample();
          bar.update(read);
        },
      });
      const started = performance.now();
      await ledger.catchUp();
      const seconds = (performance.now() - started) / 1000;
      bar.stop();
      const replayed = events;
      const eventsPerSec = seconds > 0 ? Math.round(replayed / seconds) : replayed;
      const peakRssMb = Math.round(rss.megabytes());
      // The rebuilt view replaces the snapshot: a damaged or stale one is repaired here.
      await ledger.saveSnapshot();
      const snapshot = snapshots?.name ?? null;
      if (values.json) io.out(JSON.stringify({ events: replayed, head, seconds, eventsPerSec, peakRssMb, snapshot }));
      else io.out(`Replayed ${replayed} events in ${seconds.toFixed(2)} s (${eventsPerSec} events/s); peak RSS ${peakRssMb} MB.${snapshot === null ? '' : ` Snapshot rewritten: ${snapshot}.`}`);
      return ExitCode.ok;
    });
  },
};
