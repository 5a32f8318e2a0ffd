import { EventStoreDBClient } from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import { EsdbEventStore } from '../../src/store/esdbEventStore';
import { ExpectedRevision } from '../../src/store/eventStore';
import { describeEventStoreContract, newEvent } from './contract';
import { ESDB_ERROR_VAR, ESDB_SKIP_VAR, ESDB_URL_VAR } from './globalSetup';

// Set by test/store/globalSetup.ts (or by hand, to run against an external server).
const url = process.env[ESDB_URL_VAR];
const startError = process.env[ESDB_ERROR_VAR];
const skipReason = (): string | undefined => {
  if (url !== undefined || startError !== undefined) return undefined;
  const noRuntime = process.env[ESDB_SKIP_VAR];
  if (noRuntime !== undefined) return `no container runtime (${noRuntime})`;
  return `no EventStoreDB (test/store/globalSetup.ts did not run and ${ESDB_URL_VAR} is not set)`;
};
const skip = skipReason();
// Not console.log: jest hides the console of a file whose tests are all skipped.
if (skip !== undefined) process.stderr.write(`[esdb.contract] skipped: ${skip}\n`);

if (startError !== undefined) {
  test('the EventStoreDB test container starts', () => {
    throw new Error(`EventStoreDB container did not start: ${startError}`);
  });
} else {
  const connect = (): EsdbEventStore => EsdbEventStore.connect(url as string);
  describeEventStoreContract('EventStoreDB', connect, { skip, heavyTimeoutMs: 180_000 });

  const suite = skip === undefined ? describe : describe.skip;
  suite(`EventStoreDB command index${skip === undefined ? '' : ` — skipped: ${skip}`}`, () => {
    test('a retry heals an append whose process died before writing the command index', async () => {
      const streamId = `healed-${randomUUID()}`;
      const commandId = randomUUID();
      // The first attempt writes its events, then "dies" when it comes to the index stream.
      const client = EventStoreDBClient.connectionString(url as string);
      const original = client.appendToStream.bind(client);
      jest
        .spyOn(client, 'appendToStream')
        .mockImplementation((stream, events, options) =>
          stream.startsWith('command-') ? Promise.reject(new Error('killed')) : original(stream, events, options),
        );
      const crashing = new EsdbEventStore(client);
      const options = { expectedRevision: ExpectedRevision.noStream, commandId };
      await expect(crashing.append(streamId, [newEvent({ n: 1 }), newEvent({ n: 2 })], options)).rejects.toThrow('killed');
      await crashing.close();
      const store = connect();
      expect(await store.readCommand(commandId)).toBeUndefined();

      const retry = await store.append(streamId, [newEvent({ n: 1 }), newEvent({ n: 2 })], options);

      const stored = await store.readStream(streamId);
      expect(stored.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
      expect(retry).toEqual({ nextExpectedRevision: 1, events: stored, duplicate: false });
      expect(await store.readCommand(commandId)).toEqual(stored);
      await store.close();
    });
  });
}
