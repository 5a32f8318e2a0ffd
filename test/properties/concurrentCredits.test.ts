import * as E from 'fp-ts/Either';
import Decimal from 'decimal.js';
import { LedgerService } from '../../src/app/ledgerService';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';

/**
 * K4 under concurrency: two ledger instances (as two server processes would) share one store and
 * race 60 consumption requests for one user. Only the store's revision check stands between them.
 */
test('concurrent requests from two handlers never overspend the allowance', async () => {
  const store = new InMemoryEventStore();
  const clock = () => new Date('2026-04-15T00:00:00.000Z');
  const a = await new LedgerService(store, { clock }).open();
  const b = await new LedgerService(store, { clock }).open();
  expect(E.isRight(await a.execute({ type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1', occurredAt: '2026-04-01T00:00:00Z' }))).toBe(true);
  expect(E.isRight(await a.execute({ type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO', occurredAt: '2026-04-01T00:00:00Z' }))).toBe(true);

  const requests = Array.from({ length: 60 }, (_, i) =>
    (i % 2 === 0 ? a : b).execute({ type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '33.33', requestId: `r-${i}`, occurredAt: '2026-04-10T00:00:00Z' }),
  );
  const results = await Promise.all(requests);
  const accepted = results.filter(E.isRight).length;
  const codes = results.filter(E.isLeft).map((r) => r.left.code);
  const conflicts = codes.filter((c) => c === 'CONFLICT').length;

  // 30 × 33.33 = 999.90 fits in Pro's 1000 credits; a 31st would not. Conflicts are retried (with a
  // random pause) until decided, so exactly 30 are accepted: never more (K4), and none lost to a race.
  expect(conflicts).toBe(0);
  expect(accepted).toBe(30);
  expect(codes.every((c) => c === 'CREDITS_EXHAUSTED')).toBe(true);
  const statement = await a.statement('p-1', '2026-04');
  expect(statement?.users[0]?.creditsUsed).toBe(new Decimal('33.33').times(accepted).toFixed(2));
});
