import * as E from 'fp-ts/Either';
import { consumptionEvent } from '../../bench/bulkHistory';
import { citedEventsPage } from '../../src/app/citedEvents';
import { LedgerService } from '../../src/app/ledgerService';
import { Streams } from '../../src/domain/events';
import { ExpectedRevision } from '../../src/store/eventStore';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';

const REQUESTS = 200_000;
const BATCH = 10_000;
const MONTH = '2026-04';
const STREAM = Streams.usage('p-1', 'agent', MONTH);

/**
 * Issue 12: a Power user's agent makes hundreds of thousands of requests a month. Their statement
 * grows with users, not requests, and still names every request, through its ranges (L4).
 */
describe('the statement of a user with 200,000 requests in the month', () => {
  const store = new InMemoryEventStore();
  let now = new Date('2026-04-01T00:00:00.000Z');
  let ledger: LedgerService;

  beforeAll(async () => {
    ledger = await new LedgerService(store, { clock: () => now }).open();
    for (const c of [
      { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1' },
      { type: 'SetOverage', profileId: 'p-1', enabled: true },
      { type: 'Subscribe', profileId: 'p-1', userId: 'agent', tier: 'POWER' },
      { type: 'Subscribe', profileId: 'p-1', userId: 'bob', tier: 'PRO' },
    ]) expect(E.isRight(await ledger.execute(c))).toBe(true);
    // 0.06 credits a request: 12,000 credits, past Power's 10,000, so the month has an OVERAGE line.
    // The handler's events, appended in batches of 10,000 (its command-id index is not what is tested here).
    const start = Date.parse('2026-04-02T00:00:00.000Z');
    const request = (n: number) => ({ profileId: 'p-1', userId: 'agent', credits: '0.06', requestId: `r-${n}`, occurredAt: new Date(start + n * 1000).toISOString() });
    for (let from = 0; from < REQUESTS; from += BATCH) {
      const batch = Array.from({ length: BATCH }, (_, i) => consumptionEvent(request(from + i)));
      await store.append(STREAM, batch, { expectedRevision: ExpectedRevision.after(from - 1) });
    }
    now = new Date('2026-05-02T00:00:00.000Z');
  });

  test('is under 100 KB and bills the 12,000 credits', async () => {
    const statement = await ledger.statement('p-1', MONTH);
    expect(Buffer.byteLength(JSON.stringify(statement))).toBeLessThan(100_000);
    expect(statement?.users.find((u) => u.userId === 'agent')).toMatchObject({ creditsUsed: '12000.00', overageCredits: '2000.00', total: '280.00' });
  });

  test('its OVERAGE line names every request through its ranges', async () => {
    const statement = await ledger.statement('p-1', MONTH);
    const overage = statement?.users.find((u) => u.userId === 'agent')?.lines.find((l) => l.kind === 'OVERAGE');
    const ranges = overage?.usage ?? [];
    expect(ranges.reduce((n, r) => n + r.count, 0)).toBe(REQUESTS);
    // The ranges cover the usage stream's positions, each once.
    const covered = new Set<number>();
    for (const r of ranges) {
      expect(r.streamId).toBe(STREAM);
      for (let p = r.fromPosition; p <= r.toPosition; p++) covered.add(p);
    }
    expect(covered.size).toBe(REQUESTS);
    expect((await store.readStream(STREAM)).length).toBe(REQUESTS);

    // Expanded page by page, as the line's events route does: every requestId once.
    const seen = new Set<string>();
    let after: number | undefined = 0;
    while (after !== undefined && overage !== undefined) {
      const page: Awaited<ReturnType<typeof citedEventsPage>> = await citedEventsPage((id, o) => store.readStream(id, o), overage, after, 1000);
      for (const e of page.events) seen.add((e.data as { requestId: string }).requestId);
      after = page.next;
    }
    expect(seen.size).toBe(REQUESTS);
    expect(seen.has('r-0') && seen.has(`r-${REQUESTS - 1}`)).toBe(true);
  });
});
