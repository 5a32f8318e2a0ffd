import { randomUUID } from 'node:crypto';
import { genesisCatalog } from '../../src/domain/catalog';
import { LedgerEvent, SCHEMA_VERSION, Streams } from '../../src/domain/events';
import { EventMetadata, ExpectedRevision, RecordedEvent } from '../../src/store/eventStore';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';
import { Exchange, violations } from '../support/simulation/invariants';

/**
 * The simulation's checker on logs written straight to a store (no handler to stop them), so that
 * it is known to find each kind of violation even when the ledger has none to show it.
 */
const at = (day: number) => `2026-04-${String(day).padStart(2, '0')}T00:00:00.000Z`;
const created: LedgerEvent = { type: 'ProfileCreated', data: { profileId: 'p1', accountId: '111122223333', region: 'us-east-1', name: null, occurredAt: at(1) } };
const subscribed = (userId: string): LedgerEvent => ({ type: 'UserSubscribed', data: { profileId: 'p1', userId, groupId: null, tier: 'PRO', occurredAt: at(1) } });
const overage = (enabled: boolean, day: number): LedgerEvent => ({ type: 'OverageSet', data: { profileId: 'p1', enabled, occurredAt: at(day) } });
const consumed = (credits: string, requestId: string, day: number, userId = 'u1'): LedgerEvent => ({
  type: 'CreditsConsumed',
  data: { profileId: 'p1', userId, credits, requestId, occurredAt: at(day) },
});

const streamOf = (e: LedgerEvent): string =>
  e.type === 'ProfileCreated'
    ? Streams.registry
    : e.type === 'CreditsConsumed'
      ? Streams.usage('p1', e.data.userId, '2026-04')
      : e.type === 'CreditIssued'
        ? Streams.credits('p1')
        : Streams.profile('p1');

const logOf = async (events: ReadonlyArray<{ event: LedgerEvent; metadata?: Partial<EventMetadata> }>): Promise<RecordedEvent[]> => {
  const store = new InMemoryEventStore();
  const all = [...genesisCatalog.map((event) => ({ event, streamId: Streams.catalog })), ...events.map((e) => ({ ...e, streamId: streamOf(e.event) }))];
  for (const { event, streamId, ...rest } of all) {
    const metadata = { schemaVersion: SCHEMA_VERSION, ...('metadata' in rest ? rest.metadata : {}) };
    await store.append(streamId, [{ eventId: randomUUID(), type: event.type, data: event.data, metadata }], { expectedRevision: ExpectedRevision.any });
  }
  const log: RecordedEvent[] = [];
  for await (const e of store.readAll()) log.push(e);
  return log;
};

const base = [{ event: created }, { event: subscribed('u1') }, { event: subscribed('u2') }];

test('a log that keeps every rule has no violation', async () => {
  const log = await logOf([...base, { event: consumed('600', 'r1', 2) }, { event: overage(true, 3) }, { event: consumed('600', 'r2', 4) }, { event: overage(false, 5) }]);
  expect(violations(log, [])).toEqual([]);
});

test('K4: a consumption past the allowance after overage was switched off in the log', async () => {
  const log = await logOf([...base, { event: overage(true, 2) }, { event: consumed('600', 'r1', 2) }, { event: overage(false, 3) }, { event: consumed('600', 'r2', 4) }]);
  expect(violations(log, [])).toEqual([expect.stringMatching(/^K4: CreditsConsumed@\d+ .* takes p1\/u1 to 1200\.00 credits, past the allowance 1000\.00/)]);
});

test('T2: a subscription change dated before a consumption of its user that the log holds before it', async () => {
  const unsubscribed: LedgerEvent = { type: 'UserUnsubscribed', data: { profileId: 'p1', userId: 'u1', groupId: null, tier: 'PRO', occurredAt: at(3) } };
  const log = await logOf([...base, { event: consumed('10', 'r1', 5) }, { event: unsubscribed }, { event: consumed('10', 'r2', 2, 'u2') }]);
  expect(violations(log, [])).toEqual([expect.stringMatching(/^T2: UserUnsubscribed@\d+ .* is dated before CreditsConsumed@\d+ \(profile\/p1\/usage\/u1\/2026-04/)]);
});

test('K2: one requestId applied twice in a profile', async () => {
  const log = await logOf([...base, { event: consumed('10', 'r1', 2) }, { event: consumed('10', 'r1', 2, 'u2') }]);
  expect(violations(log, [])).toEqual([expect.stringMatching(/^K2: requestId p1\/r1 applied twice/)]);
});

test('one effect per Idempotency-Key, and rejections that appended', async () => {
  const log = await logOf([
    ...base,
    { event: consumed('10', 'r1', 2), metadata: { idempotencyKey: 'k', correlationId: 'c1' } },
    { event: consumed('20', 'r2', 2), metadata: { idempotencyKey: 'k', correlationId: 'c2' } },
  ]);
  const rejected: Exchange = {
    request: { id: 'c2', process: 0, command: { type: 'ConsumeCredits', profileId: 'p1', userId: 'u1', credits: '20', requestId: 'r2' }, key: 'k' },
    answer: { status: 409, body: { error: { code: 'IDEMPOTENCY_KEY_REUSED', message: '' } } },
  };
  const acknowledged: Exchange = { request: { id: 'c3', process: 1, command: { type: 'SetOverage', profileId: 'p1', enabled: true } }, answer: { status: 200, body: { events: [{ eventId: 'lost' }] } } };
  expect(violations(log, [rejected, acknowledged])).toEqual([
    'Idempotency-Key k: events of 2 requests (c1, c2), one effect expected',
    expect.stringMatching(/^c2 answered 409 IDEMPOTENCY_KEY_REUSED, yet appended CreditsConsumed@\d+$/),
    'c3 answered 200, yet 1 of its events are not in the log',
  ]);
});

test('N2: credits of a line that add up to more than the line', async () => {
  const inMarch = (e: LedgerEvent): LedgerEvent => ({ ...e, data: { ...e.data, occurredAt: e.data.occurredAt.replace('2026-04', '2026-03') } }) as LedgerEvent;
  const credit = (amount: string, day: number): LedgerEvent => ({
    type: 'CreditIssued',
    data: { profileId: 'p1', lineId: 'p1~2026-03~u1~1', userId: 'u1', month: '2026-03', tier: 'PRO', amount, reason: 'r', occurredAt: at(day) },
  });
  const within = await logOf([{ event: inMarch(created) }, { event: inMarch(subscribed('u1')) }, { event: credit('12.00', 2) }, { event: credit('8.00', 3) }]);
  expect(violations(within, [])).toEqual([]);
  const over = await logOf([{ event: inMarch(created) }, { event: inMarch(subscribed('u1')) }, { event: credit('12.00', 2) }, { event: credit('8.01', 3) }]);
  expect(violations(over, [])).toEqual([expect.stringMatching(/^N2: line p1~2026-03~u1~1 \(20\.00\) is credited 20\.01 by CreditIssued@\d+/)]);
});

test('T2: a credit note dated before the latest one the log holds before it', async () => {
  const credit = (day: number): LedgerEvent => ({
    type: 'CreditIssued',
    data: { profileId: 'p1', lineId: 'p1~2026-03~u1~1', userId: 'u1', month: '2026-03', tier: 'PRO', amount: '1.00', reason: 'r', occurredAt: at(day) },
  });
  const log = await logOf([...base, { event: credit(5) }, { event: credit(4) }]);
  expect(violations(log, [])).toEqual(expect.arrayContaining([expect.stringMatching(/^T2: CreditIssued@\d+ .* is dated before CreditIssued@\d+/)]));
});
