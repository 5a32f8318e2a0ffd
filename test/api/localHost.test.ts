import { request as httpRequest } from 'node:http';
import { startServerWithHistory, TestServer } from './support/ledgerServer';

const NOW = new Date('2026-04-15T12:00:00.000Z');

/** fetch will not send another Host than the URL's; node:http sends what it is told, as a rebound browser would. */
const raw = (server: TestServer, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: any; text: string }> =>
  new Promise((resolve, reject) => {
    const url = new URL(server.base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      { host: '127.0.0.1', port: url.port, method, path, headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });

let server: TestServer;
let port: string;

beforeAll(async () => {
  server = await startServerWithHistory(
    [
      { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1', occurredAt: '2026-04-01T09:00:00Z' },
      { type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO', occurredAt: '2026-04-01T10:00:00Z' },
    ],
    NOW,
  );
  port = new URL(server.base).port;
});
afterAll(() => server.close());

const headCount = () => server.store.headPosition();

describe('local mode serves only loopback Host values (issue 17: DNS rebinding)', () => {
  const evil = () => ({ host: `evil.example:${port}`, origin: `http://evil.example:${port}` });
  test.each([
    ['a subscribe', 'POST', '/v1/profiles/p-1/subscriptions', { userId: 'bob', tier: 'PRO' }],
    ['the overage switch', 'PUT', '/v1/profiles/p-1/overage', { enabled: true }],
    ['the export', 'GET', '/v1/exports/2026-04.csv?accountId=111122223333', undefined],
    ['the console', 'GET', '/console/', undefined],
    ['the API description', 'GET', '/openapi.json', undefined],
  ])('%s with Host evil.example is 421 in the error shape and appends nothing', async (_name, method, path, body) => {
    const before = await headCount();
    const answer = await raw(server, method, path, evil(), body);
    expect(answer.status).toBe(421);
    expect(answer.body).toEqual({ error: { code: 'MISDIRECTED_REQUEST', message: expect.stringContaining('evil.example') } });
    expect(await headCount()).toBe(before);
  });

  test.each([['localhost'], ['127.0.0.1'], ['[::1]'], ['LOCALHOST'], ['localhost:PORT'], ['127.0.0.1:PORT'], ['[::1]:PORT']])('Host %s is served', async (host) => {
    const answer = await raw(server, 'GET', '/v1/profiles/p-1', { host: host.replace('PORT', port) });
    expect(answer.status).toBe(200);
    expect(answer.body.profileId).toBe('p-1');
  });

  test.each([['localhost.evil.example'], ['127.0.0.1.nip.io'], ['evil.example:PORT@127.0.0.1'], ['10.0.0.1']])('Host %s is refused', async (host) => {
    const answer = await raw(server, 'GET', '/v1/profiles/p-1', { host: host.replace('PORT', port) });
    expect(answer.status).toBe(421);
    expect(answer.body.error.code).toBe('MISDIRECTED_REQUEST');
  });
});
