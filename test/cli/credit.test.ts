import * as fs from 'node:fs';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { LedgerService } from '../../src/app/ledgerService';
import { monthOf } from '../../src/domain/time';
import { SqliteEventStore } from '../../src/store/sqliteEventStore';
import { runLedger, tempDir } from '../support/cli';

/** `ledger credit` on the machine's clock, against a March already final; `ledger statement` shows the credit. */
let dir: string;
let store: string;

beforeAll(async () => {
  dir = tempDir('ledger-credit-');
  const file = path.join(dir, 'ledger.db');
  store = `sqlite:${file}`;
  let now = new Date('2026-03-01T09:00:00Z');
  const sqlite = new SqliteEventStore(file);
  const ledger = await new LedgerService(sqlite, { clock: () => now }).open();
  for (const [at, command] of [
    ['2026-03-01T09:00:00Z', { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1' }],
    ['2026-03-01T09:05:00Z', { type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO' }],
    ['2026-03-02T09:00:00Z', { type: 'Unsubscribe', profileId: 'p-1', userId: 'alice' }],
  ] as const) {
    now = new Date(at);
    const result = await ledger.execute({ ...command, occurredAt: at }, { actor: 'test' });
    if (E.isLeft(result)) throw new Error(result.left.message);
  }
  await sqlite.close();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ledger credit', () => {
  test('credits a final line, recorded as the cli; the statement of the month it is dated in shows the CREDIT line', async () => {
    const r = await runLedger(['credit', '--profile', 'p-1', '--line', 'p-1~2026-03~alice~1', '--amount', '15', '--reason', 'subscribed by mistake', '--json', '--store', store]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { events } = JSON.parse(r.stdout);
    expect(events).toEqual([expect.objectContaining({ type: 'CreditIssued', streamId: 'profile/p-1/credits', data: expect.objectContaining({ amount: '15.00', lineId: 'p-1~2026-03~alice~1', tier: 'PRO' }) })]);
    const month = monthOf(events[0].occurredAt);
    const shown = await runLedger(['statement', '--profile', 'p-1', '--month', month, '--store', store]);
    expect(shown.code).toBe(0);
    // Alice holds nothing this month: her only line is the CREDIT, and the bill is a credit balance.
    expect(shown.stdout).toMatch(/total -15\.00 USD/);
    expect(shown.stdout).toMatch(new RegExp(`alice\\s+-\\s+0\\.00\\s+0\\.00\\s+0\\.00\\s+-15\\.00`));
    expect(shown.stdout).toMatch(new RegExp(`alice\\s+CREDIT\\s+PRO\\s+-15\\.00\\s+\\S+\\s+subscribed by mistake \\(credits p-1~2026-03~alice~1\\)\\s+p-1~${month}~alice~1`));
  });

  test('more than is left is refused with exit code 1 and what is left', async () => {
    const r = await runLedger(['credit', '--profile', 'p-1', '--line', 'p-1~2026-03~alice~1', '--amount', '5.01', '--reason', 'again', '--store', store]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CREDIT_EXCEEDS_LINE: line p-1~2026-03~alice~1 has 5\.00 left to credit: 20\.00 charged, 15\.00 credited by p-1~\d{4}-\d{2}~alice~1 on \d{4}-\d{2}-\d{2}; asked for 5\.01, credit at most 5\.00/);
  });

  test('a missing reason is bad usage (exit code 2) naming the flag', async () => {
    const r = await runLedger(['credit', '--profile', 'p-1', '--line', 'p-1~2026-03~alice~1', '--amount', '1', '--store', store]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--reason/);
  });
});
