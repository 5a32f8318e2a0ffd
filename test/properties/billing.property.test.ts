import fc from 'fast-check';
import Decimal from 'decimal.js';
import { LedgerService } from '../../src/app/ledgerService';
import { decodeOrThrow } from '../../src/commands/decodeRecorded';
import { LedgerEvent, Recorded } from '../../src/domain/events';
import { monthEnd, monthOf, monthStart } from '../../src/domain/time';
import { runScenario } from '../../src/simulation/runScenario';
import { Statement } from '../../src/projections/statementTypes';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';
import { MONTHS, PROFILES, randomScenario } from '../support/randomScenario';

/** Genesis prices and credits; the random scenarios never change the catalog. */
const PRICE: Record<string, number> = { PRO: 20, PRO_PLUS: 40, POWER: 200 };
const CREDITS: Record<string, number> = { PRO: 1000, PRO_PLUS: 2000, POWER: 10000 };
const highest = (tiers: Iterable<string>): string | undefined =>
  [...tiers].reduce<string | undefined>((a, b) => (a === undefined || (PRICE[b] ?? 0) > (PRICE[a] ?? 0) ? b : a), undefined);

const play = async (scenario: Parameters<typeof runScenario>[0]) => {
  const store = new InMemoryEventStore();
  const result = await runScenario(scenario, store);
  const events: Recorded[] = [];
  for await (const e of store.readAll()) events.push(decodeOrThrow(e));
  return { store, result, events };
};

const lifecycleOf = (events: ReadonlyArray<Recorded>, profileId: string) =>
  events.filter((r) => r.ref.streamId === `profile/${profileId}/lifecycle`).map((r) => r.event);

/** An oracle written independently of the statement fold: effective tier after every instant. */
const expectedCharge = (events: ReadonlyArray<LedgerEvent>, userId: string, month: string): number | undefined => {
  const assignments = new Map<string, string>();
  let billed: string | undefined;
  let started = false;
  const observe = () => {
    const effective = highest(assignments.values());
    if (effective !== undefined) billed = highest([effective, ...(billed === undefined ? [] : [billed])]);
  };
  for (const e of events) {
    if (e.type === 'OverageSet' || e.type === 'TierDefined' || e.type === 'ProfileCreated' || e.type === 'CreditsConsumed' || e.type === 'CreditIssued' || e.type === 'StatementSealed') continue;
    if (e.data.occurredAt >= monthEnd(month)) break;
    if (!started && e.data.occurredAt >= monthStart(month)) {
      started = true;
      observe(); // the tier carried in at the start of the month
    }
    if (e.data.userId !== userId) continue;
    const key = e.data.groupId ?? '';
    if (e.type === 'UserUnsubscribed') assignments.delete(key);
    else assignments.set(key, e.data.tier);
    if (started) observe();
  }
  if (!started) observe();
  return billed === undefined ? undefined : PRICE[billed];
};

const properties = { numRuns: 60 };

describe('billing properties over random command sequences', () => {
  test('(1) each user is charged the full price of the highest tier held at any instant of the month', async () => {
    await fc.assert(
      fc.asyncProperty(randomScenario, async (scenario) => {
        const { result, events } = await play(scenario);
        for (const s of result.statements) {
          const lifecycle = lifecycleOf(events, s.profileId);
          for (const userId of ['alice', 'bob', 'carol']) {
            const u = s.users.find((x) => x.userId === userId);
            const charged = u?.lines.filter((l) => l.kind !== 'OVERAGE').reduce((a, l) => a.plus(l.amount), new Decimal(0));
            const expected = expectedCharge(lifecycle, userId, s.month);
            expect([s.profileId, s.month, userId, charged?.toNumber()]).toEqual([s.profileId, s.month, userId, expected]);
          }
        }
      }),
      properties,
    );
  });

  test('(2) statement total = sum of user totals = sum of lines, all with 2 places', async () => {
    await fc.assert(
      fc.asyncProperty(randomScenario, async (scenario) => {
        const { result } = await play(scenario);
        for (const s of result.statements) {
          const lines = s.users.flatMap((u) => u.lines.map((l) => l.amount));
          const sum = (xs: ReadonlyArray<string>) => xs.reduce((a, x) => a.plus(x), new Decimal(0)).toFixed(2);
          expect(sum(s.users.map((u) => u.total))).toBe(s.total);
          expect(sum(lines)).toBe(s.total);
          for (const u of s.users) expect(sum(u.lines.map((l) => l.amount))).toBe(u.total);
          for (const a of [s.total, ...lines]) expect(a).toMatch(/^-?[0-9]+\.[0-9]{2}$/);
        }
        for (const a of result.accountStatements) {
          expect(a.profiles.reduce((x, p) => x.plus(p.total), new Decimal(0)).toFixed(2)).toBe(a.total);
        }
      }),
      properties,
    );
  });

  test('(3) rebuilding a statement twice from the same events gives identical JSON', async () => {
    await fc.assert(
      fc.asyncProperty(randomScenario, async (scenario) => {
        const { store, result } = await play(scenario);
        const clock = () => new Date('2026-06-15T00:00:00.000Z');
        const rebuild = async () => {
          const ledger = await new LedgerService(store, { clock }).open();
          return JSON.stringify(await Promise.all(PROFILES.flatMap((p) => MONTHS.map((m) => ledger.statement(p, m)))));
        };
        expect(await rebuild()).toBe(await rebuild());
        expect(result.statements.length).toBe(PROFILES.length * MONTHS.length);
      }),
      properties,
    );
  });

  test('(4) events dated after month M never change M\'s statement (T3)', async () => {
    await fc.assert(
      fc.asyncProperty(randomScenario, fc.constantFrom(...MONTHS), async (scenario, month) => {
        const { store } = await play(scenario);
        const clock = () => new Date('2026-07-01T00:00:00.000Z');
        const upToMonth = new InMemoryEventStore();
        for await (const e of store.readAll()) {
          const at = (e.data as { occurredAt: string }).occurredAt;
          if (at < monthEnd(month)) await upToMonth.append(e.streamId, [e], { expectedRevision: { kind: 'any' } });
        }
        const full = await new LedgerService(store, { clock }).open();
        const truncated = await new LedgerService(upToMonth, { clock }).open();
        // The seal (F2) is written after the month's end by definition: T3 speaks of what was billed.
        const billed = (s: Statement | undefined) => JSON.stringify(s === undefined ? s : { ...s, seal: undefined });
        for (const p of PROFILES) expect(billed(await truncated.statement(p, month))).toBe(billed(await full.statement(p, month)));
      }),
      properties,
    );
  });

  test('(5) accepted credits never exceed the allowance while overage is off (K4)', async () => {
    await fc.assert(
      fc.asyncProperty(randomScenario, async (scenario) => {
        const { events } = await play(scenario);
        for (const p of PROFILES) {
          let overage = false;
          const assignments = new Map<string, Map<string, string>>();
          const held = new Map<string, Set<string>>(); // user/month → tiers held so far
          const used = new Map<string, Decimal>();
          const heldIn = (userId: string, month: string) => {
            const key = `${userId}/${month}`;
            if (!held.has(key)) held.set(key, new Set(assignments.get(userId)?.values() ?? []));
            return held.get(key) as Set<string>;
          };
          for (const { ref, event: e } of events) {
            if (!ref.streamId.startsWith(`profile/${p}/`)) continue;
            if (e.type === 'OverageSet') overage = e.data.enabled;
            else if (e.type === 'CreditsConsumed') {
              const key = `${e.data.userId}/${monthOf(e.data.occurredAt)}`;
              const total = (used.get(key) ?? new Decimal(0)).plus(e.data.credits);
              used.set(key, total);
              const allowance = CREDITS[highest(heldIn(e.data.userId, monthOf(e.data.occurredAt))) ?? ''] ?? 0;
              if (!overage) expect(total.lessThanOrEqualTo(allowance)).toBe(true);
            } else if (e.type !== 'TierDefined' && e.type !== 'ProfileCreated' && e.type !== 'CreditIssued' && e.type !== 'StatementSealed') {
              const mine = assignments.get(e.data.userId) ?? new Map<string, string>();
              assignments.set(e.data.userId, mine);
              heldIn(e.data.userId, monthOf(e.data.occurredAt));
              if (e.type === 'UserUnsubscribed') mine.delete(e.data.groupId ?? '');
              else {
                mine.set(e.data.groupId ?? '', e.data.tier);
                heldIn(e.data.userId, monthOf(e.data.occurredAt)).add(e.data.tier);
              }
            }
          }
        }
      }),
      properties,
    );
  });

  test('(6) a rejected command appends nothing', async () => {
    await fc.assert(
      fc.asyncProperty(randomScenario, async (scenario) => {
        const { result } = await play(scenario);
        for (const step of result.steps) if (!step.ok) expect(step.appended).toBe(0);
        expect(result.steps.some((s) => s.ok)).toBe(true);
      }),
      properties,
    );
  });
});
