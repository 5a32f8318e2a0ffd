import * as E from 'fp-ts/Either';
import { LedgerService } from '../../src/app/ledgerService';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';

/** `GET /v1/profiles/{id}`'s answer: the profile as it stands at the clock's instant. */
describe('a profile now', () => {
  // Set before June: the commands are sent while the catalog change is still ahead.
  let now = new Date('2026-05-10T00:00:00.000Z');
  let ledger: LedgerService;
  // Each command is sent at its own instant, while its month is open.
  const ok = async (command: { readonly occurredAt: string; readonly [field: string]: unknown }) => {
    now = new Date(command.occurredAt);
    expect(E.isRight(await ledger.execute(command))).toBe(true);
  };
  const at = async (instant: string) => {
    now = new Date(instant);
    return ledger.profile('p-1');
  };

  beforeAll(async () => {
    ledger = await new LedgerService(new InMemoryEventStore(), { clock: () => now }).open();
    await ok({ type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1', occurredAt: '2026-04-01T00:00:00Z' });
    await ok({ type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO', occurredAt: '2026-04-02T00:00:00Z' });
    await ok({ type: 'Subscribe', profileId: 'p-1', userId: 'alice', groupId: 'g-1', tier: 'POWER', occurredAt: '2026-04-03T00:00:00Z' });
    await ok({ type: 'Subscribe', profileId: 'p-1', userId: 'bob', tier: 'PRO', occurredAt: '2026-04-04T00:00:00Z' });
    await ok({ type: 'SetOverage', profileId: 'p-1', enabled: true, occurredAt: '2026-04-05T00:00:00Z' });
    await ok({ type: 'Unsubscribe', profileId: 'p-1', userId: 'bob', occurredAt: '2026-05-01T00:00:00Z' });
    // From June, Pro costs more than Power: the effective tier follows the catalog of the clock's month (C4).
    await ok({ type: 'DefineTier', tier: 'PRO', name: 'Pro', credits: '1000', price: '300.00', fromMonth: '2026-06', occurredAt: '2026-05-02T00:00:00Z' });
  });

  test('only what is in effect at the instant: later events are not yet', async () => {
    expect(await at('2026-04-03T12:00:00Z')).toMatchObject({
      overage: false,
      users: [
        {
          userId: 'alice',
          assignments: [
            { groupId: null, tier: 'PRO' },
            { groupId: 'g-1', tier: 'POWER' },
          ],
          effectiveTier: 'POWER',
        },
      ],
    });
    expect((await at('2026-04-20T00:00:00Z'))?.users.map((u) => u.userId)).toEqual(['alice', 'bob']);
  });

  test('an unsubscribed user is gone, the overage switch stays, and the effective tier follows the catalog', async () => {
    const may = await at('2026-05-20T00:00:00Z');
    expect(may?.overage).toBe(true);
    expect(may?.users.map((u) => [u.userId, u.effectiveTier])).toEqual([['alice', 'POWER']]);
    expect((await at('2026-06-20T00:00:00Z'))?.users.map((u) => [u.userId, u.effectiveTier])).toEqual([['alice', 'PRO']]);
  });

  test('a profile that does not exist is undefined', async () => expect(await ledger.profile('p-nowhere')).toBeUndefined());
});
