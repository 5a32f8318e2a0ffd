import * as E from 'fp-ts/Either';
import { LedgerService } from '../../src/app/ledgerService';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';

const OTHER = '444455556666';
const clock = () => new Date('2026-04-10T12:00:00.000Z');
const onlyMine = { actor: 't-1', mayActOn: (accountId: string) => accountId === '111122223333' };

const ledgerWith = async (setup: ReadonlyArray<Record<string, unknown>>): Promise<LedgerService> => {
  const ledger = await new LedgerService(new InMemoryEventStore(clock), { clock }).open();
  for (const c of setup) {
    const r = await ledger.execute(c);
    if (E.isLeft(r)) throw new Error(r.left.message);
  }
  return ledger;
};

const commands: ReadonlyArray<Record<string, unknown>> = [
  { type: 'Subscribe', profileId: 'p-1', userId: 'bob', tier: 'PRO' },
  { type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO' },
  { type: 'Unsubscribe', profileId: 'p-1', userId: 'alice' },
  { type: 'Upgrade', profileId: 'p-1', userId: 'alice', tier: 'POWER' },
  { type: 'Downgrade', profileId: 'p-1', userId: 'alice', tier: 'PRO' },
  { type: 'SetOverage', profileId: 'p-1', enabled: true },
  { type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '1', requestId: 'r-1' },
  { type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '2', requestId: 'r-1' },
];

describe('a profile outside the sender’s accounts is handled as a missing one', () => {
  test.each(commands.map((c) => [c.type, c] as const))('%s %j', async (_type, command) => {
    const elsewhere = await ledgerWith([
      { type: 'CreateProfile', profileId: 'p-1', accountId: OTHER, region: 'us-east-1' },
      { type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO' },
      { type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '1', requestId: 'r-1' },
    ]);
    const missing = await ledgerWith([]);
    const head = await elsewhere.store.headPosition();

    const outside = await elsewhere.execute(command, onlyMine);
    expect(outside).toEqual(await missing.execute(command, onlyMine));
    expect(outside).toEqual(E.left({ code: 'PROFILE_NOT_FOUND', message: 'profile p-1 does not exist' }));
    expect(await elsewhere.store.headPosition()).toBe(head);
    // The same command without the restriction reaches the profile.
    expect(await elsewhere.execute(command, { actor: 't-2' })).not.toEqual(outside);
  });
});
