import { StepResult, SimulationResult } from '../../src/simulation/runScenario';
import { unmetExpectations } from '../../src/simulation/expectations';
import { Scenario } from '../../src/simulation/scenario';
import { loadScenarios } from '../support/scenarios';
import { send, startServer } from './support/ledgerServer';

const scenarios = loadScenarios();

/**
 * Every scenario of ../shared/scenarios played over HTTP on a fresh store, `at` as `occurredAt`, by a
 * server on the test clock (api.md): its "now" is the latest `occurredAt` it has been sent, or a
 * step's `now` sent as `Test-Clock-Now`, so the test only sends commands, as a client of
 * `ledger serve --test-clock` would. The statements come back from the query routes.
 */
const playOverHttp = async (scenario: Scenario): Promise<SimulationResult> => {
  const server = await startServer({ testClock: true });
  try {
    const steps: StepResult[] = [];
    for (const step of scenario.steps) {
      const before = await server.store.headPosition();
      const answer = await send(server, { ...(step.command as Record<string, unknown>), occurredAt: step.at }, step.now === undefined ? undefined : { 'Test-Clock-Now': step.now });
      const appended = (await server.store.headPosition()) - before;
      steps.push(answer.status < 300 ? { ok: true, appended } : { ok: false, code: answer.body.error.code, message: answer.body.error.message, appended });
    }
    const statements = [];
    for (const x of scenario.expect ?? []) {
      const answer = await server.request('GET', `/v1/profiles/${x.profileId}/statements/${x.month}`);
      if (answer.status === 200) statements.push(answer.body);
    }
    const accountStatements = [];
    for (const x of scenario.expectAccount ?? []) {
      const answer = await server.request('GET', `/v1/accounts/${x.accountId}/statements/${x.month}`);
      if (answer.status === 200) accountStatements.push(answer.body);
    }
    return { steps, statements, accountStatements };
  } finally {
    await server.close();
  }
};

describe('billing scenarios over HTTP', () => {
  test.each(scenarios.map((s) => [s.file, s.scenario] as const))('%s', async (_file, scenario) => {
    const result = await playOverHttp(scenario);
    expect(unmetExpectations(scenario, result)).toEqual([]);
    expect(result.statements).toHaveLength(scenario.expect?.length ?? 0);
    expect(result.accountStatements).toHaveLength(scenario.expectAccount?.length ?? 0);
  });
});
