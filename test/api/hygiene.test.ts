import * as net from 'node:net';
import { Writable } from 'node:stream';
import { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server';
import { LedgerService } from '../../src/app/ledgerService';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';

/** Issue 13, item 11: timeouts, parser errors in the API's shape, a log without query strings, one Idempotency-Key. */
let app: FastifyInstance;
let port: number;
const logged: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  const ledger = await new LedgerService(new InMemoryEventStore(), { clock: () => new Date('2026-04-15T12:00:00Z') }).open();
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter((l) => l !== '')) logged.push(JSON.parse(line));
      done();
    },
  });
  app = buildServer(ledger, { logger: { level: 'info', stream }, timeouts: { headers: 400, request: 1000 } });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  port = Number(new URL(address).port);
});
afterAll(() => app.close());

/** Writes raw bytes and collects everything the server sends until it closes the socket. */
const exchange = (bytes: string): Promise<{ readonly text: string; readonly ms: number }> =>
  new Promise((resolve, reject) => {
    const started = Date.now();
    let text = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve({ text, ms: Date.now() - started }));
    // A request that is complete gets its answer; then the test closes its side.
    socket.setTimeout(5000, () => socket.destroy(new Error(`still open after 5 s: ${text}`)));
  });

const statusAndBody = (text: string) => ({
  status: Number(/^HTTP\/1\.1 ([0-9]{3})/.exec(text)?.[1]),
  body: JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)),
});

describe('slow and malformed requests', () => {
  test('headers that never finish are cut off at the headers timeout with 408 in the error shape', async () => {
    const answer = await exchange('GET /v1/profiles/p/statements/2026-04 HTTP/1.1\r\nHost: localhost\r\n');
    expect(answer.ms).toBeLessThan(3000);
    expect(statusAndBody(answer.text)).toEqual({ status: 408, body: { error: { code: 'REQUEST_TIMEOUT', message: expect.any(String) } } });
  });

  test('headers larger than the limit are 431 in the error shape', async () => {
    const answer = await exchange(`GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(statusAndBody(answer.text)).toEqual({ status: 431, body: { error: { code: 'HEADERS_TOO_LARGE', message: expect.any(String) } } });
  });

  test('bytes that are not HTTP are 400 in the error shape', async () => {
    const answer = await exchange('NOT HTTP AT ALL\r\n\r\n');
    expect(statusAndBody(answer.text)).toEqual({ status: 400, body: { error: { code: 'VALIDATION', message: expect.stringMatching(/^malformed HTTP request/) } } });
  });

  test('the server applies the configured timeouts', () => {
    expect(app.server.headersTimeout).toBe(400);
    expect(app.server.requestTimeout).toBe(1000);
    expect(app.server.keepAliveTimeout).toBe(65_000);
  });
});

describe('headers and the log', () => {
  const post = (headers: string, body: string) =>
    exchange(`POST /v1/profiles HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${headers}\r\n${body}`);

  test('two Idempotency-Key headers are 400, not the key "a, b"', async () => {
    const answer = await post('Idempotency-Key: a\r\nIdempotency-Key: b\r\n', JSON.stringify({ profileId: 'p-1', accountId: '111122223333', region: 'us-east-1' }));
    expect(statusAndBody(answer.text)).toEqual({ status: 400, body: { error: { code: 'VALIDATION', message: 'Idempotency-Key: must be sent once, got 2 headers' } } });
    const once = await post('Idempotency-Key: a\r\n', JSON.stringify({ profileId: 'p-1', accountId: '111122223333', region: 'us-east-1' }));
    expect(statusAndBody(once.text).status).toBe(201);
  });

  test('the request log has the path without its query string', async () => {
    const answer = await exchange('GET /v1/exports/2026-04.csv?accountId=111122223333&secret=hunter2 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    // An unknown query field: refused, named, never echoed with its value.
    expect(answer.text).toMatch(/^HTTP\/1\.1 400/);
    expect(answer.text).not.toContain('hunter2');
    const line = logged.find((l) => l.msg === 'request' && typeof l.url === 'string' && l.url.startsWith('/v1/exports/'));
    expect(line).toMatchObject({ url: '/v1/exports/2026-04.csv', status: 400 });
    expect(JSON.stringify(logged)).not.toContain('hunter2');
  });
});
