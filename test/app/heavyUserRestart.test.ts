import * as E from 'fp-ts/Either';
import { LedgerService } from '../../src/app/ledgerService';
import { Streams } from '../../src/domain/events';
import { EventStore, ReadStreamOptions } from '../../src/store/eventStore';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';

/**
 * Issue 18 item 4: after a restart, a heavy user's first consumption does not read the month's usage
 * stream from its start: the read model's running sum seeds the handler's state, and only what
 * follows it is read. The decision is the one the whole stream would give (K4 at the exact boundary).
 */
const clock = () => new Date('2026-04-20T00:00:00.000Z');
const at = '2026-04-10T00:00:00Z';
const STREAM = Streams.usage('p-1', 'alice', '2026-04');

/** The store, recording where each read of alice's usage stream started. */
const watched = (store: EventStore, reads: number[]): EventStore =>
  new Proxy(store, {
    get: (target, key, receiver) =>
      key === 'readStream'
        ? (streamId: string, options?: ReadStreamOptions) => {
            if (streamId === STREAM) reads.push(options?.fromRevision ?? 0);
            return target.readStream(streamId, options);
          }
        : Reflect.get(target, key, receiver),
  });

test('the first consumption after a restart reads only what follows the read model\'s sum, and decides as the whole stream would', async () => {
  const store = new InMemoryEventStore(clock);
  const before = await new LedgerService(store, { clock }).open();
  const ok = async (ledger: LedgerService, c: Record<string, unknown>) => expect(E.isRight(await ledger.execute(c))).toBe(true);
  await ok(before, { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1', occurredAt: '2026-04-01T00:00:00Z' });
  await ok(before, { type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO', occurredAt: '2026-04-01T00:00:00Z' });
  // 999.00 of Pro's 1,000 credits, in 999 requests.
  for (let i = 0; i < 999; i++) await ok(before, { type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '1', requestId: `r-${i}`, occurredAt: at });

  const reads: number[] = [];
  const after = await new LedgerService(watched(store, reads), { clock }).open();
  const over = await after.execute({ type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '1.01', requestId: 'r-over', occurredAt: at });
  expect(E.isLeft(over) && over.left.code).toBe('CREDITS_EXHAUSTED');
  const exact = await after.execute({ type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '1', requestId: 'r-last', occurredAt: at });
  expect(E.isRight(exact)).toBe(true);
  // Never from the stream's start: the sum covered revisions 0..998.
  expect(reads.every((from) => from >= 999)).toBe(true);
  expect((await after.statement('p-1', '2026-04'))?.users[0]?.creditsUsed).toBe('1000.00');
});
