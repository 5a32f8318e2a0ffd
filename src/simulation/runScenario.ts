import * as E from 'fp-ts/Either';
import { LedgerService } from '../app/ledgerService';
import { ScenarioClock } from '../app/scenarioClock';
import { AccountStatement, Statement } from '../projections/statementTypes';
import { EventStore } from '../store/eventStore';
import { Scenario } from './scenario';

export type StepResult =
  | { readonly ok: true; readonly appended: number }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly appended: number };

export interface SimulationResult {
  readonly steps: ReadonlyArray<StepResult>;
  readonly statements: ReadonlyArray<Statement>;
  readonly accountStatements: ReadonlyArray<AccountStatement>;
}

/**
 * Plays a scenario through the same handler and projections the server uses, on the scenario's own
 * clock: "now" is the latest of the steps' `now` (else `at`) seen so far (T2), so that a step may be
 * dated up to 5 minutes ahead of its `now`. `appended` counts the events each step wrote.
 */
export const runScenario = async (scenario: Scenario, store: EventStore): Promise<SimulationResult> => {
  const clock = new ScenarioClock();
  const ledger = await new LedgerService(store, { clock: clock.now }).open();
  const steps: StepResult[] = [];
  for (const step of scenario.steps) {
    clock.observe(step.now ?? step.at);
    const command = typeof step.command === 'object' && step.command !== null ? { ...step.command, occurredAt: step.at } : step.command;
    const before = await store.headPosition();
    const result = await ledger.execute(command, { actor: 'simulate' });
    const appended = (await store.headPosition()) - before;
    steps.push(E.isRight(result) ? { ok: true, appended } : { ok: false, code: result.left.code, message: result.left.message, appended });
  }
  // Seal delay 0 (billing-rules F2): every month the scenario's clock has passed is sealed, after the steps so their counts stand alone.
  await ledger.sealDue(0);
  const statements = await Promise.all((scenario.expect ?? []).map((x) => ledger.statement(x.profileId, x.month)));
  return {
    steps,
    statements: statements.flatMap((s) => s ?? []),
    accountStatements: await Promise.all((scenario.expectAccount ?? []).map((x) => ledger.accountStatement(x.accountId, x.month))),
  };
};
