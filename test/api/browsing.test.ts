import * as E from 'fp-ts/Either';
import { TokenRegistry } from '../../src/auth/tokenRegistry';
import { startServerWithHistory, TestServer } from './support/ledgerServer';
import { collect } from '../store/contract';

/** The read routes the console is built on: accounts, a profile now, the catalog, a line's events, `current`. */

const NOW = new Date('2026-05-10T12:00:00.000Z');
const MINE = '111122223333';
const OTHER = '444455556666';

const timeline: ReadonlyArray<Record<string, unknown>> = [
  { type: 'CreateProfile', profileId: 'p-iad', accountId: MINE, region: 'us-east-1', name: 'Virginia', occurredAt: '2026-03-01T09:00:00Z' },
  { type: 'CreateProfile', profileId: 'p-fra', accountId: MINE, region: 'eu-central-1', occurredAt: '2026-03-01T09:01:00Z' },
  { type: 'CreateProfile', profileId: 'p-gov', accountId: OTHER, region: 'us-gov-west-1', occurredAt: '2026-03-01T09:02:00Z' },
  { type: 'Subscribe', profileId: 'p-iad', userId: 'alice', tier: 'PRO', occurredAt: '2026-03-02T09:00:00Z' },
  { type: 'Subscribe', profileId: 'p-iad', userId: 'alice', groupId: 'g-dev', tier: 'POWER', occurredAt: '2026-04-10T09:00:00Z' },
  { type: 'Subscribe', profileId: 'p-iad', userId: 'bob', tier: 'PRO', occurredAt: '2026-04-11T09:00:00Z' },
  { type: 'Unsubscribe', profileId: 'p-iad', userId: 'bob', occurredAt: '2026-04-20T09:00:00Z' },
  { type: 'SetOverage', profileId: 'p-fra', enabled: true, occurredAt: '2026-04-11T09:01:00Z' },
  { type: 'Subscribe', profileId: 'p-fra', userId: 'carol', tier: 'PRO', occurredAt: '2026-05-01T09:02:00Z' },
  ...[1, 2, 3, 4, 5].map((n) => ({ type: 'ConsumeCredits', profileId: 'p-fra', userId: 'carol', credits: '300', requestId: `r-${n}`, occurredAt: `2026-05-0${n + 1}T10:00:00Z` })),
  { type: 'DefineTier', tier: 'PRO', name: 'Pro', credits: '1000', price: '25.00', fromMonth: '2026-06' },
];

let server: TestServer;
const tokens: Record<string, string> = {};
const get = (path: string, token?: string) => server.request('GET', path, token === undefined ? {} : { headers: { authorization: `Bearer ${tokens[token]}` } });

beforeAll(async () => {
  server = await startServerWithHistory(timeline, NOW);
  // Tokens last: before the first one the server is in local mode.
  const registry = new TokenRegistry(server.store);
  for (const [name, accounts] of [['admin', 'all'], ['mine', [MINE]]] as const) {
    const created = await registry.create({ name, role: 'reader', accounts, rate: 10_000 }, { actor: 'test' });
    if (E.isLeft(created)) throw new Error(created.left.message);
    tokens[name] = created.right.token;
  }
});
afterAll(() => server.close());

describe('GET /v1/accounts', () => {
  test('lists every account, with its profiles, to a token of all accounts', async () => {
    const answer = await get('/v1/accounts', 'admin');
    expect(answer.status).toBe(200);
    expect(answer.body.accounts.map((a: { accountId: string }) => a.accountId)).toEqual([MINE, OTHER]);
    expect(answer.body.accounts[0].profiles).toEqual([
      { profileId: 'p-fra', accountId: MINE, region: 'eu-central-1', name: null, createdAt: '2026-03-01T09:01:00.000Z' },
      { profileId: 'p-iad', accountId: MINE, region: 'us-east-1', name: 'Virginia', createdAt: '2026-03-01T09:00:00.000Z' },
    ]);
  });

  test('lists only its own accounts to a token of some', async () => {
    const answer = await get('/v1/accounts', 'mine');
    expect(answer.status).toBe(200);
    expect(answer.body.accounts.map((a: { accountId: string }) => a.accountId)).toEqual([MINE]);
  });

  test('needs a token', async () => expect((await get('/v1/accounts')).status).toBe(401));
});

describe('GET /v1/profiles/{profileId}', () => {
  test('the active assignments now, the effective tier the highest of them, and the overage switch', async () => {
    const iad = await get('/v1/profiles/p-iad', 'mine');
    expect(iad.status).toBe(200);
    expect(iad.body).toEqual({
      profileId: 'p-iad',
      accountId: MINE,
      region: 'us-east-1',
      name: 'Virginia',
      createdAt: '2026-03-01T09:00:00.000Z',
      overage: false,
      users: [
        {
          userId: 'alice',
          assignments: [
            { groupId: null, tier: 'PRO' },
            { groupId: 'g-dev', tier: 'POWER' },
          ],
          effectiveTier: 'POWER',
        },
      ],
    });
    expect((await get('/v1/profiles/p-fra', 'mine')).body).toMatchObject({ overage: true, users: [{ userId: 'carol', effectiveTier: 'PRO' }] });
  });

  test("another account's profile answers as a missing one", async () => {
    for (const id of ['p-gov', 'p-nowhere']) {
      const answer = await get(`/v1/profiles/${id}`, 'mine');
      expect([answer.status, answer.body.error.code, answer.body.error.message]).toEqual([404, 'PROFILE_NOT_FOUND', `profile ${id} does not exist`]);
    }
  });
});

describe('GET /v1/log/head', () => {
  test("answers the log's last event and its chain hash, to any reader (billing-rules F1)", async () => {
    const answer = await get('/v1/log/head', 'mine');
    expect(answer.status).toBe(200);
    const position = await server.store.headPosition();
    const [last] = await collect(server.store.readAll({ after: position - 1 }));
    expect(answer.body).toEqual({ position, chainHash: last?.chainHash });
    expect(answer.body.chainHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('GET /v1/catalog', () => {
  test("the tiers of the clock's month by default, in C4 order, each citing its TierDefined event", async () => {
    const answer = await get('/v1/catalog', 'mine');
    expect(answer.status).toBe(200);
    expect(answer.body.month).toBe('2026-05');
    expect(answer.body.tiers.map((t: { tier: string; price: string; credits: string }) => [t.tier, t.price, t.credits])).toEqual([
      ['PRO', '20.00', '1000.00'],
      ['PRO_PLUS', '40.00', '2000.00'],
      ['POWER', '200.00', '10000.00'],
    ]);
    expect(answer.body.tiers[0].event).toEqual({ streamId: 'catalog', position: expect.any(Number), eventId: expect.any(String), type: 'TierDefined' });
  });

  test('a later month sees the definition that takes effect then', async () => {
    const june = await get('/v1/catalog?month=2026-06', 'mine');
    expect(june.body.tiers[0]).toMatchObject({ tier: 'PRO', price: '25.00', fromMonth: '2026-06', event: { streamId: 'catalog', position: 3 } });
    expect((await get('/v1/catalog?month=2026-6', 'mine')).status).toBe(400);
  });
});

describe('the month alias current', () => {
  test.each([
    ['/v1/profiles/p-fra/statements/{m}'],
    [`/v1/accounts/${MINE}/statements/{m}`],
    [`/v1/exports/{m}.csv?accountId=${MINE}`],
    ['/v1/catalog?month={m}'],
  ])('%s with current answers as with the clock month', async (template) => {
    const current = await get(template.replace('{m}', 'current'), 'mine');
    const may = await get(template.replace('{m}', '2026-05'), 'mine');
    expect(current.status).toBe(200);
    expect(current.text).toBe(may.text);
  });

  test('the export names the real month in its file name', async () => {
    const answer = await get(`/v1/exports/current.csv?accountId=${MINE}`, 'mine');
    expect(answer.headers.get('content-disposition')).toContain('2026-05.csv');
  });

  test('a misspelt alias is a VALIDATION error that names it', async () => {
    const answer = await get('/v1/profiles/p-fra/statements/now', 'mine');
    expect([answer.status, answer.body.error.code]).toEqual([400, 'VALIDATION']);
    expect(answer.body.error.message).toMatch(/^month: must be a month as YYYY-MM \(months run 01 to 12\), or current/);
  });
});

describe('GET …/lines/{lineId}/events', () => {
  const lineOf = async (profileId: string, kind: string) => {
    const statement = (await get(`/v1/profiles/${profileId}/statements/2026-05`, 'admin')).body;
    const line = statement.users.flatMap((u: { lines: Array<{ kind: string }> }) => u.lines).find((l: { kind: string }) => l.kind === kind);
    if (line === undefined) throw new Error(`no ${kind} line in ${profileId}`);
    return line as {
      lineId: string;
      events: Array<{ streamId: string; position: number }>;
      usage?: Array<{ streamId: string; fromPosition: number; toPosition: number }>;
    };
  };
  const eventsPath = (profileId: string, lineId: string, query = '') => `/v1/profiles/${profileId}/statements/2026-05/lines/${encodeURIComponent(lineId)}/events${query}`;

  test('pages through the events the line cites, in log order', async () => {
    const overage = await lineOf('p-fra', 'OVERAGE');
    const all = await get(eventsPath('p-fra', overage.lineId, '?limit=1000'), 'mine');
    expect(all.status).toBe(200);
    const positions = all.body.events.map((e: { globalPosition: number }) => e.globalPosition);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    // The events the line lists, and its usage ranges expanded (L4).
    const cited = [
      ...overage.events.map((e) => `${e.streamId}@${e.position}`),
      ...(overage.usage ?? []).flatMap((r) => Array.from({ length: r.toPosition - r.fromPosition + 1 }, (_, i) => `${r.streamId}@${r.fromPosition + i}`)),
    ];
    expect(cited).toHaveLength(5);
    expect(all.body.events.map((e: { streamId: string; position: number }) => `${e.streamId}@${e.position}`).sort()).toEqual(cited.sort());
    expect(all.body.next).toBeNull();

    const seen: number[] = [];
    let query: string | undefined = '?limit=2';
    while (query !== undefined) {
      const page: { events: Array<{ globalPosition: number }>; next: number | null } = (await get(eventsPath('p-fra', overage.lineId, query), 'mine')).body;
      expect(page.events.length).toBeLessThanOrEqual(2);
      seen.push(...page.events.map((e) => e.globalPosition));
      query = page.next === null ? undefined : `?limit=2&after=${page.next}`;
    }
    expect(seen).toEqual(positions);
  });

  test('a line that is not on the statement is NOT_FOUND; a profile of another account PROFILE_NOT_FOUND', async () => {
    const missing = await get(eventsPath('p-fra', 'p-fra/2026-05/nobody/1'), 'mine');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const other = await get(eventsPath('p-gov', 'p-gov~2026-05~dan~1'), 'mine');
    expect([other.status, other.body.error.code]).toEqual([404, 'PROFILE_NOT_FOUND']);
  });

  test('the CHARGE of a line cites its subscription and the catalog event that priced it', async () => {
    const charge = await lineOf('p-fra', 'CHARGE');
    const answer = await get(eventsPath('p-fra', charge.lineId), 'mine');
    expect(answer.body.events.map((e: { type: string }) => e.type).sort()).toEqual(['TierDefined', 'UserSubscribed']);
  });
});
