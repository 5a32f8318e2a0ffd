import { runScenario } from '../src/simulation/runScenario';
import { unmetExpectations } from '../src/simulation/expectations';
import { InMemoryEventStore } from '../src/store/inMemoryEventStore';
import { loadScenarios } from './support/scenarios';

// Loaded at collection time so that a missing or empty folder fails the run loudly.
const scenarios = loadScenarios();

describe('billing scenarios on the in-memory store', () => {
  test.each(scenarios.map((s) => [s.file, s.scenario] as const))('%s', async (_file, scenario) => {
    const result = await runScenario(scenario, new InMemoryEventStore());
    expect(unmetExpectations(scenario, result)).toEqual([]);
    expect(result.statements).toHaveLength(scenario.expect?.length ?? 0);
  });
});
