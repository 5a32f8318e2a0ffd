import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { seedLedger } from '../src/simulation/seedLedger';
import { SeedCommand, seedPlan } from '../src/simulation/seedPlan';
import { EventStore } from '../src/store/eventStore';
import { SqliteEventStore } from '../src/store/sqliteEventStore';
import { Scale } from './scale';
import { bareTwin, eventRows, insertRowsPerSec } from './sqliteBaseline';

function* take<T>(n: number, items: Iterable<T>): Generator<T> {
  if (n <= 0) return;
  let i = 0;
  for (const item of items) {
    yield item;
    if (++i >= n) return;
  }
}

/**
 * Figure 1: a realistic command mix (the seed plan's: lifecycle changes and usage) through the
 * handler and the SQLite store, one command awaited at a time, so every command pays its own commit
 * and fsync; against bare inserts of the rows it wrote, one transaction each.
 */
export const measureCommandThroughput = async (dir: string, scale: Scale) => {
  let commandsPerSec = 0;
  let rawInsertPerSec = 0;
  // Alternated and the best of each kept: fsync latency here swings with the neighbours' I/O.
  for (let round = 0; round < scale.repeats; round++) {
    const path = join(dir, `commands-${round}.db`);
    const store = new SqliteEventStore(path);
    commandsPerSec = Math.max(commandsPerSec, await sequentialRun(store, scale.sequentialCommands));
    await store.close();
    const raw = bareTwin(path, join(dir, `raw-single-${round}.db`));
    try {
      rawInsertPerSec = Math.max(rawInsertPerSec, insertRowsPerSec(raw, eventRows(path), 1));
    } finally {
      raw.close();
    }
  }
  return { commandsPerSec, rawInsertPerSec };
};

/** Commands per second of the seed plan's first `count` commands, one awaited at a time. */
export const sequentialRun = async (store: EventStore, count: number): Promise<number> => {
  const plan = seedPlan({ profiles: 4, users: 50, months: 12, usagePerUserMonth: 30, seed: 7, start: '2025-01' });
  const started = performance.now();
  const counts = await seedLedger(store, take(count, plan) as Iterable<SeedCommand>, { actor: 'bench', concurrency: 1 });
  const seconds = (performance.now() - started) / 1000;
  const commands = counts.ok + [...counts.rejected.values()].reduce((a, b) => a + b, 0);
  return commands / seconds;
};
