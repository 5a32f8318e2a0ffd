import { Writable } from 'node:stream';
import { send, startServer } from './support/ledgerServer';

describe('request log', () => {
  test('one structured line per request: method, url, status, command, command id, result', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter((l) => l !== '')) lines.push(JSON.parse(line));
        done();
      },
    });
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
