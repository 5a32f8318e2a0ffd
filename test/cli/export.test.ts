import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { runLedger, tempDir } from '../support/cli';

/** `ledger export`: CUR 2.0 columns and a gzip-compressed file. */
let dir: string;
let store: string;
const ACCOUNT = '111122223333';
const month = new Date().toISOString().slice(0, 7);
const ledger = (...args: string[]) => runLedger([...args, '--store', store]);

beforeAll(async () => {
  dir = tempDir('ledger-export-');
  store = `sqlite:${path.join(dir, 'ledger.db')}`;
  expect((await ledger('token', 'create', '--name', 'ops', '--role', 'admin')).code).toBe(0);
  expect((await ledger('create-profile', '--profile', 'p-fra', '--account', ACCOUNT, '--region', 'eu-central-1')).code).toBe(0);
  expect((await ledger('subscribe', '--profile', 'p-fra', '--user', 'bob', '--tier', 'PRO_PLUS')).code).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the CUR 2.0 payer, period end, line id and Region columns come before ledger_event_ids', async () => {
  const r = await ledger('export', '--month', month);
  expect(r.code).toBe(0);
  const [header] = r.stdout.split('\r\n');
  expect(header?.split(',').slice(-5)).toEqual(['bill_payer_account_id', 'bill_billing_period_end_date', 'identity_line_item_id', 'product_region_code', 'ledger_event_ids']);
  const statement = JSON.parse((await ledger('statement', '--profile', 'p-fra', '--month', month, '--json')).stdout);
  const [row] = parse(r.stdout, { columns: true }) as Array<Record<string, string>>;
  const next = new Date(`${month}-01T00:00:00Z`);
  next.setUTCMonth(next.getUTCMonth() + 1);
  expect(row).toMatchObject({
    bill_payer_account_id: ACCOUNT,
    bill_billing_period_end_date: next.toISOString(),
    identity_line_item_id: statement.users[0].lines[0].lineId,
    product_region_code: 'eu-central-1',
  });
});

test('--gzip writes the same CSV gzip-compressed; without --out it is bad usage', async () => {
  const plain = path.join(dir, 'plain.csv');
  const packed = path.join(dir, 'packed.csv.gz');
  expect((await ledger('export', '--month', month, '--out', plain)).code).toBe(0);
  const r = await ledger('export', '--month', month, '--out', packed, '--gzip');
  expect(r).toMatchObject({ code: 0, stdout: `wrote ${packed}\n` });
  expect(gunzipSync(fs.readFileSync(packed)).toString('utf8')).toBe(fs.readFileSync(plain, 'utf8'));
  const bare = await ledger('export', '--month', month, '--gzip');
  expect(bare.code).toBe(2);
  expect(bare.stderr).toMatch(/^ledger export: --gzip: needs --out FILE/);
});
