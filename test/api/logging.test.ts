import { Writable } from 'node:stream';
import { send, startServer, withAppend } from './support/ledgerServer';

/** The server's JSON log lines, as written. */
const captureLog = () => {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter((l) => l !== '')) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
};

describe('request log', () => {
  test('one structured line per request: method, url, status, command, command id, result', async () => {
    const { lines, stream } = captureLog();
    const server = await startServer({ clock: () => new Date('2026-04-15T12:00:00Z'), logger: { level: 'info', stream } });
    try {
      await send(server, { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1' }, { 'idempotency-key': 'k-log' });
      await send(server, { type: 'Subscribe', profileId: 'p-nowhere', userId: 'alice', tier: 'PRO' });
      await server.request('GET', '/v1/profiles/p-1/statements/2026-04');
    } finally {
      await server.close();
    }
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests).toEqual([
      expect.objectContaining({ method: 'POST', url: '/v1/profiles', status: 201, command: 'CreateProfile', commandId: 'idem:local/k-log', result: 'OK', reqId: expect.any(String) }),
      expect.objectContaining({ method: 'POST', url: '/v1/profiles/p-nowhere/subscriptions', status: 404, command: 'Subscribe', result: 'PROFILE_NOT_FOUND' }),
      expect.objectContaining({ method: 'GET', url: '/v1/profiles/p-1/statements/2026-04', status: 200, result: 'OK' }),
    ]);
    expect(lines.filter((l) => l.msg !== 'request' && typeof l.reqId === 'string')).toEqual([]);
  });
});

describe('a broken invariant', () => {
  test('is a 500 naming the request id, logged as fatal, and nothing wrong is served as a success', async () => {
    const { lines, stream } = captureLog();
    // A store that answers an append with positions other than those the decision expected.
    const server = await startServer({
      clock: () => new Date('2026-04-15T12:00:00Z'),
      logger: { level: 'info', stream },
      wrapStore: (store) =>
        withAppend(store, async (streamId, events, options) => {
          const result = await store.append(streamId, events, options);
          return streamId.endsWith('/lifecycle') && result.kind === 'appended' ? { ...result, events: result.events.map((e) => ({ ...e, position: e.position + 7 })) } : result;
        }),
    });
    try {
      await send(server, { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1' });
      const answer = await send(server, { type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO' });
      expect(answer.status).toBe(500);
      expect(answer.body.error.code).toBe('INTERNAL');
      const requestId = answer.headers.get('x-correlation-id');
      expect(answer.body.error.message).toContain(requestId);
      expect(lines).toContainEqual(expect.objectContaining({ level: 60, msg: 'INVARIANT VIOLATED', reqId: requestId }));
    } finally {
      await server.close();
    }
  });
});
