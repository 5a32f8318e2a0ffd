import { EsdbEventStore } from '../../src/store/esdbEventStore';
import { ExpectedRevision } from '../../src/store/eventStore';
import { collect, describeEventStoreContract, newEvent } from './contract';
import { describeEsdbAdapter, ESDB_NO_ATOMIC_GUARDS } from './esdbAdapter';
import { FakeEsdbClient } from './fakeEsdbClient';

/** The adapter against an in-memory model of the client (its fidelity limits: fakeEsdbClient.ts), so it runs everywhere. */
describeEventStoreContract('EventStoreDB adapter over a fake client', () => new EsdbEventStore(new FakeEsdbClient(), { claimWaitMs: 500 }), {
  noAtomicGuards: ESDB_NO_ATOMIC_GUARDS,
});

describeEsdbAdapter('fake client', () => {
  const server = new FakeEsdbClient();
  return () => server;
});

test('a position beyond 2^53 fails loudly instead of rounding', async () => {
  const store = new EsdbEventStore(new FakeEsdbClient(2n ** 60n));
  await expect(store.append('s', [newEvent()], { expectedRevision: ExpectedRevision.noStream })).rejects.toThrow(/position 1152921504606846976 of s@0 is not a safe integer/);
});

test('a profile is read from its own streams, never by scanning $all; every call asks for the leader, with the credentials given', async () => {
  const fake = new FakeEsdbClient();
  const credentials = { username: 'ledger', password: 'secret' };
  const store = new EsdbEventStore(fake, { credentials });
  await store.append('profile/p1/lifecycle', [newEvent()], { expectedRevision: ExpectedRevision.noStream });
  await store.append('profile/p2/lifecycle', [newEvent()], { expectedRevision: ExpectedRevision.noStream });
  await store.append('profile/p1/usage/alice/2026-11', [newEvent(), newEvent()], { expectedRevision: ExpectedRevision.noStream });
  const readAll = jest.spyOn(fake, 'readAll');
  const readStream = jest.spyOn(fake, 'readStream');

  const events = await collect(store.readAll({ streamPrefix: 'profile/p1/' }));

  expect(events.map((e) => e.streamId)).toEqual(['profile/p1/lifecycle', 'profile/p1/usage/alice/2026-11', 'profile/p1/usage/alice/2026-11']);
  expect(readAll).not.toHaveBeenCalled();
  expect(readStream.mock.calls.map(([, options]) => options)).toEqual(readStream.mock.calls.map(() => expect.objectContaining({ requiresLeader: true, credentials })));
});
