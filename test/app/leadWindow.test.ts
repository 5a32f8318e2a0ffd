import * as E from 'fp-ts/Either';
import { LedgerService } from '../../src/app/ledgerService';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';

/**
 * Issue 16, problems 1 and 2, as found with the server started under faketime at Apr 30 23:58: a
 * ledger on a clock the test sets, commands dated up to 5 minutes ahead of it (T2).
 */
const open = async (at: string) => {
  let now = new Date(at);
  const ledger = await new LedgerService(new InMemoryEventStore(), { clock: () => now }).open();
  const run = async (command: Record<string, unknown>) => {
    const result = await ledger.execute(command, { actor: 'test' });
    return E.isRight(result) ? 'ok' : result.left.code;
  };
  return { ledger, run, setClock: (instant: string) => (now = new Date(instant)) };
};
const p = { profileId: 'p-1' };

test('problem 1: with a May subscribe in the log, April consumption is decided on April (M2, M4, K1, K5)', async () => {
  const { ledger, run, setClock } = await open('2026-04-01T00:00:00Z');
  expect(await run({ type: 'CreateProfile', ...p, accountId: '111122223333', region: 'us-east-1', occurredAt: '2026-04-01T00:00:00Z' })).toBe('ok');
  expect(await run({ type: 'Subscribe', ...p, userId: 'alice', tier: 'POWER', occurredAt: '2026-04-01T00:00:00Z' })).toBe('ok');
  expect(await run({ type: 'Subscribe', ...p, userId: 'carol', tier: 'PRO', occurredAt: '2026-04-01T00:00:00Z' })).toBe('ok');
  setClock('2026-04-21T00:00:00Z');
  expect(await run({ type: 'Downgrade', ...p, userId: 'alice', tier: 'PRO', occurredAt: '2026-04-20T00:00:00Z' })).toBe('ok');
  expect(await run({ type: 'Unsubscribe', ...p, userId: 'carol', occurredAt: '2026-04-21T00:00:00Z' })).toBe('ok');
  setClock('2026-04-30T23:58:00Z');
  expect(await run({ type: 'Subscribe', ...p, userId: 'bob', tier: 'PRO', occurredAt: '2026-05-01T00:02:00Z' })).toBe('ok');
  expect(await run({ type: 'ConsumeCredits', ...p, userId: 'alice', credits: '1000', requestId: 'r-a', occurredAt: '2026-04-30T23:58:00Z' })).toBe('ok');
  expect(await run({ type: 'ConsumeCredits', ...p, userId: 'alice', credits: '9000', requestId: 'r-b', occurredAt: '2026-04-30T23:58:00Z' })).toBe('ok');
  expect(await run({ type: 'ConsumeCredits', ...p, userId: 'carol', credits: '1000', requestId: 'r-c', occurredAt: '2026-04-30T23:58:00Z' })).toBe('ok');
  // K4 still holds on April's allowance: 10,000 are used.
  expect(await run({ type: 'ConsumeCredits', ...p, userId: 'alice', credits: '0.01', requestId: 'r-d', occurredAt: '2026-04-30T23:58:00Z' })).toBe('CREDITS_EXHAUSTED');
  const april = await ledger.statement('p-1', '2026-04');
  expect(april?.users.map((u) => [u.userId, u.billedTier, u.creditsIncluded, u.creditsUsed])).toEqual([
    ['alice', 'POWER', '10000.00', '10000.00'],
    ['carol', 'PRO', '1000.00', '1000.00'],
  ]);
  // The profile as it stands at 23:58: bob's subscribe is not in effect yet.
  expect((await ledger.profile('p-1'))?.users.map((u) => u.userId)).toEqual(['alice']);
});

test('problem 2: a month that has started by the clock plus 5 minutes is never re-priced (C3)', async () => {
  const { ledger, run, setClock } = await open('2026-04-01T00:00:00Z');
  expect(await run({ type: 'CreateProfile', ...p, accountId: '111122223333', region: 'us-east-1', occurredAt: '2026-04-01T00:00:00Z' })).toBe('ok');
  expect(await run({ type: 'Subscribe', ...p, userId: 'alice', tier: 'PRO', occurredAt: '2026-04-01T00:00:00Z' })).toBe('ok');
  setClock('2026-04-30T23:58:00Z');
  expect(await run({ type: 'ConsumeCredits', ...p, userId: 'alice', credits: '1000', requestId: 'r-1', occurredAt: '2026-05-01T00:02:00Z' })).toBe('ok');
  expect(await run({ type: 'DefineTier', tier: 'PRO', name: 'Pro', credits: '500', price: '30.00', fromMonth: '2026-05' })).toBe('PERIOD_STARTED');
  expect(await run({ type: 'DefineTier', tier: 'PRO', name: 'Pro', credits: '500', price: '30.00', fromMonth: '2026-06' })).toBe('ok');
  setClock('2026-05-02T00:00:00Z');
  const may = await ledger.statement('p-1', '2026-05');
  expect(may?.users.map((u) => [u.userId, u.total, u.creditsIncluded, u.overageCredits, u.lines.map((l) => l.kind)])).toEqual([['alice', '20.00', '1000.00', '0.00', ['CHARGE']]]);
});
