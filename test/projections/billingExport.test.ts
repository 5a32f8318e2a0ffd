import { parse } from 'csv-parse/sync';
import { spreadsheetSafe } from '../../src/projections/billingExport';
import { startServerWithHistory, TestServer } from '../api/support/ledgerServer';

describe('spreadsheetSafe (OWASP CSV injection)', () => {
  test.each([
    ['=HYPERLINK("http://x","click")', `'=HYPERLINK("http://x","click")`],
    ['@SUM(A1)', `'@SUM(A1)`],
    ['+1+cmd', `'+1+cmd`],
    ['-1~2026-04~alice~1', `'-1~2026-04~alice~1`],
    ['\tx', `'\tx`],
    ['\rx', `'\rx`],
    ['-20.00', '-20.00'],
    ['-1', '-1'],
    ['+5', '+5'],
    ['20.00', '20.00'],
    ['Pro, carried in', 'Pro, carried in'],
    ['a=b', 'a=b'],
    ['', ''],
  ])('%j becomes %j', (cell, expected) => {
    expect(spreadsheetSafe(cell)).toBe(expected);
  });
});

describe('the export neutralises formulas in names and ids (issue 17, problem 4)', () => {
  const ACCOUNT = '111122223333';
  const FORMULA = '=HYPERLINK("http://x","click")';
  let server: TestServer;
  beforeAll(async () => {
    server = await startServerWithHistory(
      [
        { type: 'DefineTier', tier: 'EVIL', name: FORMULA, credits: '100', price: '30.00', fromMonth: '2026-04', occurredAt: '2026-03-20T09:00:00Z' },
        { type: 'CreateProfile', profileId: '@SUM', accountId: ACCOUNT, region: 'us-east-1', occurredAt: '2026-04-01T09:00:00Z' },
        { type: 'CreateProfile', profileId: '-1', accountId: ACCOUNT, region: 'eu-west-1', occurredAt: '2026-04-01T09:00:00Z' },
        { type: 'Subscribe', profileId: '@SUM', userId: '-1', tier: 'PRO', occurredAt: '2026-04-02T09:00:00Z' },
        { type: 'Upgrade', profileId: '@SUM', userId: '-1', tier: 'EVIL', occurredAt: '2026-04-03T09:00:00Z' },
        { type: 'Subscribe', profileId: '-1', userId: '@x', tier: 'EVIL', occurredAt: '2026-04-04T09:00:00Z' },
      ],
      new Date('2026-05-02T00:00:00Z'),
    );
  });
  afterAll(() => server.close());

  test('no cell starts a formula; the refund stays a number', async () => {
    const answer = await server.request('GET', `/v1/exports/2026-04.csv?accountId=${ACCOUNT}`);
    expect(answer.status).toBe(200);
    const rows = parse(answer.text, { columns: true }) as Array<Record<string, string>>;
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) {
      for (const cell of Object.values(row)) expect(/^[=+@\t\r]/.test(cell) || (/^-/.test(cell) && !/^-[0-9]+(\.[0-9]+)?$/.test(cell))).toBe(false);
    }
    const descriptions = rows.map((r) => r.line_item_line_item_description);
    expect(descriptions.some((d) => d?.startsWith(`'${FORMULA}`))).toBe(true);
    expect(rows.map((r) => r.identity_line_item_id)).toEqual(expect.arrayContaining([expect.stringMatching(/^'@SUM~2026-04~-1~/), expect.stringMatching(/^'-1~2026-04~@x~/)]));
    const refund = rows.find((r) => r.line_item_line_item_type === 'Refund');
    expect(refund?.line_item_unblended_cost).toBe('-20.00');
    expect(refund?.line_item_usage_amount).toBe('-1');
  });
});

describe('names are text, checked at the command', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServerWithHistory([], new Date('2026-04-15T12:00:00Z'));
  });
  afterAll(() => server.close());

  test.each([
    ['a line break', 'Pro\nPlus'],
    ['a C1 control', 'Pro\u0085'],
    ['a bidirectional override', 'Pro\u202eevil'],
    ['a line separator', 'Pro\u2028Plus'],
    ['blank', '   '],
    ['padded', ' Pro '],
    ['over 200 characters', 'x'.repeat(201)],
  ])('a tier name with %s is VALIDATION and appends nothing', async (_what, name) => {
    const before = await server.store.headPosition();
    const answer = await server.request('POST', '/v1/catalog/tiers', { body: { tier: 'NEW', name, credits: '1', price: '1.00', fromMonth: '2026-05' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('VALIDATION');
    expect(answer.body.error.message).toMatch(/^name: must be/);
    expect(await server.store.headPosition()).toBe(before);
  });

  test('a profile name with a control character is VALIDATION', async () => {
    const answer = await server.request('POST', '/v1/profiles', { body: { profileId: 'p-n', accountId: '111122223333', region: 'us-east-1', name: 'a\u0007b' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/^name: must be/);
  });

  test('a name of 200 characters with accents and a formula is accepted', async () => {
    const name = `=Pro ${'é'.repeat(195)}`;
    const answer = await server.request('POST', '/v1/catalog/tiers', { body: { tier: 'OK_TIER', name, credits: '1', price: '1.00', fromMonth: '2026-05' } });
    expect(answer.status).toBe(201);
  });
});
