import fc from 'fast-check';
import { malformed } from '../support/malformed';
import { startServer, TestServer } from '../api/support/ledgerServer';

const RUNS = 150;

/** Bodies the webhook routes must refuse with a 4xx and a code, appending nothing (brief: nothing a client sends produces a 500). */
describe('fuzz: malformed bodies on the webhook routes', () => {
  let server: TestServer;
  let id: string;
  beforeAll(async () => {
    server = await startServer();
    // Without --allow-http-webhooks the server refuses loopback; a public literal address registers without a lookup.
    const created = await server.request('POST', '/v1/webhooks', { body: { url: 'https://93.184.215.14/hook', events: ['credit.issued'] } });
    expect(created.status).toBe(201);
    id = created.body.id;
  });
  afterAll(() => server.close());

  test.each([
    ['/v1/webhooks', { url: 'https://93.184.215.14/hook', events: ['credit.issued'], accountId: '111122223333' }],
    ['/v1/webhooks/{id}/redeliver', { messageId: 'msg_x.credit.issued' }],
  ] as const)('POST %s: no 5xx, an error code each time, nothing appended', async (path, valid) => {
    const before = await server.store.headPosition();
    await fc.assert(
      fc.asyncProperty(
        malformed(valid).filter((raw) => {
          // A valid registration would rightly append: keep only what cannot be one.
          try {
            const v = JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8'));
            return !(path === '/v1/webhooks' && typeof v?.url === 'string' && v.url.startsWith('https://93.') && Array.isArray(v.events) && v.events.length > 0 && v.events.every((e: unknown) => e === 'credit.issued') && (v.accountId === undefined || /^[0-9]{12}$/.test(v.accountId)) && Object.keys(v).every((k) => ['url', 'events', 'accountId'].includes(k)));
          } catch {
            return true;
          }
        }),
        async (raw) => {
          const answer = await server.request('POST', path.replace('{id}', id), { raw });
          expect(answer.status).toBeGreaterThanOrEqual(400);
          expect(answer.status).toBeLessThan(500);
          expect(typeof answer.body?.error?.code).toBe('string');
        },
      ),
      { numRuns: RUNS },
    );
    expect(await server.store.headPosition()).toBe(before);
  });

  test('ids that are not endpoint ids are VALIDATION; unknown ones WEBHOOK_NOT_FOUND', async () => {
    expect((await server.request('GET', '/v1/webhooks/nope/deliveries')).body.error.code).toBe('VALIDATION');
    expect((await server.request('DELETE', `/v1/webhooks/wh_${'A'.repeat(22)}`)).body.error.code).toBe('WEBHOOK_NOT_FOUND');
    expect((await server.request('POST', `/v1/webhooks/${id}/redeliver`, { body: { messageId: 'msg_never.sent' } })).body.error.code).toBe('MESSAGE_NOT_FOUND');
  });
});
