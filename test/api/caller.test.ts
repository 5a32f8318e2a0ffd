import { MINE, startCreditHistory } from './support/creditHistory';
import { startServer, TestServer } from './support/ledgerServer';

/** `GET /v1/me`: who the caller is and what its role may do, as the console reads it to offer actions. */
let server: TestServer;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  const started = await startCreditHistory();
  server = started.server;
  Object.assign(tokens, started.tokens);
});
afterAll(() => server.close());

const me = (token?: string) => server.request('GET', '/v1/me', token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

test.each([
  ['reader', 'reader', [MINE], ['query']],
  ['ops', 'operator', [MINE], ['query', 'command']],
  ['admin', 'admin', 'all', ['query', 'command', 'issueCredit', 'defineTier', 'manageTokens', 'manageWebhooks']],
] as const)('a %s token: its role, accounts and the actions the role grants', async (name, role, accounts, actions) => {
  const answer = await me(tokens[name]);
  expect(answer.status).toBe(200);
  expect(answer.body).toEqual({ actor: name, role, accounts, actions });
});

test('no token, or a wrong one, is 401 like every /v1 route', async () => {
  expect((await me()).body.error.code).toBe('UNAUTHENTICATED');
  expect((await me(`ldg_${'A'.repeat(43)}`)).status).toBe(401);
});

test('local mode: the local admin of every account', async () => {
  const local = await startServer();
  try {
    const answer = await local.request('GET', '/v1/me');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(expect.objectContaining({ actor: 'local', role: 'admin', accounts: 'all' }));
    expect(answer.body.actions).toContain('issueCredit');
  } finally {
    await local.close();
  }
});

test('described in the OpenAPI document', async () => {
  const document = (await server.request('GET', '/openapi.json')).body;
  expect(document.paths['/v1/me'].get.operationId).toBe('getCaller');
  expect(document.components.schemas.Caller.required).toEqual(['actor', 'role', 'accounts', 'actions']);
});
