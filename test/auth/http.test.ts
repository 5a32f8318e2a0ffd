import * as E from 'fp-ts/Either';
import { NewToken, TokenRegistry } from '../../src/auth/tokenRegistry';
import { HttpAnswer, send, startServer, TestServer } from '../api/support/ledgerServer';

const NOW = new Date('2026-05-10T12:00:00.000Z');
const MINE = '111122223333';
const OTHER = '444455556666';
const NO_ONE = '999999999999';

let server: TestServer;
let registry: TokenRegistry;
const tokens: Record<string, string> = {};

const bearer = (name: string) => ({ authorization: `Bearer ${tokens[name]}` });
const newToken = async (token: NewToken): Promise<string> => {
  const r = await registry.create(token, { actor: 'test' });
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right.token;
};

beforeAll(async () => {
  // Seeded on the commands' own clock (each month open while it is written), used once April has closed.
  let now = NOW;
  server = await startServer({ clock: () => now });
  registry = new TokenRegistry(server.store);
  tokens.admin = await newToken({ name: 'admin', role: 'admin', accounts: 'all', rate: 10_000 });
  tokens.ops = await newToken({ name: 'ops', role: 'operator', accounts: [MINE], rate: 10_000 });
  tokens.reader = await newToken({ name: 'reader', role: 'reader', accounts: [MINE], rate: 10_000 });
  tokens.localAdmin = await newToken({ name: 'local-admin', role: 'admin', accounts: [MINE], rate: 10_000 });
  tokens.gone = await newToken({ name: 'gone', role: 'admin', accounts: 'all', rate: 10_000 });
  expect(E.isRight(await registry.revoke('gone', { actor: 'test' }))).toBe(true);
  for (const c of [
    { type: 'CreateProfile', profileId: 'p-mine', accountId: MINE, region: 'us-east-1', occurredAt: '2026-03-01T09:00:00Z' },
    { type: 'CreateProfile', profileId: 'p-other', accountId: OTHER, region: 'us-east-1', occurredAt: '2026-03-01T09:00:00Z' },
    ...['p-mine', 'p-other'].flatMap((profileId) => [
      { type: 'Subscribe', profileId, userId: 'alice', tier: 'PRO', occurredAt: '2026-04-01T09:00:00Z' },
      { type: 'ConsumeCredits', profileId, userId: 'alice', credits: '1', requestId: 'r-1', occurredAt: '2026-04-02T09:00:00Z' },
    ]),
  ]) {
    now = new Date(c.occurredAt);
    expect((await send(server, c, bearer('admin'))).status).toBeLessThan(300);
  }
  now = NOW;
});
afterAll(() => server.close());

interface Call {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}
const call = (c: Call, headers: Record<string, string> = {}): Promise<HttpAnswer> =>
  server.request(c.method, c.path, { ...(c.body === undefined ? {} : { body: c.body }), headers });

/** Every profile route, on profile `p`: the commands, then the queries. */
const profileCalls = (p: string): ReadonlyArray<readonly [string, Call]> => [
  ['Subscribe', { method: 'POST', path: `/v1/profiles/${p}/subscriptions`, body: { userId: 'erin', tier: 'PRO' } }],
  ['Unsubscribe', { method: 'POST', path: `/v1/profiles/${p}/subscriptions/alice/unsubscribe`, body: {} }],
  ['Upgrade', { method: 'POST', path: `/v1/profiles/${p}/subscriptions/alice/upgrade`, body: { tier: 'POWER' } }],
  ['Downgrade', { method: 'POST', path: `/v1/profiles/${p}/subscriptions/alice/downgrade`, body: { tier: 'PRO' } }],
  ['SetOverage', { method: 'PUT', path: `/v1/profiles/${p}/overage`, body: { enabled: true } }],
  ['ConsumeCredits (a used requestId)', { method: 'POST', path: `/v1/profiles/${p}/usage`, body: { userId: 'alice', credits: '2', requestId: 'r-1' } }],
  ['statement', { method: 'GET', path: `/v1/profiles/${p}/statements/2026-04` }],
  ['statement line', { method: 'GET', path: `/v1/profiles/${p}/statements/2026-04/lines/${p}~2026-04~alice~1` }],
  ['events', { method: 'GET', path: `/v1/profiles/${p}/events?limit=5` }],
  ['profile', { method: 'GET', path: `/v1/profiles/${p}` }],
];
const accountCalls = (a: string): ReadonlyArray<readonly [string, Call]> => [
  ['account statement', { method: 'GET', path: `/v1/accounts/${a}/statements/2026-04` }],
  ['export of an account', { method: 'GET', path: `/v1/exports/2026-04.csv?accountId=${a}` }],
];
const isCommand = (c: Call) => c.method !== 'GET';
const everyRoute: ReadonlyArray<readonly [string, Call]> = [
  ...profileCalls('p-mine'),
  ...accountCalls(MINE),
  ['CreateProfile', { method: 'POST', path: '/v1/profiles', body: { profileId: 'p-new', accountId: MINE, region: 'eu-west-1' } }],
  ['DefineTier', { method: 'POST', path: '/v1/catalog/tiers', body: { tier: 'TEAM', name: 'Team', credits: '100', price: '5', fromMonth: '2026-06' } }],
  ['export of every account', { method: 'GET', path: '/v1/exports/2026-04.csv' }],
  ['accounts', { method: 'GET', path: '/v1/accounts' }],
  ['catalog', { method: 'GET', path: '/v1/catalog' }],
  ['log head', { method: 'GET', path: '/v1/log/head' }],
  ['list tokens', { method: 'GET', path: '/v1/tokens' }],
  ['create a token', { method: 'POST', path: '/v1/tokens', body: { name: 'made-here', role: 'reader' } }],
  ['revoke a token', { method: 'POST', path: '/v1/tokens/admin/revoke', body: {} }],
];
/** Queries of one account, which a reader of that account may make. */
const accountQueries = everyRoute.filter(([n, c]) => !isCommand(c) && !['export of every account', 'list tokens'].includes(n));

describe('authentication', () => {
  test.each(everyRoute)('%s: no token, a revoked one, an unknown one or a malformed header is 401, and nothing is appended', async (_name, c) => {
    const head = await server.store.headPosition();
    for (const headers of [{}, bearer('gone'), { authorization: `Bearer ldg_${'A'.repeat(43)}` }, { authorization: tokens.admin as string }, { authorization: 'Basic YTpi' }]) {
      const answer = await call(c, headers);
      expect([answer.status, answer.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expect(await server.store.headPosition()).toBe(head);
  });

  test('an unknown /v1 route is 401 too, so routes are not probed without a token', async () => {
    expect((await server.request('GET', '/v1/secrets')).status).toBe(401);
    expect((await server.request('GET', '/v1/secrets', { headers: bearer('reader') })).status).toBe(404);
  });

  test('the OpenAPI document and the docs page stay open, and describe the bearer scheme', async () => {
    const doc = await server.request('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.components.securitySchemes).toEqual({ bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer' }) });
    expect(doc.body.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.body.paths['/v1/profiles'].post.responses).toHaveProperty('401');
    expect((await server.request('GET', '/docs')).status).toBeLessThan(400);
  });
});

describe('roles', () => {
  test.each(everyRoute.filter(([, c]) => isCommand(c)))('a reader sending %s is 403', async (_name, c) => {
    const answer = await call(c, bearer('reader'));
    expect([answer.status, answer.body.error.code]).toEqual([403, 'FORBIDDEN']);
  });

  test.each(accountQueries)('a reader may query %s', async (_name, c) => {
    expect((await call(c, bearer('reader'))).status).toBe(200);
  });

  test('the role is checked before the body: a reader with a malformed body is still 403', async () => {
    const answer = await server.request('POST', '/v1/profiles/p-mine/subscriptions', { body: { nonsense: true }, headers: bearer('reader') });
    expect(answer.status).toBe(403);
  });

  test('DefineTier is for an admin of every account', async () => {
    const [define] = everyRoute.filter(([n]) => n === 'DefineTier').map(([, c]) => c);
    if (define === undefined) throw new Error('no DefineTier call');
    expect((await call(define, bearer('ops'))).status).toBe(403);
    expect((await call(define, bearer('localAdmin'))).status).toBe(403);
    expect((await call(define, bearer('admin'))).status).toBe(201);
  });
});

describe('accounts', () => {
  /** The answer for `id`, rewritten as if it had been about `as`: equal bodies mean the client cannot tell them apart. */
  const asIf = (answer: HttpAnswer, id: string, as: string) => ({ status: answer.status, text: answer.text.split(id).join(as) });

  test.each(profileCalls('p-other').map(([name, c], i) => [name, c, profileCalls('p-nope')[i]?.[1] as Call] as const))(
    '%s on a profile of another account answers exactly as on a missing one, and appends nothing',
    async (_name, other, missing) => {
      const head = await server.store.headPosition();
      const outside = await call(other, bearer('ops'));
      expect([outside.status, outside.body.error.code]).toEqual([404, 'PROFILE_NOT_FOUND']);
      expect(asIf(outside, 'p-other', 'p-nope')).toEqual(asIf(await call(missing, bearer('ops')), 'p-nope', 'p-nope'));
      expect(await server.store.headPosition()).toBe(head);
      // The admin reaches it: the 404 came from the account, not from the request.
      expect((await call(other, bearer('admin'))).status).not.toBe(404);
    },
  );

  test.each(accountCalls(OTHER).map(([name, c], i) => [name, c, accountCalls(NO_ONE)[i]?.[1] as Call] as const))(
    '%s of another account answers exactly as for an account with no profile',
    async (_name, other, missing) => {
      const outside = await call(other, bearer('ops'));
      expect([outside.status, outside.body.error.code]).toEqual([404, 'PROFILE_NOT_FOUND']);
      expect(asIf(outside, OTHER, NO_ONE)).toEqual(asIf(await call(missing, bearer('ops')), NO_ONE, NO_ONE));
      expect((await call(other, bearer('admin'))).status).toBe(200);
    },
  );

  test('creating a profile in another account is 403; in its own, 201', async () => {
    const create = (accountId: string, profileId: string) => server.request('POST', '/v1/profiles', { body: { profileId, accountId, region: 'ap-south-1' }, headers: bearer('ops') });
    const other = await create(OTHER, 'p-x1');
    expect([other.status, other.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect((await create(MINE, 'p-x2')).status).toBe(201);
  });

  test('the export of every account is 403 for a token of some accounts, 200 for one of all', async () => {
    expect((await server.request('GET', '/v1/exports/2026-04.csv', { headers: bearer('reader') })).status).toBe(403);
    expect((await server.request('GET', '/v1/exports/2026-04.csv', { headers: bearer('admin') })).status).toBe(200);
  });
});

describe('audit', () => {
  test('events appended through the API name the token, the command, the idempotency key and the correlation id', async () => {
    const answer = await server.request('POST', '/v1/profiles/p-mine/subscriptions', {
      body: { userId: 'frank', tier: 'PRO' },
      headers: { ...bearer('ops'), 'x-correlation-id': 'trace-42', 'idempotency-key': 'k-frank' },
    });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('x-correlation-id')).toBe('trace-42');
    const position = answer.body.events[0].position;
    const events = await server.request('GET', '/v1/profiles/p-mine/events?limit=1000', { headers: bearer('reader') });
    const event = events.body.events.find((e: { streamId: string; position: number }) => e.streamId === 'profile/p-mine/lifecycle' && e.position === position);
    expect(event.metadata).toEqual(expect.objectContaining({ actor: 'ops', idempotencyKey: 'k-frank', correlationId: 'trace-42', commandId: expect.stringContaining('k-frank') }));
  });

  test('without X-Correlation-Id the server makes one, returns it and records it', async () => {
    const answer = await send(server, { type: 'Subscribe', profileId: 'p-mine', userId: 'gina', tier: 'PRO' }, bearer('ops'));
    const correlationId = answer.headers.get('x-correlation-id');
    expect(correlationId).toMatch(/^[0-9a-f-]{36}$/);
    const [event] = await server.store.readStream('profile/p-mine/lifecycle', { fromRevision: answer.body.events[0].position });
    expect(event?.metadata).toEqual(expect.objectContaining({ actor: 'ops', correlationId, commandId: expect.any(String) }));
  });

  test('a statement line shows who caused it', async () => {
    const line = await server.request('GET', `/v1/profiles/p-mine/statements/2026-04/lines/p-mine~2026-04~alice~1`, { headers: bearer('ops') });
    expect(line.status).toBe(200);
    expect(line.body.events.map((e: { metadata: { actor: string } }) => e.metadata.actor)).toContain('admin');
  });

  test('idempotency keys are per token: the same key from two tokens are two requests', async () => {
    const headers = (name: string) => ({ ...bearer(name), 'idempotency-key': 'shared-key' });
    const first = await send(server, { type: 'Subscribe', profileId: 'p-mine', userId: 'hugo', tier: 'PRO' }, headers('ops'));
    const second = await send(server, { type: 'Subscribe', profileId: 'p-mine', userId: 'ines', tier: 'PRO' }, headers('admin'));
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(second.body.events[0].data.userId).toBe('ines');
  });
});

describe('rate limit', () => {
  test('past its rate a token gets 429 with Retry-After, and other tokens do not', async () => {
    tokens.slow = await newToken({ name: 'slow', role: 'reader', accounts: 'all', rate: 1 });
    const statuses: number[] = [];
    let limited: HttpAnswer | undefined;
    for (let i = 0; i < 5; i++) {
      const answer = await server.request('GET', '/v1/accounts/111122223333/statements/2026-04', { headers: bearer('slow') });
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer;
    }
    expect(statuses.slice(0, 2)).toEqual([200, 200]);
    expect(limited?.body.error.code).toBe('RATE_LIMITED');
    expect(limited?.headers.get('retry-after')).toBe('1');
    expect((await server.request('GET', '/v1/accounts/111122223333/statements/2026-04', { headers: bearer('reader') })).status).toBe(200);
  });
});

describe('token management over HTTP', () => {
  const tokenCalls = (headers: Record<string, string>) => ({
    list: () => server.request('GET', '/v1/tokens', { headers }),
    create: (body: unknown) => server.request('POST', '/v1/tokens', { body, headers }),
    revoke: (name: string) => server.request('POST', `/v1/tokens/${name}/revoke`, { body: {}, headers }),
  });

  test('an admin of every account creates, lists and revokes tokens, recorded under its name', async () => {
    const admin = tokenCalls({ ...bearer('admin'), 'x-correlation-id': 'mint-1' });
    const created = await admin.create({ name: 'made-by-api', role: 'reader', accounts: [MINE], rate: 50 });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ name: 'made-by-api', token: expect.stringMatching(/^ldg_/) });
    const made = { authorization: `Bearer ${created.body.token}` };
    expect((await server.request('GET', `/v1/accounts/${MINE}/statements/2026-04`, { headers: made })).status).toBe(200);

    const list = await admin.list();
    expect(list.body.tokens).toContainEqual({ name: 'made-by-api', role: 'reader', accounts: [MINE], rate: 50, createdAt: expect.any(String), revokedAt: null });
    expect(list.text).not.toMatch(/hash|[0-9a-f]{64}/);
    const [recorded] = (await server.store.readStream('meta/tokens')).filter((e) => (e.data as { name: string }).name === 'made-by-api');
    expect(recorded?.metadata).toEqual(expect.objectContaining({ actor: 'admin', correlationId: 'mint-1', commandId: expect.any(String) }));

    expect([(await admin.create({ name: 'made-by-api', role: 'reader' })).body.error.code, (await admin.revoke('nobody')).status]).toEqual(['TOKEN_EXISTS', 404]);
    const revoked = await admin.revoke('made-by-api');
    expect([revoked.status, revoked.body]).toEqual([200, { name: 'made-by-api', revokedAt: expect.any(String) }]);
    expect((await server.request('GET', `/v1/accounts/${MINE}/statements/2026-04`, { headers: made })).status).toBe(401);
  });

  test('the body is checked like any other', async () => {
    const answer = await tokenCalls(bearer('admin')).create({ name: 'x', role: 'admin', accounts: ['12'] });
    expect([answer.status, answer.body.error.code]).toEqual([400, 'VALIDATION']);
  });

  test.each(['ops', 'reader', 'localAdmin'])('%s may not manage tokens: 403, nothing appended', async (name) => {
    const head = await server.store.headPosition();
    const calls = tokenCalls(bearer(name));
    for (const answer of [await calls.list(), await calls.create({ name: 'sneaky', role: 'admin' }), await calls.revoke('admin')]) {
      expect([answer.status, answer.body.error.code]).toEqual([403, 'FORBIDDEN']);
    }
    expect(await server.store.headPosition()).toBe(head);
  });
});

describe('local mode', () => {
  test('a store that never had a token serves without one, as actor local, until the first token is created', async () => {
    const local = await startServer({ clock: () => NOW });
    try {
      const created = await send(local, { type: 'CreateProfile', profileId: 'p-1', accountId: MINE, region: 'us-east-1' });
      expect(created.status).toBe(201);
      const [event] = await local.store.readStream('profiles');
      expect(event?.metadata.actor).toBe('local');
      await new TokenRegistry(local.store).create({ name: 'first', role: 'admin', accounts: 'all', rate: 10 }, { actor: 'test' });
      expect((await local.request('GET', '/v1/profiles/p-1/statements/2026-05')).status).toBe(401);
    } finally {
      await local.close();
    }
  });
});
