import { Streams } from '../../src/domain/events';
import { startServerWithHistory, TestServer } from './support/ledgerServer';

/**
 * POST /v1/profiles/{profileId}/usage/batch (api.md, batch usage): each item decided as its own
 * ConsumeCredits, with every rule, results in order; K2 per item, so a retried batch changes
 * nothing; racing single requests for one user never passes the allowance nor applies a requestId twice.
 */

const NOW = new Date('2026-05-10T12:00:00.000Z');
const history: ReadonlyArray<Record<string, unknown>> = [
  { type: 'CreateProfile', profileId: 'p-b', accountId: '111122223333', region: 'us-east-1', occurredAt: '2026-04-01T09:00:00Z' },
  { type: 'Subscribe', profileId: 'p-b', userId: 'alice', tier: 'PRO', occurredAt: '2026-04-01T09:01:00Z' },
  { type: 'Subscribe', profileId: 'p-b', userId: 'bob', tier: 'PRO', occurredAt: '2026-04-01T09:02:00Z' },
  { type: 'Subscribe', profileId: 'p-b', userId: 'carol', tier: 'PRO', occurredAt: '2026-05-05T10:00:00Z' },
];

let server: TestServer;
beforeEach(async () => {
  server = await startServerWithHistory(history, NOW);
});
afterEach(() => server.close());

const batch = (requests: unknown, profileId = 'p-b') => server.request('POST', `/v1/profiles/${profileId}/usage/batch`, { body: { requests } });
const codes = (results: ReadonlyArray<{ ok: boolean; error?: { code: string } }>) => results.map((r) => (r.ok ? 'ok' : r.error?.code));
const usageOf = async (userId: string) => (await server.store.readStream(Streams.usage('p-b', userId, '2026-05'))).map((e) => e.data as { requestId: string; credits: string });

describe('batch usage', () => {
  test('every item-level error, each in its place; the refused append nothing and stop no other', async () => {
    const answer = await batch([
      { userId: 'alice', credits: '600', requestId: 'a-1' },
      { userId: 'alice', credits: '1.234', requestId: 'a-2' },
      { userId: 'alice', credits: '5', requestId: 'a-3', profileId: 'p-other' },
      { userId: 'dave', credits: '5', requestId: 'd-1' },
      { userId: 'alice', credits: '500', requestId: 'a-4' },
      { userId: 'alice', credits: '7', requestId: 'a-1' },
      { userId: 'alice', credits: '600', requestId: 'a-1' },
      { userId: 'carol', credits: '5', requestId: 'c-1', occurredAt: '2026-05-05T09:00:00Z' },
      { userId: 'bob', credits: '5', requestId: 'b-1', occurredAt: '2026-04-20T09:00:00Z' },
      { userId: 'bob', credits: '5', requestId: 'b-2', occurredAt: '2026-05-10T13:00:00Z' },
      { userId: 'bob', credits: '400', requestId: 'b-3' },
      { userId: 'alice', credits: '400', requestId: 'a-5' },
    ]);
    expect(answer.status).toBe(200);
    expect(codes(answer.body.results)).toEqual([
      'ok',
      'VALIDATION', // credits with three places
      'VALIDATION', // an item may not name a profile
      'NOT_SUBSCRIBED',
      'CREDITS_EXHAUSTED', // 600 + 500 > Pro's 1,000, overage off (K4)
      'REQUEST_ID_REUSED', // a-1 again with other credits (K2)
      'ok', // a-1 again, the same: the first answer, nothing appended (K2)
      'OUT_OF_ORDER', // before carol's subscription (T2)
      'MONTH_CLOSED', // April is over (T4)
      'VALIDATION', // more than 5 minutes ahead of the clock
      'ok',
      'ok', // 600 + 400 = 1,000: exactly the allowance
    ]);
    const [first, , , , , , again] = answer.body.results;
    expect(again.events).toEqual(first.events);
    expect(answer.body.results[1].error.message).toMatch(/^credits: /);
    expect(answer.body.results[2].error.message).toMatch(/^profileId: unknown field/);
    expect((await usageOf('alice')).map((d) => [d.requestId, d.credits])).toEqual([
      ['a-1', '600'],
      ['a-5', '400'],
    ]);
    expect((await usageOf('bob')).map((d) => d.requestId)).toEqual(['b-3']);
    // The answer of a refused item is the single request's answer.
    const single = await server.request('POST', '/v1/profiles/p-b/usage', { body: { userId: 'alice', credits: '0.01', requestId: 'a-6' } });
    expect(single.body.error.code).toBe('CREDITS_EXHAUSTED');
  });

  test('a profile that does not exist, or is not the caller\'s, is each item\'s PROFILE_NOT_FOUND', async () => {
    const answer = await batch([{ userId: 'alice', credits: '1', requestId: 'x' }], 'p-nowhere');
    expect(answer.status).toBe(200);
    expect(codes(answer.body.results)).toEqual(['PROFILE_NOT_FOUND']);
  });

  test.each([
    ['a body that is not an object', [1, 2], /^body: /],
    ['requests missing', {}, /^requests: is required/],
    ['requests not a list', { requests: 'all' }, /^requests: must be a list of 1 to 1000 requests/],
    ['no request', { requests: [] }, /^requests: must be a list of 1 to 1000 requests, got 0/],
    ['1,001 requests', { requests: Array.from({ length: 1001 }, (_, i) => ({ userId: 'alice', credits: '1', requestId: `r-${i}` })) }, /got 1001/],
    ['an item that is not an object', { requests: [{ userId: 'alice', credits: '1', requestId: 'r' }, 'r-2'] }, /^requests\[1\]: must be an object/],
    ['an unknown field beside requests', { requests: [{ userId: 'alice', credits: '1', requestId: 'r' }], dryRun: true }, /^dryRun: unknown field/],
  ])('%s is 400 VALIDATION for the whole call, and appends nothing', async (_what, body, message) => {
    const answer = await server.request('POST', '/v1/profiles/p-b/usage/batch', { body });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('VALIDATION');
    expect(answer.body.error.message).toMatch(message);
    expect(await usageOf('alice')).toEqual([]);
  });

  test('1,000 items are one call; a retried batch answers the same and changes nothing', async () => {
    const requests = Array.from({ length: 1000 }, (_, i) => ({ userId: ['alice', 'bob'][i % 2], credits: '1.50', requestId: `r-${i}` }));
    const first = await batch(requests);
    expect(first.status).toBe(200);
    expect(codes(first.body.results).every((c) => c === 'ok')).toBe(true);
    const head = await server.store.headPosition();
    const again = await batch(requests);
    expect(again.body).toEqual(first.body);
    expect(await server.store.headPosition()).toBe(head);
    expect(await usageOf('alice')).toHaveLength(500);
    expect((await server.request('GET', '/v1/profiles/p-b/statements/2026-05')).body.users.find((u: { userId: string }) => u.userId === 'alice').creditsUsed).toBe('750.00');
  });

  test('batches racing single requests for one user never pass the allowance (K4) nor apply a requestId twice (K2)', async () => {
    // 300 requests of 10 credits against Pro's 1,000: exactly 100 fit. Ids overlap between batches and singles.
    const ids = Array.from({ length: 150 }, (_, i) => `k-${i}`);
    const item = (requestId: string) => ({ userId: 'alice', credits: '10', requestId });
    const batches = [0, 1, 2].map((b) => batch(ids.slice(b * 40, b * 40 + 60).map(item)));
    const singles = ids.map((id) => server.request('POST', '/v1/profiles/p-b/usage', { body: item(id) }));
    const answers = await Promise.all([...batches, ...singles]);
    expect(answers.every((a) => a.status === 200 || a.status === 201 || a.body?.error?.code === 'CREDITS_EXHAUSTED')).toBe(true);
    const stored = await usageOf('alice');
    const storedIds = stored.map((d) => d.requestId);
    expect(new Set(storedIds).size).toBe(storedIds.length);
    expect(stored).toHaveLength(100);
    // Every answer that said ok names an event that is stored, under its own requestId.
    const okIds = [...answers.slice(0, 3).flatMap((a) => a.body.results.filter((r: { ok: boolean }) => r.ok).map((r: { events: Array<{ data: { requestId: string } }> }) => r.events[0]?.data.requestId)), ...answers.slice(3).filter((a) => a.status === 201).map((a) => a.body.events[0].data.requestId)];
    expect(new Set(okIds)).toEqual(new Set(storedIds));
  });
});
