import { withoutIds } from '../support/withoutIds';
import { MINE, OTHER, startCreditHistory } from './support/creditHistory';
import { commandRequest, HttpAnswer, send, startServer, TestServer } from './support/ledgerServer';

/**
 * Previews over HTTP (api.md "Previews"): `?preview=true` on every command route answers what the
 * command would do now, appends nothing, claims no key, and is refused exactly as the command is.
 */
const OVERAGE_LINE = 'p-mine~2026-03~alice~2';

let server: TestServer;
const tokens: Record<string, string> = {};
const bearer = (name: string) => ({ authorization: `Bearer ${tokens[name]}` });

const preview = (command: Record<string, unknown>, token = 'admin', headers: Record<string, string> = {}, flag = 'true'): Promise<HttpAnswer> => {
  const { method, path, body } = commandRequest(command);
  return server.request(method, `${path}?preview=${flag}`, { body, headers: { ...bearer(token), ...headers } });
};
const get = (path: string) => server.request('GET', path, { headers: bearer('admin') });
const head = () => server.store.headPosition();


beforeAll(async () => {
  const started = await startCreditHistory();
  server = started.server;
  Object.assign(tokens, started.tokens);
});
afterAll(() => server.close());

/** One command of each route, in an order in which each is accepted. */
const accepted: ReadonlyArray<Record<string, unknown>> = [
  { type: 'DefineTier', tier: 'PRO', name: 'Pro', credits: '2500', price: '25', fromMonth: '2026-06' },
  { type: 'CreateProfile', profileId: 'p-new', accountId: MINE, region: 'eu-west-1' },
  { type: 'Subscribe', profileId: 'p-mine', userId: 'bob', tier: 'PRO' },
  { type: 'Upgrade', profileId: 'p-mine', userId: 'alice', tier: 'POWER' },
  { type: 'Downgrade', profileId: 'p-mine', userId: 'alice', tier: 'PRO' },
  { type: 'ConsumeCredits', profileId: 'p-mine', userId: 'bob', credits: '120.5', requestId: 'r-2' },
  { type: 'SetOverage', profileId: 'p-mine', enabled: false },
  { type: 'IssueCredit', profileId: 'p-mine', lineId: OVERAGE_LINE, amount: '5', reason: 'goodwill' },
  { type: 'Unsubscribe', profileId: 'p-mine', userId: 'bob' },
];

describe('?preview=true', () => {
  test.each(accepted.map((c) => [c.type, c] as const))(
    '%s: 200 with the events the command then appends (but for their ids) and the statement it then reads; nothing appended',
    async (_type, command) => {
      const before = await head();
      const previewed = await preview(command);
      expect(previewed.status).toBe(200);
      expect(await head()).toBe(before);
      const real = await send(server, command, bearer('admin'));
      expect(real.status).toBeLessThan(300);
      expect(previewed.body.events.length).toBeGreaterThan(0);
      expect(previewed.body.events.map((e: { eventId: string }) => e.eventId)).toEqual(previewed.body.events.map((_e: unknown, i: number) => `preview-${i + 1}`));
      expect(withoutIds(previewed.body.events)).toEqual(withoutIds(real.body.events));
      if (command.type === 'DefineTier' || command.type === 'CreateProfile') {
        expect(previewed.body.statement).toBeNull();
      } else {
        const month = String(real.body.events[0].occurredAt).slice(0, 7);
        const read = await get(`/v1/profiles/p-mine/statements/${month}`);
        expect(previewed.body.statement.month).toBe(month);
        expect(withoutIds(previewed.body.statement)).toEqual(withoutIds(read.body));
      }
    },
  );

  test('the preview shows the change: an upgrade previewed has the REFUND and the CHARGE the statement does not have yet', async () => {
    const upgrade = { type: 'Upgrade', profileId: 'p-other', userId: 'alice', tier: 'POWER' };
    const now = (await get('/v1/profiles/p-other/statements/2026-04')).body;
    const previewed = (await preview(upgrade)).body.statement;
    const kinds = (s: { users: ReadonlyArray<{ lines: ReadonlyArray<{ kind: string }> }> }) => s.users.flatMap((u) => u.lines.map((l) => l.kind));
    expect(kinds(now)).toEqual(['CHARGE']);
    expect(kinds(previewed)).toEqual(['CHARGE', 'REFUND', 'CHARGE']);
    expect(previewed.total).not.toBe(now.total);
    expect((await get('/v1/profiles/p-other/statements/2026-04')).text).toBe(JSON.stringify(now));
  });

  test.each([
    ['an unknown profile', { type: 'Subscribe', profileId: 'p-none', userId: 'bob', tier: 'PRO' }, 'PROFILE_NOT_FOUND'],
    ['a lower tier as upgrade', { type: 'Upgrade', profileId: 'p-other', userId: 'alice', tier: 'PRO' }, 'NOT_AN_UPGRADE'],
    ['an unknown tier', { type: 'Subscribe', profileId: 'p-other', userId: 'carol', tier: 'GOLD' }, 'UNKNOWN_TIER'],
    ['a malformed amount', { type: 'ConsumeCredits', profileId: 'p-other', userId: 'alice', credits: '-1', requestId: 'r-x' }, 'VALIDATION'],
    ['an unknown field', { type: 'SetOverage', profileId: 'p-other', enabled: true, extra: 1 }, 'VALIDATION'],
    ['a date in a closed month', { type: 'ConsumeCredits', profileId: 'p-other', userId: 'alice', credits: '1', requestId: 'r-y', occurredAt: '2026-03-20T00:00:00Z' }, 'MONTH_CLOSED'],
    ['a credit above the line', { type: 'IssueCredit', profileId: 'p-other', lineId: 'p-other~2026-03~alice~2', amount: '999', reason: 'no' }, 'CREDIT_EXCEEDS_LINE'],
    ['an open month\'s line', { type: 'IssueCredit', profileId: 'p-other', lineId: 'p-other~2026-04~alice~1', amount: '1', reason: 'no' }, 'MONTH_OPEN'],
    ['a profile that exists', { type: 'CreateProfile', profileId: 'p-other', accountId: OTHER, region: 'us-east-1' }, 'PROFILE_EXISTS'],
    ['a started month', { type: 'DefineTier', tier: 'PRO', name: 'Pro', credits: '1', price: '1', fromMonth: '2026-04' }, 'PERIOD_STARTED'],
  ] as const)('refused for %s: the error the command gets, nothing appended', async (_why, command, code) => {
    const before = await head();
    const previewed = await preview(command);
    expect(await head()).toBe(before);
    const real = await send(server, command, bearer('admin'));
    expect(await head()).toBe(before);
    expect(previewed.body.error.code).toBe(code);
    expect(previewed.status).toBe(real.status);
    expect(previewed.body).toEqual(real.body);
  });

  test('a requestId already applied: the command would change nothing, so no events, and the statement as it reads', async () => {
    const retry = { type: 'ConsumeCredits', profileId: 'p-mine', userId: 'bob', credits: '120.5', requestId: 'r-2' };
    const previewed = await preview(retry);
    expect(previewed.status).toBe(200);
    expect(previewed.body.events).toEqual([]);
    expect(previewed.body.statement).toEqual((await get('/v1/profiles/p-mine/statements/2026-04')).body);
    const reused = await preview({ ...retry, credits: '3' });
    expect(reused.body.error.code).toBe('REQUEST_ID_REUSED');
  });

  test('the role of the command itself: a reader may preview nothing, an operator no credit and no tier, nor a profile outside its accounts', async () => {
    const before = await head();
    const subscribe = { type: 'Subscribe', profileId: 'p-mine', userId: 'dan', tier: 'PRO' };
    expect((await preview(subscribe, 'reader')).body.error.code).toBe('FORBIDDEN');
    expect((await preview(subscribe, 'ops')).status).toBe(200);
    const credit = { type: 'IssueCredit', profileId: 'p-mine', lineId: OVERAGE_LINE, amount: '1', reason: 'goodwill' };
    expect((await preview(credit, 'ops')).body.error.code).toBe('FORBIDDEN');
    expect((await preview(accepted[0] as Record<string, unknown>, 'ops')).body.error.code).toBe('FORBIDDEN');
    const elsewhere = { ...subscribe, profileId: 'p-other' };
    const [previewed, real] = [await preview(elsewhere, 'ops'), await send(server, elsewhere, bearer('ops'))];
    expect(previewed.body.error.code).toBe('PROFILE_NOT_FOUND');
    expect(previewed.body).toEqual(real.body);
    expect(await head()).toBe(before);
  });

  test('an Idempotency-Key is neither claimed nor replayed by a preview', async () => {
    const command = { type: 'Subscribe', profileId: 'p-other', userId: 'erin', tier: 'PRO' };
    const key = { 'idempotency-key': 'preview-key-1' };
    const before = await head();
    const first = await preview(command, 'admin', key);
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    // Nothing written: not the events, not a claim of the key (the key's records are in the same store).
    expect(await head()).toBe(before);
    const { method, path, body } = commandRequest(command);
    const real = await server.request(method, path, { body, headers: { ...bearer('admin'), ...key } });
    expect(real.status).toBe(201);
    expect(real.headers.get('idempotent-replayed')).toBeNull();
    const after = await head();
    // After the key's request ran, a preview under it decides anew (a second subscription is refused), never replays its 201.
    const again = await preview(command, 'admin', key);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(again.body.error.code).toBe('ALREADY_SUBSCRIBED');
    expect(await head()).toBe(after);
    const malformed = await preview(command, 'admin', { 'idempotency-key': '' });
    expect(malformed.body.error.code).toBe('VALIDATION');
  });

  test('preview=false runs the command; anything but 1, true, 0 or false is VALIDATION', async () => {
    const before = await head();
    const bad = await preview({ type: 'SetOverage', profileId: 'p-other', enabled: false }, 'admin', {}, 'yes');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/preview/);
    expect(await head()).toBe(before);
    const real = await preview({ type: 'SetOverage', profileId: 'p-other', enabled: false }, 'admin', {}, 'false');
    expect(real.status).toBe(200);
    expect(real.body.statement).toBeUndefined();
    expect(await head()).toBe(before + 1);
  });
});

test('the OpenAPI document: every command route takes preview and answers it 200 with a Preview (the batch with its own)', async () => {
  const document = (await server.request('GET', '/openapi.json')).body;
  const commands = Object.values(document.paths as Record<string, Record<string, { tags: string[]; parameters: { name: string; in: string }[]; responses: Record<string, unknown> }>>)
    .flatMap((p) => Object.values(p))
    .filter((o) => o.tags.includes('commands'));
  expect(commands).toHaveLength(10);
  for (const o of commands) {
    expect(o.parameters).toContainEqual(expect.objectContaining({ name: 'preview', in: 'query' }));
    const preview = (o as { operationId?: string }).operationId === 'ConsumeCreditsBatch' ? 'UsageBatchPreview' : 'Preview';
    expect(JSON.stringify(o.responses['200'])).toContain(`#/components/schemas/${preview}"`);
  }
  expect(document.components.schemas.UsageBatchPreview.required).toEqual(['results', 'statements']);
  expect(document.components.schemas.Preview.required).toEqual(['events', 'statement']);
});

test('on a test clock, a preview decides at the instant the command would move the clock to, and leaves the clock where it is', async () => {
  const clocked = await startServer({ testClock: true });
  try {
    const previewOn = (command: Record<string, unknown>, headers: Record<string, string> = {}) => {
      const { method, path, body } = commandRequest(command);
      return clocked.request(method, `${path}?preview=true`, { body, headers });
    };
    const clockNow = async () => (await clocked.request('GET', '/v1/test-clock')).body.now;
    const create = { type: 'CreateProfile', profileId: 'p-1', accountId: MINE, region: 'us-east-1', occurredAt: '2026-04-30T23:00:00Z' };
    expect((await previewOn(create)).status).toBe(200);
    expect(await clockNow()).toBe('1970-01-01T00:00:00.000Z');
    expect((await send(clocked, create)).status).toBe(201);
    // Dated 4 minutes after the header's instant: accepted as the command would be, the clock unmoved.
    const ahead = { type: 'Subscribe', profileId: 'p-1', userId: 'carol', tier: 'PRO', occurredAt: '2026-05-01T00:02:00Z' };
    const previewed = await previewOn(ahead, { 'Test-Clock-Now': '2026-04-30T23:58:00Z' });
    expect(previewed.status).toBe(200);
    expect(previewed.body.statement).toEqual(expect.objectContaining({ month: '2026-05', status: 'open', total: '20.00' }));
    expect(await clockNow()).toBe('2026-04-30T23:00:00.000Z');
    const tooFar = await previewOn({ ...ahead, occurredAt: '2026-05-01T00:04:00Z' }, { 'Test-Clock-Now': '2026-04-30T23:58:30Z' });
    expect(tooFar.body.error.code).toBe('VALIDATION');
    expect(tooFar.body.error.message).toContain('5 minutes');
    // A batch likewise: decided at its latest date (30 minutes after the clock: no VALIDATION), the clock unmoved.
    const batch = await clocked.request('POST', '/v1/profiles/p-1/usage/batch?preview=true', {
      body: { requests: [{ userId: 'carol', credits: '1', requestId: 'r-1', occurredAt: '2026-04-30T23:30:00Z' }, { userId: 'carol', credits: '1', requestId: 'r-2', occurredAt: 'soon' }] },
    });
    expect(batch.body.results.map((r: { error: { code: string } }) => r.error.code)).toEqual(['NOT_SUBSCRIBED', 'VALIDATION']);
    expect(await clockNow()).toBe('2026-04-30T23:00:00.000Z');
    // The batch itself: a malformed date is its item's VALIDATION, and moves no clock (it was a 500).
    const real = await clocked.request('POST', '/v1/profiles/p-1/usage/batch', { body: { requests: [{ userId: 'carol', credits: '1', requestId: 'r-2', occurredAt: 'soon' }] } });
    expect([real.status, real.body.results[0].error.code]).toEqual([200, 'VALIDATION']);
    expect(await clockNow()).toBe('2026-04-30T23:00:00.000Z');
  } finally {
    await clocked.close();
  }
});

describe('batch usage, ?preview=true', () => {
  const batch = (requests: ReadonlyArray<Record<string, unknown>>, flag?: string) =>
    server.request('POST', `/v1/profiles/p-other/usage/batch${flag === undefined ? '' : `?preview=${flag}`}`, { body: { requests }, headers: bearer('admin') });
  const codes = (results: ReadonlyArray<{ ok: boolean; error?: { code: string } }>) => results.map((r) => (r.ok ? 'ok' : r.error?.code));

  test("each item's result as the batch then decides it, each on what the items before it leave, and the statement it then reads; nothing appended", async () => {
    // p-other at this point: overage off, erin on PRO (1,000 credits, none used), alice on PRO_PLUS.
    const requests = [
      { userId: 'erin', credits: '600', requestId: 'rb-1' },
      { userId: 'erin', credits: '500', requestId: 'rb-2' },
      { userId: 'alice', credits: '10', requestId: 'rb-3' },
      { userId: 'erin', credits: '-1', requestId: 'rb-4' },
      { userId: 'carol', credits: '1', requestId: 'rb-5' },
      { userId: 'erin', credits: '400', requestId: 'rb-6' },
    ];
    const before = await head();
    const previewed = await batch(requests, 'true');
    expect(previewed.status).toBe(200);
    expect(await head()).toBe(before);
    // The second item exceeds the allowance only because of the first: decided on the state it leaves.
    expect(codes(previewed.body.results)).toEqual(['ok', 'CREDITS_EXHAUSTED', 'ok', 'VALIDATION', 'NOT_SUBSCRIBED', 'ok']);
    const ids = previewed.body.results.flatMap((r: { events?: { eventId: string }[] }) => (r.events ?? []).map((e) => e.eventId));
    expect(ids).toEqual(['preview-1', 'preview-2', 'preview-3']);
    const real = await batch(requests);
    expect(withoutIds(previewed.body.results)).toEqual(withoutIds(real.body.results));
    const read = await get('/v1/profiles/p-other/statements/2026-04');
    expect(previewed.body.statements).toHaveLength(1);
    expect(withoutIds(previewed.body.statements[0])).toEqual(withoutIds(read.body));
  });

  test('a requestId repeated in the batch is its retry (no events), or REQUEST_ID_REUSED with other credits; one already applied likewise', async () => {
    const before = await head();
    const previewed = await batch(
      [
        { userId: 'alice', credits: '1', requestId: 'rb-7' },
        { userId: 'alice', credits: '1', requestId: 'rb-7' },
        { userId: 'alice', credits: '2', requestId: 'rb-7' },
        // erin has used her allowance, but the requestId is checked first (K2, T5).
        { userId: 'erin', credits: '1', requestId: 'rb-7' },
        { userId: 'alice', credits: '10', requestId: 'rb-3' },
      ],
      '1',
    );
    expect(codes(previewed.body.results)).toEqual(['ok', 'ok', 'REQUEST_ID_REUSED', 'REQUEST_ID_REUSED', 'ok']);
    expect(previewed.body.results.map((r: { events?: unknown[] }) => r.events?.length)).toEqual([1, 0, undefined, undefined, 0]);
    expect(await head()).toBe(before);
  });

  test('refused as the batch is: a malformed body for the whole call, a reader, a bad flag; nothing appended', async () => {
    const before = await head();
    const malformed = await server.request('POST', '/v1/profiles/p-other/usage/batch?preview=true', { body: { requests: [] }, headers: bearer('admin') });
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'VALIDATION']);
    const reader = await server.request('POST', '/v1/profiles/p-mine/usage/batch?preview=true', { body: { requests: [{ userId: 'bob', credits: '1', requestId: 'rb-8' }] }, headers: bearer('reader') });
    expect(reader.body.error.code).toBe('FORBIDDEN');
    const flag = await batch([{ userId: 'erin', credits: '1', requestId: 'rb-9' }], 'yes');
    expect(flag.body.error.message).toMatch(/preview/);
    const outside = await server.request('POST', '/v1/profiles/p-other/usage/batch?preview=true', { body: { requests: [{ userId: 'erin', credits: '1', requestId: 'rb-9' }] }, headers: bearer('ops') });
    expect(codes(outside.body.results)).toEqual(['PROFILE_NOT_FOUND']);
    expect(outside.body.statements).toEqual([]);
    expect(await head()).toBe(before);
  });
});
