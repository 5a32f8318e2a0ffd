import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import Decimal from 'decimal.js';
import { commandRoutes } from '../../src/api/commandRoutes';
import { queryRoutes } from '../../src/api/queryRoutes';
import { citedEventsPage } from '../../src/app/citedEvents';
import { EXPORT_COLUMNS, regionBillingCode, tierUsageSuffix } from '../../src/projections/billingExport';
import { startServerWithHistory, TestServer } from './support/ledgerServer';
import { MINE, NOW, twoAccounts } from './support/twoAccounts';


let server: TestServer;
beforeAll(async () => {
  server = await startServerWithHistory(twoAccounts, NOW);
});
afterAll(() => server.close());

const get = (path: string) => server.request('GET', path);

describe('statements', () => {
  test('a month that is over is final, the current one open', async () => {
    const april = await get('/v1/profiles/p-iad/statements/2026-04');
    expect(april.status).toBe(200);
    expect(april.body).toMatchObject({ profileId: 'p-iad', accountId: MINE, region: 'us-east-1', month: '2026-04', currency: 'USD', status: 'final', total: '220.00' });
    expect(april.body.users.map((u: { userId: string }) => u.userId)).toEqual(['alice', 'bob']);
    expect((await get('/v1/profiles/p-iad/statements/2026-05')).body.status).toBe('open');
  });

  test('pages users with after and limit, the totals always the whole profile\'s, next naming the following page\'s after', async () => {
    const whole = (await get('/v1/profiles/p-iad/statements/2026-04')).body;
    expect(whole).not.toHaveProperty('next');
    const [alice, bob] = whole.users;
    const first = await get('/v1/profiles/p-iad/statements/2026-04?limit=1');
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ ...whole, users: [alice], userCount: 2, next: 'alice' });
    const second = await get(`/v1/profiles/p-iad/statements/2026-04?after=${first.body.next}&limit=1`);
    expect(second.body).toEqual({ ...whole, users: [bob], userCount: 2, next: null });
    // after alone: the rest, written out whole; an after between ids starts at the next id above it.
    expect((await get('/v1/profiles/p-iad/statements/2026-04?after=alice')).body).toEqual({ ...whole, users: [bob], userCount: 2, next: null });
    expect((await get('/v1/profiles/p-iad/statements/2026-04?after=b&limit=5')).body.users).toEqual([bob]);
    expect((await get('/v1/profiles/p-iad/statements/2026-04?after=zz&limit=5')).body).toEqual({ ...whole, users: [], userCount: 2, next: null });
  });

  test.each([
    ['/v1/profiles/p-iad/statements/2026-04?limit=0', 400, 'VALIDATION', /^limit: /],
    ['/v1/profiles/p-iad/statements/2026-04?limit=1001', 400, 'VALIDATION', /^limit: /],
    ['/v1/profiles/p-iad/statements/2026-04?after=a%20b', 400, 'VALIDATION', /^after: /],
    ['/v1/profiles/p-nowhere/statements/2026-04', 404, 'PROFILE_NOT_FOUND', /p-nowhere/],
    ['/v1/profiles/p-iad/statements/2026-13', 400, 'VALIDATION', /^month: must be a month as YYYY-MM/],
    ['/v1/profiles/p-iad/statements/2026-4', 400, 'VALIDATION', /^month: /],
    ['/v1/profiles/p-iad/statements/2026-04?verbose=1', 400, 'VALIDATION', /^verbose: unknown field/],
    ['/v1/accounts/999999999999/statements/2026-04', 404, 'PROFILE_NOT_FOUND', /999999999999/],
    ['/v1/accounts/12345/statements/2026-04', 400, 'VALIDATION', /^accountId: /],
    ['/v1/profiles/p-iad/events?limit=0', 400, 'VALIDATION', /^limit: /],
    ['/v1/profiles/p-iad/events?limit=1001', 400, 'VALIDATION', /^limit: /],
    ['/v1/profiles/p-iad/events?after=-1', 400, 'VALIDATION', /^after: /],
    ['/v1/profiles/p-iad/events?after=1&after=2', 400, 'VALIDATION', /^after: /],
    ['/v1/profiles/p-nowhere/events', 404, 'PROFILE_NOT_FOUND', /p-nowhere/],
    ['/v1/exports/2026-04.csv?accountId=999999999999', 404, 'PROFILE_NOT_FOUND', /999999999999/],
    ['/v1/exports/2026-xx.csv', 400, 'VALIDATION', /^month: /],
  ])('GET %s is %d %s', async (path, status, code, message) => {
    const answer = await get(path);
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
    expect(answer.body.error.message).toMatch(message);
  });

  test('the account statement sums its profiles and names users billed in several', async () => {
    const answer = await get(`/v1/accounts/${MINE}/statements/2026-04`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      accountId: MINE,
      month: '2026-04',
      currency: 'USD',
      status: 'final',
      total: '264.02',
      profiles: [
        { profileId: 'p-fra', region: 'eu-central-1', total: '44.02' },
        { profileId: 'p-iad', region: 'us-east-1', total: '220.00' },
      ],
      usersInSeveralProfiles: [{ userId: 'bob', profiles: ['p-fra', 'p-iad'] }],
    });
  });
});

describe('a statement line and its events', () => {
  const lineOf = async (profileId: string, userId: string, kind: string) => {
    const statement = await get(`/v1/profiles/${profileId}/statements/2026-04`);
    const user = statement.body.users.find((u: { userId: string }) => u.userId === userId);
    return user.lines.find((l: { kind: string }) => l.kind === kind);
  };

  test('follows the line id, as the statement hands it out, to every cited event, with data and metadata', async () => {
    const refund = await lineOf('p-iad', 'alice', 'REFUND');
    expect(refund.lineId).toMatch(/^p-iad~2026-04~alice~[0-9]+$/);
    const answer = await get(`/v1/profiles/p-iad/statements/2026-04/lines/${refund.lineId}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ profileId: 'p-iad', month: '2026-04', userId: 'alice', lineId: refund.lineId, kind: 'REFUND', amount: '-20.00', reverses: refund.reverses });
    expect(answer.body.events.map((e: { eventId: string }) => e.eventId)).toEqual(refund.events.map((e: { eventId: string }) => e.eventId));
    expect(answer.body.events[0]).toMatchObject({ type: 'SubscriptionUpgraded', data: { userId: 'alice', fromTier: 'PRO', tier: 'POWER' }, metadata: { actor: 'local' } });
  });

  test('an OVERAGE line cites every credit request of the month, as a range of its usage stream', async () => {
    const overage = await lineOf('p-fra', 'carol', 'OVERAGE');
    expect(overage.usage).toEqual([{ streamId: 'profile/p-fra/usage/carol/2026-04', fromPosition: 0, toPosition: 1, count: 2 }]);
    const page = await citedEventsPage((id, o) => server.store.readStream(id, o), overage, 0, 10);
    expect(page.events.map((e) => (e.data as { requestId: string }).requestId)).toEqual(['r-1', 'r-2']);
  });

  test('the older URL-encoded `/` form of a line id still finds the line', async () => {
    const refund = await lineOf('p-iad', 'alice', 'REFUND');
    const answer = await get(`/v1/profiles/p-iad/statements/2026-04/lines/${encodeURIComponent(refund.lineId.split('~').join('/'))}`);
    expect(answer.status).toBe(200);
    expect(answer.body.lineId).toBe(refund.lineId);
  });

  test('an unknown line is 404 NOT_FOUND saying what a line id looks like', async () => {
    const answer = await get('/v1/profiles/p-iad/statements/2026-04/lines/p-iad~2026-04~alice~99');
    expect(answer.status).toBe(404);
    expect(answer.body.error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('expected one of its lines\' ids, p-iad~2026-04~{userId}~{n}') });
  });

  test('a malformed line id is 400 VALIDATION with an example', async () => {
    const answer = await get('/v1/profiles/p-iad/statements/2026-04/lines/alice-1');
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/lineId: must be a statement line id such as p-iad~2026-04~alice~1/);
  });

});

describe('the billing export', () => {
  const rowsOf = (csv: string): Array<Record<string, string>> => parse(csv, { columns: true });

  test('one CUR row per line; the costs add up to the account statement', async () => {
    const answer = await get(`/v1/exports/2026-04.csv?accountId=${MINE}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(answer.text.split('\r\n')[0]).toBe(EXPORT_COLUMNS.join(','));
    const rows = rowsOf(answer.text);
    const account = (await get(`/v1/accounts/${MINE}/statements/2026-04`)).body;
    const total = rows.reduce((sum, r) => sum.plus(r.line_item_unblended_cost as string), new Decimal(0));
    expect(total.toFixed(2)).toBe(account.total);
    // p-fra: bob, carol (charge, overage); p-iad: alice (charge, refund, charge), bob.
    expect(rows.find((r) => r.line_item_line_item_type === 'Usage')?.ledger_event_ids).toBe('profile/p-fra/usage/carol/2026-04@0..1');
    expect(rows).toHaveLength(7);
    expect(new Set(rows.map((r) => r.line_item_product_code))).toEqual(new Set(['Kiro']));

    const refund = rows.find((r) => r.line_item_line_item_type === 'Refund');
    expect(refund).toMatchObject({ line_item_unblended_cost: '-20.00', line_item_usage_amount: '-1', line_item_usage_type: 'USE1-KiroEnterprise-Pro' });
    const overage = rows.find((r) => r.line_item_line_item_type === 'Usage');
    expect(overage).toMatchObject({
      line_item_usage_type: 'EUC1-KiroEnterprise-Credits',
      line_item_usage_amount: '100.50',
      line_item_unblended_cost: '4.02',
      line_item_resource_id: `arn:aws:kiro:eu-central-1:${MINE}:profile/p-fra/user/carol`,
    });
    expect(rows.filter((r) => r.line_item_line_item_type === 'Fee').map((r) => r.line_item_usage_type).sort()).toEqual([
      'EUC1-KiroEnterprise-Pro',
      'EUC1-KiroEnterprise-Pro',
      'USE1-KiroEnterprise-Power',
      'USE1-KiroEnterprise-Pro',
      'USE1-KiroEnterprise-Pro',
    ]);
  });

  test('every ledger_event_ids entry is an event of the profile', async () => {
    const rows = rowsOf((await get(`/v1/exports/2026-04.csv?accountId=${MINE}`)).text);
    const known = new Set<string>();
    for (const p of ['p-iad', 'p-fra']) {
      for (const e of (await get(`/v1/profiles/${p}/events?limit=1000`)).body.events) known.add(`${e.streamId}@${e.position}`);
    }
    for (const r of rows) {
      const ids = (r.ledger_event_ids as string).split(';').filter((id) => !id.startsWith('catalog@'));
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) {
        // A range of usage, `streamId@from..to`, names each position in it.
        const [, streamId, from, to] = /^(.*)@(\d+)(?:\.\.(\d+))?$/.exec(id) ?? [];
        for (let p = Number(from); p <= Number(to ?? from); p++) expect(known).toContain(`${streamId}@${p}`);
      }
    }
  });

  test('CUR 2.0 payer, period end, line id and Region columns; ledger_event_ids last', async () => {
    const rows = rowsOf((await get(`/v1/exports/2026-04.csv?accountId=${MINE}`)).text);
    expect(EXPORT_COLUMNS.slice(-5)).toEqual(['bill_payer_account_id', 'bill_billing_period_end_date', 'identity_line_item_id', 'product_region_code', 'ledger_event_ids']);
    const statement = (await get('/v1/profiles/p-fra/statements/2026-04')).body;
    const carol = statement.users.find((u: { userId: string }) => u.userId === 'carol');
    const overage = carol.lines.find((l: { kind: string }) => l.kind === 'OVERAGE');
    expect(rows.find((r) => r.identity_line_item_id === overage.lineId)).toMatchObject({
      bill_payer_account_id: MINE,
      bill_billing_period_start_date: '2026-04-01T00:00:00.000Z',
      bill_billing_period_end_date: '2026-05-01T00:00:00.000Z',
      product_region_code: 'eu-central-1',
      line_item_line_item_type: 'Usage',
    });
    expect(new Set(rows.map((r) => r.identity_line_item_id)).size).toBe(rows.length);
  });

  test('gzip=1 is the same CSV, gzip-compressed, as a .csv.gz attachment', async () => {
    const plain = (await get(`/v1/exports/2026-04.csv?accountId=${MINE}`)).text;
    const response = await fetch(`${server.base}/v1/exports/2026-04.csv?accountId=${MINE}&gzip=1`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/gzip');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="kiro-${MINE}-2026-04.csv.gz"`);
    expect(gunzipSync(Buffer.from(await response.arrayBuffer())).toString('utf8')).toBe(plain);
    expect((await get('/v1/exports/2026-04.csv?gzip=yes')).status).toBe(400);
  });

  test('without accountId, every account', async () => {
    const rows = rowsOf((await get('/v1/exports/2026-04.csv')).text);
    expect(new Set(rows.map((r) => r.line_item_usage_account_id))).toEqual(new Set([MINE, '444455556666']));
    expect(rows.find((r) => r.line_item_usage_account_id === '444455556666')).toMatchObject({
      line_item_usage_type: 'UGW1-KiroEnterprise-ProPlus',
      line_item_resource_id: 'arn:aws-us-gov:kiro:us-gov-west-1:444455556666:profile/p-gov/user/dan',
    });
  });

  test('usage types follow tier codes added later and Regions missing from the table', () => {
    expect(tierUsageSuffix('PRO_MAX')).toBe('ProMax');
    expect(tierUsageSuffix('POWER')).toBe('Power');
    expect(regionBillingCode('eu-west-1')).toBe('EU');
    expect(regionBillingCode('ap-south-1')).toBe('APS3');
    expect(regionBillingCode('mx-central-2')).toBe('MXC2');
  });
});

describe('OpenAPI', () => {
  test('/openapi.json documents every route the server serves', async () => {
    const doc = (await get('/openapi.json')).body;
    expect(doc.openapi).toMatch(/^3\./);
    for (const r of commandRoutes) expect(doc.paths[r.path][r.method.toLowerCase()].operationId).toBe(r.command);
    for (const q of queryRoutes) expect(doc.paths[q.path].get.operationId).toBe(q.operationId);
    expect(Object.keys(doc.paths['/v1/profiles/{profileId}/subscriptions'].post.requestBody.content['application/json'].schema.properties).sort()).toEqual(['groupId', 'occurredAt', 'tier', 'userId']);
  });

  test('/docs is a browsable page', async () => {
    const answer = await get('/docs');
    expect(answer.status).toBe(200);
    expect(answer.text).toMatch(/<html/i);
  });
});
