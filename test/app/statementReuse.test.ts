import * as E from 'fp-ts/Either';
import { LedgerService } from '../../src/app/ledgerService';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';

/** Statements are reused between requests: every later change to their inputs must still show. */
describe('a statement asked for again', () => {
  let now = new Date('2026-04-10T00:00:00.000Z');
  let ledger: LedgerService;
  const ok = async (command: object) => expect(E.isRight(await ledger.execute(command))).toBe(true);
  const april = () => ledger.statement('p-1', '2026-04');

  beforeEach(async () => {
    now = new Date('2026-04-10T00:00:00.000Z');
    ledger = await new LedgerService(new InMemoryEventStore(), { clock: () => now }).open();
    await ok({ type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1' });
    await ok({ type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO' });
  });

  test('shows usage, upgrades and new users added since it was last folded', async () => {
    expect((await april())?.total).toBe('20.00');
    await ok({ type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '12.50', requestId: 'r-1' });
    expect((await april())?.users[0]?.creditsUsed).toBe('12.50');
    await ok({ type: 'Upgrade', profileId: 'p-1', userId: 'alice', tier: 'POWER' });
    await ok({ type: 'Subscribe', profileId: 'p-1', userId: 'bob', tier: 'PRO' });
    const after = await april();
    expect(after?.total).toBe('220.00');
    expect(after?.users.map((u) => [u.userId, u.billedTier, u.creditsUsed])).toEqual([
      ['alice', 'POWER', '12.50'],
      ['bob', 'PRO', '0.00'],
    ]);
  });

  test('turns final when the month ends, and stays the same under later events (T3)', async () => {
    const open = await april();
    expect(open?.status).toBe('open');
    now = new Date('2026-05-02T00:00:00.000Z');
    await ok({ type: 'Unsubscribe', profileId: 'p-1', userId: 'alice' });
    const final = await april();
    expect(final).toEqual({ ...open, status: 'final' });
  });
});
