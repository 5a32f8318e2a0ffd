import { randomUUID } from 'node:crypto';
import { EsdbClient, EsdbEventStore } from '../../src/store/esdbEventStore';
import { ExpectedRevision } from '../../src/store/eventStore';
import { collect, newEvent, written } from './contract';

/** Why the contract's atomic-guard tests do not apply to the EventStoreDB adapter. */
export const ESDB_NO_ATOMIC_GUARDS = 'EventStoreDB appends to one stream at a time; guards are checked just before the write (docs/stores.md)';

/**
 * What the EventStoreDB adapter must get right beyond the contract, where ESDB differs from one
 * atomic store. `server()` gives a way to connect clients to one fresh server (or fake): two
 * clients stand for two ledger processes.
 */
export const describeEsdbAdapter = (name: string, server: () => () => EsdbClient, options: { readonly skip?: string } = {}): void => {
  const suite = options.skip === undefined ? describe : describe.skip;
  suite(`EventStoreDB adapter (${name})${options.skip === undefined ? '' : ` — skipped: ${options.skip}`}`, () => {
    let connect: () => EsdbClient;
    beforeEach(() => {
      connect = server();
    });

    test('a retry after a crash that followed the write is a duplicate, whatever revision it now expects', async () => {
      const streamId = `healed-${randomUUID()}`;
      const commandId = randomUUID();
      // The first process writes its events, then dies before it can answer.
      const client = connect();
      const original = client.appendToStream.bind(client);
      const dying: EsdbClient = {
        appendToStream: async (stream, events, opts) => {
          const result = await original(stream, events, opts);
          if (stream === streamId) throw new Error('killed');
          return result;
        },
        readStream: (s, o) => client.readStream(s, o),
        readAll: (o) => client.readAll(o),
        dispose: () => client.dispose(),
      };
      const crashing = new EsdbEventStore(dying);
      const attempt = [newEvent({ n: 1 }), newEvent({ n: 2 })];
      await expect(crashing.append(streamId, attempt, { expectedRevision: ExpectedRevision.noStream, commandIds: [commandId] })).rejects.toThrow('killed');

      // The handler's retry re-reads the stream: it now expects the orphan's revision.
      const store = new EsdbEventStore(connect());
      const retry = await store.append(streamId, [newEvent({ n: 1 }), newEvent({ n: 2 })], { expectedRevision: ExpectedRevision.exact(1), commandIds: [commandId] });

      const stored = await store.readStream(streamId);
      expect(stored.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
      expect(retry).toEqual({ kind: 'duplicate', nextExpectedRevision: 1, events: stored });
      expect(await store.readCommand(commandId)).toEqual(stored);
      await store.close();
    });

    test('a retry after a crash between the claim and the write writes once', async () => {
      const streamId = `claimed-${randomUUID()}`;
      const commandId = randomUUID();
      const client = connect();
      const original = client.appendToStream.bind(client);
      const dying: EsdbClient = {
        appendToStream: (stream, events, opts) => (stream === streamId ? Promise.reject(new Error('killed')) : original(stream, events, opts)),
        readStream: (s, o) => client.readStream(s, o),
        readAll: (o) => client.readAll(o),
        dispose: () => client.dispose(),
      };
      await expect(new EsdbEventStore(dying).append(streamId, [newEvent()], { expectedRevision: ExpectedRevision.noStream, commandIds: [commandId] })).rejects.toThrow('killed');
      const store = new EsdbEventStore(connect());
      expect(await store.readCommand(commandId)).toBeUndefined();
      const retry = await written(store.append(streamId, [newEvent({ n: 1 })], { expectedRevision: ExpectedRevision.noStream, commandIds: [commandId] }));
      expect(await store.readStream(streamId)).toEqual(retry.events);
      await store.close();
    });

    test('two processes, one request id, two streams: one is written, the other answers with it, $all holds one', async () => {
      const [a, b] = [new EsdbEventStore(connect()), new EsdbEventStore(connect())];
      const start = await a.headPosition();
      const requestId = randomUUID();
      const [u1, u2] = [`usage/${randomUUID()}`, `usage/${randomUUID()}`];
      const results = await Promise.all([
        a.append(u1, [newEvent({ user: 1 })], { expectedRevision: ExpectedRevision.any, commandIds: [requestId] }),
        b.append(u2, [newEvent({ user: 2 })], { expectedRevision: ExpectedRevision.any, commandIds: [requestId] }),
      ]);
      expect(results.filter((r) => r.kind === 'appended')).toHaveLength(1);
      const stored = [...(await a.readStream(u1)), ...(await a.readStream(u2))];
      expect(stored).toHaveLength(1);
      results.forEach((r) => expect(r).toMatchObject({ events: stored }));
      expect((await collect(a.readAll({ after: start }))).filter((e) => e.streamId === u1 || e.streamId === u2)).toEqual(stored);
      await Promise.all([a.close(), b.close()]);
    });

    test('positions are opaque: readAll after any number starts right above it', async () => {
      const store = new EsdbEventStore(connect());
      const id = `opaque-${randomUUID()}`;
      const { events } = await written(store.append(id, [newEvent(), newEvent(), newEvent()], { expectedRevision: ExpectedRevision.noStream }));
      const [first, second, third] = events.map((e) => e.globalPosition) as [number, number, number];
      const own = async (after: number) => (await collect(store.readAll({ after }))).filter((e) => e.streamId === id).map((e) => e.globalPosition);
      expect(await own(second - 1)).toEqual([second, third]);
      expect(await own(first)).toEqual([second, third]);
      // A fresh process knows no boundary: it reads from the start and still skips what is not above.
      const fresh = new EsdbEventStore(connect());
      expect((await collect(fresh.readAll({ after: third - 1 }))).filter((e) => e.streamId === id).map((e) => e.globalPosition)).toEqual([third]);
      await Promise.all([store.close(), fresh.close()]);
    });
  });
};
