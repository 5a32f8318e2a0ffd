import * as E from 'fp-ts/Either';
import { LedgerService } from '../../src/app/ledgerService';
import { EventStore, ReadAllOptions } from '../../src/store/eventStore';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';

/**
 * Issue 18 item 5: after a restart, the first SetOverage of a profile does not read the profile's
 * consumptions from the log's start: the read model's latest consumption of each month seeds it,
 * and only what follows the read model's checkpoint is read, a consumption another process wrote
 * since included. T2 is decided as a read of every consumption would decide it.
 */
const clock = () => new Date('2026-04-20T00:00:00.000Z');

/** The store, recording where each read of a profile's usage events started. */
const watched = (store: EventStore, reads: number[]): EventStore =>
  new Proxy(store, {
    get: (target, key, receiver) =>
      key === 'readAll'
        ? (options: ReadAllOptions = {}) => {
            if (options.streamPrefix?.endsWith('/usage/') === true) reads.push(options.after ?? -1);
            return target.readAll(options);
          }
        : Reflect.get(target, key, receiver),
  });

const ok = async (ledger: LedgerService, c: Record<string, unknown>) => expect(E.isRight(await ledger.execute(c))).toBe(true);
const consume = (userId: string, requestId: string, occurredAt: string) => ({ type: 'ConsumeCredits', profileId: 'p-1', userId, credits: '1', requestId, occurredAt });
const setOverage = (occurredAt: string) => ({ type: 'SetOverage', profileId: 'p-1', enabled: true, occurredAt });

test("the first SetOverage after a restart reads only what follows the read model's checkpoint, and is checked against every consumption", async () => {
  const store = new InMemoryEventStore(clock);
  const other = await new LedgerService(store, { clock }).open();
  await ok(other, { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1', occurredAt: '2026-04-01T00:00:00Z' });
  for (const userId of ['alice', 'bob', 'carol']) await ok(other, { type: 'Subscribe', profileId: 'p-1', userId, tier: 'PRO', occurredAt: '2026-04-01T00:00:00Z' });
  await ok(other, consume('alice', 'r-1', '2026-04-12T00:00:00Z'));
  await ok(other, consume('bob', 'r-2', '2026-04-10T00:00:00Z'));

  const reads: number[] = [];
  const restarted = await new LedgerService(watched(store, reads), { clock }).open();
  const checkpoint = restarted.eventsApplied - 1;
  // The latest consumption the read model holds is alice's, not bob's, the later written.
  const beforeAlice = await restarted.execute(setOverage('2026-04-11T00:00:00Z'));
  expect(E.isLeft(beforeAlice) && beforeAlice.left.message).toMatch(/before the latest consumption of user alice at 2026-04-12T00:00:00/);
  // Another process writes a later one after the read model was built: it is read, and counts.
  await ok(other, consume('carol', 'r-3', '2026-04-14T00:00:00Z'));
  const beforeCarol = await restarted.execute(setOverage('2026-04-13T00:00:00Z'));
  expect(E.isLeft(beforeCarol) && beforeCarol.left.message).toMatch(/before the latest consumption of user carol at 2026-04-14T00:00:00/);
  await ok(restarted, setOverage('2026-04-14T00:00:00Z'));
  expect(reads.length).toBeGreaterThan(0);
  expect(reads.every((after) => after >= checkpoint)).toBe(true);
});
