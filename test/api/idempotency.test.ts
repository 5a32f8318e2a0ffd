import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { send, startServer, TestServer, withAppend } from './support/ledgerServer';

const NOW = new Date('2026-04-15T12:00:00.000Z');
const clock = () => NOW;
const createProfile = { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1' };
const subscribe = (userId: string, tier = 'PRO') => ({ type: 'Subscribe', profileId: 'p-1', userId, tier });
const key = (k: string) => ({ 'idempotency-key': k });

const head = (server: TestServer) => server.store.headPosition();

describe('Idempotency-Key', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ clock });
    expect((await send(server, createProfile)).status).toBe(201);
  });
  afterAll(() => server.close());

  test('the same key and body answers the first response again and appends nothing', async () => {
    const first = await send(server, subscribe('alice'), key('k-1'));
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const before = await head(server);
    const again = await send(server, subscribe('alice'), key('k-1'));
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await head(server)).toBe(before);
  });

  test('problem 5: twenty concurrent requests, one key, twenty bodies: one effect, nineteen 409s that append nothing', async () => {
    const before = await head(server);
    expect((await send(server, subscribe('zed'))).status).toBe(201);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => send(server, { type: 'ConsumeCredits', profileId: 'p-1', userId: 'zed', credits: String(i + 1), requestId: `zr-${i}` }, key('k-race'))),
    );
    const winners = answers.filter((a) => a.status === 201);
    expect(winners).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409).map((a) => a.body.error.code)).toEqual(Array(19).fill('IDEMPOTENCY_KEY_REUSED'));
    const appended = (await server.ledger.profileEvents('p-1', before, 100)) ?? [];
    const consumed = appended.filter((e) => e.type === 'CreditsConsumed');
    expect(consumed).toHaveLength(1);
    expect(consumed[0]?.eventId).toBe(winners[0]?.body.events[0].eventId);
    expect((await server.ledger.statement('p-1', '2026-04'))?.users.find((u) => u.userId === 'zed')?.creditsUsed).toBe(`${(consumed[0]?.data as { credits: string }).credits}.00`);
  });

  test('problem 5: a request answered 409 never has its events appended (subscriptions racing on one key)', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => send(server, subscribe(`racer-${i}`), key('k-race-2'))));
    const winners = answers.filter((a) => a.status === 201);
    expect(winners).toHaveLength(1);
    const statement = await server.ledger.statement('p-1', '2026-04');
    const racers = statement?.users.filter((u) => u.userId.startsWith('racer-')).map((u) => u.userId);
    expect(racers).toEqual([winners[0]?.body.events[0].data.userId]);
  });

  test('the same body in another key order is the same request', async () => {
    const first = await server.request('POST', '/v1/profiles/p-1/subscriptions', { raw: '{"userId":"ann","tier":"PRO"}', headers: key('k-order') });
    const again = await server.request('POST', '/v1/profiles/p-1/subscriptions', { raw: '{"tier":"PRO","userId":"ann"}', headers: key('k-order') });
    expect(first.status).toBe(201);
    expect(again.text).toBe(first.text);
  });

  test('the same key with another body is 409 IDEMPOTENCY_KEY_REUSED, appending nothing', async () => {
    expect((await send(server, subscribe('bob'), key('k-2'))).status).toBe(201);
    const before = await head(server);
    const other = await send(server, subscribe('bob', 'POWER'), key('k-2'));
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const otherRoute = await send(server, { type: 'SetOverage', profileId: 'p-1', enabled: true }, key('k-2'));
    expect(otherRoute.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await head(server)).toBe(before);
  });

  test('a rejection is answered again, even once the command would succeed', async () => {
    const unsubscribe = { type: 'Unsubscribe', profileId: 'p-1', userId: 'carol' };
    const first = await send(server, unsubscribe, key('k-3'));
    expect(first.body.error.code).toBe('NOT_SUBSCRIBED');
    expect((await send(server, subscribe('carol'))).status).toBe(201);
    const before = await head(server);
    const again = await send(server, unsubscribe, key('k-3'));
    expect(again.status).toBe(first.status);
    expect(again.text).toBe(first.text);
    expect(await head(server)).toBe(before);
  });

  test('credit requests are covered too', async () => {
    expect((await send(server, subscribe('dave'))).status).toBe(201);
    const consume = { type: 'ConsumeCredits', profileId: 'p-1', userId: 'dave', credits: '5', requestId: 'r-1' };
    const first = await send(server, consume, key('k-4'));
    expect(first.status).toBe(201);
    const before = await head(server);
    expect((await send(server, consume, key('k-4'))).text).toBe(first.text);
    expect((await send(server, { ...consume, credits: '6' }, key('k-4'))).body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await head(server)).toBe(before);
  });

  test('concurrent requests with one key append once and all get the same answer', async () => {
    const answers = await Promise.all(Array.from({ length: 5 }, () => send(server, subscribe('erin'), key('k-5'))));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([201]));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    const page = await server.request('GET', '/v1/profiles/p-1/events?limit=1000');
    expect(page.body.events.filter((e: { data: { userId?: string } }) => e.data.userId === 'erin')).toHaveLength(1);
  });

  test('a request too malformed to decide is not kept: the corrected one can use the key', async () => {
    const malformed = await send(server, { type: 'Subscribe', profileId: 'p-1', userId: 'gus', tier: 'pro' }, key('k-6'));
    expect(malformed.body.error.code).toBe('VALIDATION');
    expect((await send(server, subscribe('gus'), key('k-6'))).status).toBe(201);
  });

  test('keys are at most 200 printable characters', async () => {
    const answer = await send(server, subscribe('fay'), key('k\tey'));
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/^Idempotency-Key: /);
  });
});

describe('Idempotency-Key across a restart on the same SQLite file', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-idem-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the first response survives the restart', async () => {
    const storeUrl = `sqlite:${path.join(dir, 'ledger.db')}`;
    const first = await startServer({ storeUrl, clock });
    let answer;
    try {
      await send(first, createProfile);
      answer = await send(first, subscribe('alice'), key('k-restart'));
      expect(answer.status).toBe(201);
    } finally {
      await first.close();
    }
    const second = await startServer({ storeUrl, clock });
    try {
      const before = await head(second);
      const again = await send(second, subscribe('alice'), key('k-restart'));
      expect(again.status).toBe(201);
      expect(again.text).toBe(answer.text);
      expect((await send(second, subscribe('alice', 'POWER'), key('k-restart'))).body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await head(second)).toBe(before);
    } finally {
      await second.close();
    }
  });
});

describe('Idempotency-Key when the response record is lost (crash between the events and the record)', () => {
  test("the events' own key and request hash still tell a retry from a reuse", async () => {
    const server = await startServer({
      clock,
      wrapStore: (store) =>
        withAppend(store, (streamId, events, options) =>
          events[0]?.type === 'IdempotentResponseRecorded' ? Promise.reject(new Error('disk full')) : store.append(streamId, events, options),
        ),
    });
    try {
      await send(server, createProfile);
      const first = await send(server, subscribe('alice'), key('k-lost'));
      expect(first.status).toBe(201);
      const before = await head(server);
      const retry = await send(server, subscribe('alice'), key('k-lost'));
      expect(retry.status).toBe(201);
      expect(retry.text).toBe(first.text);
      const reuse = await send(server, subscribe('alice', 'POWER'), key('k-lost'));
      expect(reuse.status).toBe(409);
      expect(reuse.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await head(server)).toBe(before);
    } finally {
      await server.close();
    }
  });
});
