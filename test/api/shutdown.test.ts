import { send, startServer, withAppend } from './support/ledgerServer';

describe('shutdown', () => {
  test('a request in flight when the server closes is finished and acknowledged', async () => {
    let appending: () => void = () => undefined;
    const appendStarted = new Promise<void>((resolve) => {
      appending = resolve;
    });
    let slow = false;
    const server = await startServer({
      clock: () => new Date('2026-04-15T12:00:00Z'),
      wrapStore: (store) =>
        withAppend(store, async (streamId, events, options) => {
          if (slow) {
            appending();
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
          return store.append(streamId, events, options);
        }),
    });
    slow = true;
    const inFlight = send(server, { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1' });
    await appendStarted;
    const closed = server.close();
    const answer = await inFlight;
    await closed;
    expect(answer.status).toBe(201);
    expect(answer.body.events[0].type).toBe('ProfileCreated');
  }, 10_000);
});
