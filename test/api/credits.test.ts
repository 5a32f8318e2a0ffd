import { parse } from 'csv-parse/sync';
import { MINE, NOW, startCreditHistory } from './support/creditHistory';
import { HttpAnswer, TestServer } from './support/ledgerServer';

/**
 * Credit notes over HTTP (billing-rules section 8, api.md): the command route, the line's credits
 * route, the statements and the export, and who may issue one (N4, docs/security.md).
 */
const OVERAGE_LINE = 'p-mine~2026-03~alice~2';

let server: TestServer;
const tokens: Record<string, string> = {};
const bearer = (name: string) => ({ authorization: `Bearer ${tokens[name]}` });
const credit = (profileId: string, body: Record<string, unknown>, token = 'admin'): Promise<HttpAnswer> =>
  server.request('POST', `/v1/profiles/${profileId}/credits`, { body, headers: bearer(token) });
const get = (path: string, token = 'admin') => server.request('GET', path, { headers: bearer(token) });

beforeAll(async () => {
  const started = await startCreditHistory();
  server = started.server;
  Object.assign(tokens, started.tokens);
});
afterAll(() => server.close());

describe('credit notes over HTTP', () => {
  test('an admin credits a final line: 201 with the event, the actor recorded; the final statement is unchanged byte for byte', async () => {
    const march = await get('/v1/profiles/p-mine/statements/2026-03');
    expect(march.body.status).toBe('final');
    const answer = await credit('p-mine', { lineId: OVERAGE_LINE, amount: '12.5', reason: 'runaway agent, disputed' });
    expect(answer.status).toBe(201);
    expect(answer.body.events).toEqual([
      expect.objectContaining({
        streamId: 'profile/p-mine/credits',
        position: 0,
        type: 'CreditIssued',
        data: { profileId: 'p-mine', lineId: OVERAGE_LINE, userId: 'alice', month: '2026-03', tier: 'PRO_PLUS', amount: '12.50', reason: 'runaway agent, disputed', occurredAt: NOW.toISOString() },
      }),
    ]);
    const [stored] = await server.store.readStream('profile/p-mine/credits');
    expect(stored?.metadata.actor).toBe('admin');
    expect((await get('/v1/profiles/p-mine/statements/2026-03')).text).toBe(march.text);
  });

  test('the CREDIT line is on the open month, after the user\'s other lines, and its line route cites the credit event', async () => {
    const april = await get('/v1/profiles/p-mine/statements/2026-04');
    expect(april.body.users[0].lines.map((l: { kind: string; amount: string; credits?: string }) => [l.kind, l.amount, l.credits])).toEqual([
      ['CHARGE', '40.00', undefined],
      ['CREDIT', '-12.50', OVERAGE_LINE],
    ]);
    expect(april.body.total).toBe('27.50');
    const line = await get('/v1/profiles/p-mine/statements/2026-04/lines/p-mine~2026-04~alice~2');
    expect(line.body.events).toEqual([expect.objectContaining({ type: 'CreditIssued', streamId: 'profile/p-mine/credits', metadata: expect.objectContaining({ actor: 'admin' }) })]);
  });

  test("the credited line's credits route lists its credits and what is left", async () => {
    const answer = await get(`/v1/profiles/p-mine/statements/2026-03/lines/${OVERAGE_LINE}/credits`);
    expect(answer.status).toBe(200);
    const [event] = await server.store.readStream('profile/p-mine/credits');
    expect(answer.body).toEqual({
      lineId: OVERAGE_LINE,
      amount: '20.00',
      credited: '12.50',
      left: '7.50',
      credits: [{ lineId: 'p-mine~2026-04~alice~2', month: '2026-04', amount: '12.50', reason: 'runaway agent, disputed', eventId: event?.eventId }],
    });
    const charge = await get('/v1/profiles/p-mine/statements/2026-03/lines/p-mine~2026-03~alice~1/credits');
    expect(charge.body).toEqual({ lineId: 'p-mine~2026-03~alice~1', amount: '40.00', credited: '0.00', left: '40.00', credits: [] });
    expect((await get('/v1/profiles/p-mine/statements/2026-03/lines/p-mine~2026-03~alice~9/credits')).status).toBe(404);
  });

  test('more than is left is 422 CREDIT_EXCEEDS_LINE, saying what is left; the rest of the line can be credited', async () => {
    const head = await server.store.headPosition();
    const over = await credit('p-mine', { lineId: OVERAGE_LINE, amount: '7.51', reason: 'again' });
    expect([over.status, over.body.error.code]).toEqual([422, 'CREDIT_EXCEEDS_LINE']);
    expect(over.body.error.message).toBe(
      `line ${OVERAGE_LINE} has 7.50 left to credit: 20.00 charged, 12.50 credited by p-mine~2026-04~alice~2 on 2026-04-10; asked for 7.51, credit at most 7.50`,
    );
    expect(await server.store.headPosition()).toBe(head);
    expect((await credit('p-mine', { lineId: OVERAGE_LINE, amount: '7.50', reason: 'the rest' })).status).toBe(201);
  });

  test.each([
    ['an open month', 422, 'MONTH_OPEN', { lineId: 'p-mine~2026-04~alice~1', amount: '1', reason: 'r' }],
    ['a line not on the statement', 422, 'LINE_NOT_FOUND', { lineId: 'p-mine~2026-03~alice~7', amount: '1', reason: 'r' }],
    ['an amount of 0', 400, 'VALIDATION', { lineId: OVERAGE_LINE, amount: '0.00', reason: 'r' }],
    ['an amount with 3 places', 400, 'VALIDATION', { lineId: OVERAGE_LINE, amount: '1.001', reason: 'r' }],
    ['an empty reason', 400, 'VALIDATION', { lineId: OVERAGE_LINE, amount: '1', reason: '' }],
    ['a reason of spaces', 400, 'VALIDATION', { lineId: OVERAGE_LINE, amount: '1', reason: '   ' }],
    ['a reason of 501 characters', 400, 'VALIDATION', { lineId: OVERAGE_LINE, amount: '1', reason: 'x'.repeat(501) }],
    ['a reason with a control character', 400, 'VALIDATION', { lineId: OVERAGE_LINE, amount: '1', reason: 'a\u0007b' }],
    ['a malformed line id', 400, 'VALIDATION', { lineId: 'p-mine/2026-03', amount: '1', reason: 'r' }],
    ['an unknown field', 400, 'VALIDATION', { lineId: OVERAGE_LINE, amount: '1', reason: 'r', userId: 'alice' }],
  ])('%s: %i %s, nothing appended', async (_name, status, code, body) => {
    const head = await server.store.headPosition();
    const answer = await credit('p-mine', body);
    expect([answer.status, answer.body.error.code]).toEqual([status, code]);
    expect(await server.store.headPosition()).toBe(head);
  });

  test('a reason of 500 characters, any script, is taken whole', async () => {
    const reason = 'é'.repeat(499) + '✓';
    const answer = await credit('p-mine', { lineId: 'p-mine~2026-03~alice~1', amount: '0.01', reason });
    expect(answer.status).toBe(201);
    expect(answer.body.events[0].data.reason).toBe(reason);
  });

  test('a reader and an operator get 403, and nothing is appended', async () => {
    const head = await server.store.headPosition();
    for (const token of ['reader', 'ops']) {
      const answer = await credit('p-mine', { lineId: 'p-mine~2026-03~alice~1', amount: '1', reason: 'r' }, token);
      expect([answer.status, answer.body.error.code]).toEqual([403, 'FORBIDDEN']);
    }
    expect(await server.store.headPosition()).toBe(head);
  });

  test('an admin of another account gets exactly the 404 of a missing profile; in its own account it credits', async () => {
    const head = await server.store.headPosition();
    const outside = await credit('p-other', { lineId: 'p-other~2026-03~alice~1', amount: '1', reason: 'r' }, 'admin-of-mine');
    const missing = await credit('p-nope', { lineId: 'p-nope~2026-03~alice~1', amount: '1', reason: 'r' }, 'admin-of-mine');
    expect([outside.status, outside.body.error.code]).toEqual([404, 'PROFILE_NOT_FOUND']);
    expect(outside.text.split('p-other').join('p-nope')).toBe(missing.text);
    expect((await get('/v1/profiles/p-other/statements/2026-03/lines/p-other~2026-03~alice~1/credits', 'admin-of-mine')).status).toBe(404);
    expect(await server.store.headPosition()).toBe(head);
    expect((await credit('p-mine', { lineId: 'p-mine~2026-03~alice~1', amount: '1', reason: 'r' }, 'admin-of-mine')).status).toBe(201);
  });

  test('the export has a Credit row per CREDIT line: negative cost, the credit event and the credited line', async () => {
    const csv = await get(`/v1/exports/2026-04.csv?accountId=${MINE}`);
    const rows: Array<Record<string, string>> = parse(csv.text, { columns: true });
    const credits = rows.filter((r) => r.line_item_line_item_type === 'Credit');
    expect(credits.map((r) => [r.identity_line_item_id, r.line_item_unblended_cost, r.ledger_event_ids, r.line_item_usage_amount])).toEqual([
      ['p-mine~2026-04~alice~2', '-12.50', `profile/p-mine/credits@0;${OVERAGE_LINE}`, '0'],
      ['p-mine~2026-04~alice~3', '-7.50', `profile/p-mine/credits@1;${OVERAGE_LINE}`, '0'],
      ['p-mine~2026-04~alice~4', '-0.01', 'profile/p-mine/credits@2;p-mine~2026-03~alice~1', '0'],
      ['p-mine~2026-04~alice~5', '-1.00', 'profile/p-mine/credits@3;p-mine~2026-03~alice~1', '0'],
    ]);
    expect(credits[0]?.line_item_line_item_description).toBe('runaway agent, disputed');
  });

  test('the OpenAPI document has the command and the credits route', async () => {
    const doc = await server.request('GET', '/openapi.json');
    expect(doc.body.paths['/v1/profiles/{profileId}/credits'].post.operationId).toBe('IssueCredit');
    expect(doc.body.paths['/v1/profiles/{profileId}/statements/{month}/lines/{lineId}/credits'].get.operationId).toBe('getStatementLineCredits');
    expect(doc.body.components.schemas.LineCredits.required).toEqual(['lineId', 'amount', 'credited', 'left', 'credits']);
  });
});
