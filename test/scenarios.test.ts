import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { unmetExpectations } from '../src/simulation/expectations';
import { runScenario } from '../src/simulation/runScenario';
import { EventStore } from '../src/store/eventStore';
import { InMemoryEventStore } from '../src/store/inMemoryEventStore';
import { SqliteEventStore } from '../src/store/sqliteEventStore';
import { loadScenarios } from './support/scenarios';

// Loaded at collection time so that a missing or empty folder fails the run loudly.
const scenarios = loadScenarios().map((s) => [s.file, s.scenario] as const);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-scenarios-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const stores: ReadonlyArray<readonly [string, (file: string) => EventStore]> = [
  ['in-memory store', () => new InMemoryEventStore()],
  ['SQLite store', (file) => new SqliteEventStore(path.join(dir, `${file}.db`))],
];

describe.each(stores)('billing scenarios on the %s', (_name, makeStore) => {
  test.each(scenarios)('%s', async (file, scenario) => {
    const store = makeStore(file);
    try {
      const result = await runScenario(scenario, store);
      expect(unmetExpectations(scenario, result)).toEqual([]);
      expect(result.statements).toHaveLength(scenario.expect?.length ?? 0);
    } finally {
      await store.close();
    }
  });
});
