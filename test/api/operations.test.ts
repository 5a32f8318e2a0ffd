import * as E from 'fp-ts/Either';
import { TokenRegistry } from '../../src/auth/tokenRegistry';
import { EventStore, StoreFault } from '../../src/store/eventStore';
import { send, startServer, startServerWithHistory, TestServer } from './support/ledgerServer';

const NOW = new Date('2026-04-15T12:00:00.000Z');

describe('GET /livez, /readyz, /metrics (issue 17 item 6)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServerWithHistory(
      [
        { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1', occurredAt: '2026-04-01T09:00:00Z' },
        { type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO', occurredAt: '2026-04-01T10:00:00Z' },
      ],
      NOW,
    );
  });
  afterAll(() => server.close());

  test('livez answers that the process is up', async () => {
    const answer = await server.request('GET', '/livez');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ok' });
  });

  test('readyz: the store answers and the read model is caught up, even just after a write', async () => {
    expect((await send(server, { type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '2', requestId: 'r-ready' })).status).toBe(201);
    const answer = await server.request('GET', '/readyz');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ready', checks: { store: { ok: true }, readModel: { ok: true, lagEvents: 0 } } });
  });

  test('metrics: Prometheus text with the default process metrics and the ledger own', async () => {
    expect((await send(server, { type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '1', requestId: 'r-m1' })).status).toBe(201);
    expect((await send(server, { type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO' })).status).toBe(409);
    const answer = await server.request('GET', '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = answer.text;
    for (const name of ['process_cpu_user_seconds_total', 'nodejs_heap_size_used_bytes', 'ledger_event_loop_lag_seconds', ]) expect(text).toContain(name);
    expect(text).toMatch(/^ledger_commands_total\{command="ConsumeCredits",result="OK"\} [1-9]/m);
    expect(text).toMatch(/^ledger_commands_total\{command="Subscribe",result="ALREADY_SUBSCRIBED"\} 1$/m);
    expect(text).toMatch(/^http_request_duration_seconds_count\{method="POST",route="\/v1\/profiles\/:profileId\/usage",status="201"\} [1-9]/m);
    expect(text).toMatch(/^ledger_append_duration_seconds_count [1-9]/m);
    // The commands above are in the log, not yet in the read model (it catches up before a query).
    expect(text).toMatch(/^ledger_read_model_lag_events [1-9]/m);
    await server.request('GET', '/v1/profiles/p-1');
    expect((await server.request('GET', '/metrics')).text).toMatch(/^ledger_read_model_lag_events 0$/m);
  });

  test('with tokens: open to a loopback client, a token needed from elsewhere', async () => {
    const own = await startServer();
    try {
      const created = await new TokenRegistry(own.store).create({ name: 'reader', role: 'reader', accounts: 'all', rate: 10_000 }, { actor: 'test' });
      if (E.isLeft(created)) throw new Error(created.left.message);
      for (const url of ['/livez', '/readyz', '/metrics']) {
        expect((await own.request('GET', url)).status).toBe(200);
        const remote = await own.app.inject({ method: 'GET', url, remoteAddress: '10.1.2.3' });
        expect([url, remote.statusCode, JSON.parse(remote.body).error.code]).toEqual([url, 401, 'UNAUTHENTICATED']);
        const withToken = await own.app.inject({ method: 'GET', url, remoteAddress: '10.1.2.3', headers: { authorization: `Bearer ${created.right.token}` } });
        expect([url, withToken.statusCode]).toEqual([url, 200]);
      }
    } finally {
      await own.close();
    }
  });
});

describe('readyz says why it is not ready', () => {
  test('a store that does not answer is 503 naming the store', async () => {
    let down = false;
    const failing = (store: EventStore): EventStore =>
      new Proxy(store, {
        get: (target, property) => {
          const value: unknown = Reflect.get(target, property, target);
          if (property === 'headPosition' || property === 'readAll') {
            return (...args: unknown[]) => {
              if (down) throw new StoreFault('unavailable', 'test: connection refused', 2);
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          }
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    const server = await startServer({ wrapStore: failing });
    try {
      down = true;
      const answer = await server.request('GET', '/readyz');
      expect(answer.status).toBe(503);
      expect(answer.body.status).toBe('not ready');
      expect(answer.body.checks.store).toEqual({ ok: false, reason: expect.stringContaining('connection refused') });
      expect((await server.request('GET', '/livez')).status).toBe(200);
      // A query meanwhile is a 503 with Retry-After too, not a 500.
      const query = await server.request('GET', '/v1/profiles/p-1');
      expect(query.status).toBe(503);
      expect(query.body.error.code).toBe('STORE_UNAVAILABLE');
      expect(query.headers.get('retry-after')).toBe('2');
      down = false;
      expect((await server.request('GET', '/readyz')).status).toBe(200);
    } finally {
      down = false;
      await server.close();
    }
  });
});
