import fc from 'fast-check';
import * as E from 'fp-ts/Either';
import { LedgerService } from '../../src/app/ledgerService';
import { ScenarioClock } from '../../src/app/scenarioClock';
import { monthOf } from '../../src/domain/time';
import { Statement } from '../../src/projections/statementTypes';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';
import { randomCommand, randomScenario } from '../support/randomScenario';

/**
 * Issue 22: a preview is the command decided without the append. For seeded random histories and a
 * random next command, with nothing in between: the preview is refused exactly when the command is,
 * with the same error; else the command appends the events previewed (but for their ids), and the
 * statement read afterwards is the statement previewed, but for the ids of the events its lines cite
 * and the positions of those not yet in the log when previewed.
 */

/** Lines cite events by id and position: what only the append assigns. */
const withoutRefs = (s: Statement | null | undefined) =>
  s === null || s === undefined
    ? s
    : { ...s, users: s.users.map((u) => ({ ...u, lines: u.lines.map((l) => ({ ...l, events: l.events.map((r) => ({ streamId: r.streamId, type: r.type })) })) })) };

/** The next command: up to 40 days after the history's last step (so sometimes in a later month), or a little before it. */
const next = fc.tuple(randomCommand, fc.integer({ min: -3600, max: 40 * 24 * 3600 }));

describe('previews over random histories', () => {
  test('the preview is the command: same refusal, same events, and the statement read after it', async () => {
    const seen = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(randomScenario, next, async (scenario, [command, gapSeconds]) => {
        const clock = new ScenarioClock();
        const ledger = await new LedgerService(new InMemoryEventStore(), { clock: clock.now }).open();
        for (const step of scenario.steps) {
          clock.observe(step.at);
          await ledger.execute({ ...(step.command as object), occurredAt: step.at }, { actor: 'test' });
        }
        const last = Date.parse(scenario.steps[scenario.steps.length - 1]?.at as string);
        const at = new Date(last + gapSeconds * 1000).toISOString();
        clock.observe(at);
        const dated = { ...command, occurredAt: at };
        const head = await ledger.store.headPosition();
        const previewed = await ledger.preview(dated, { actor: 'test' });
        expect(await ledger.store.headPosition()).toBe(head);
        const real = await ledger.execute(dated, { actor: 'test' });
        if (E.isLeft(previewed)) {
          expect(real).toEqual(previewed);
          seen.refused += 1;
          return;
        }
        if (E.isLeft(real)) throw new Error(`previewed ${JSON.stringify(previewed.right.events)}, but the command was refused: ${real.left.code} ${real.left.message}`);
        const appended = real.right.duplicate ? [] : real.right.events.map((e) => ({ streamId: e.streamId, position: e.position, type: e.type, data: e.data }));
        expect(previewed.right.events.map((r) => ({ streamId: r.ref.streamId, position: r.ref.position, type: r.event.type, data: r.event.data }))).toEqual(appended);
        const read = await ledger.statement(command.profileId, monthOf(at));
        expect(withoutRefs(previewed.right.statement)).toEqual(withoutRefs(read));
        seen.accepted += 1;
      }),
      // Seeded and small: under ten seconds on an idle machine.
      { numRuns: 40, seed: 2222 },
    );
    // The seed exercises both sides (fast-check's shrinking runs are counted too).
    expect(seen.accepted).toBeGreaterThanOrEqual(10);
    expect(seen.refused).toBeGreaterThanOrEqual(3);
  });
});
