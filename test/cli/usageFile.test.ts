import * as fs from 'node:fs';
import * as path from 'node:path';
import { runLedger, tempDir } from '../support/cli';

/** `ledger usage --profile P --file FILE.ndjson`: a file of requests through the batch decision, a summary by code. */
let dir: string;
let store: string;
const ledger = (...args: string[]) => runLedger([...args, '--store', store]);
const month = () => new Date().toISOString().slice(0, 7);
const write = (name: string, lines: ReadonlyArray<unknown>): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'));
  return file;
};

beforeAll(async () => {
  dir = tempDir('ledger-usage-file-');
  store = `sqlite:${path.join(dir, 'ledger.db')}`;
  expect((await ledger('token', 'create', '--name', 'ops', '--role', 'admin')).code).toBe(0);
  expect((await ledger('create-profile', '--profile', 'p-f', '--account', '111122223333', '--region', 'us-east-1')).code).toBe(0);
  for (const user of ['alice', 'bob']) expect((await ledger('subscribe', '--profile', 'p-f', '--user', user, '--tier', 'PRO')).code).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ledger usage --file', () => {
  test('2,500 lines in batches: every item-level refusal counted by code with its lines; a second run changes nothing', async () => {
    const lines: unknown[] = [];
    // 2,400 requests of 0.40 credits spread over alice and bob: 480 credits each, within Pro's 1,000.
    for (let i = 0; i < 2400; i++) lines.push({ userId: i % 2 === 0 ? 'alice' : 'bob', credits: '0.40', requestId: `r-${i}` });
    lines.push({ userId: 'alice', credits: '600', requestId: 'big' }); // 480 + 600 > 1,000: CREDITS_EXHAUSTED
    lines.push({ userId: 'dave', credits: '1', requestId: 'd-1' }); // NOT_SUBSCRIBED
    lines.push({ userId: 'alice', credits: '2', requestId: 'r-0' }); // REQUEST_ID_REUSED
    lines.push({ userId: 'alice', credits: '1.001', requestId: 'v-1' }); // VALIDATION (credits)
    lines.push('{"userId": "alice", "credits": "1", '); // VALIDATION (not JSON)
    lines.push('');
    lines.push({ userId: 'bob', credits: '1', requestId: 'b-late', occurredAt: '2020-01-01T00:00:00Z' }); // MONTH_CLOSED
    const file = write('usage.ndjson', lines);
    const first = await ledger('usage', '--profile', 'p-f', '--file', file, '--json');
    expect(first.code).toBe(1);
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({ lines: 2406, accepted: 2400, appliedBefore: 0 });
    expect(Object.fromEntries(Object.entries(summary.refused).map(([code, r]) => [code, [(r as { count: number }).count, (r as { lines: number[] }).lines]]))).toEqual({
      CREDITS_EXHAUSTED: [1, [2401]],
      NOT_SUBSCRIBED: [1, [2402]],
      REQUEST_ID_REUSED: [1, [2403]],
      VALIDATION: [2, [2404, 2405]],
      MONTH_CLOSED: [1, [2407]],
    });
    expect(summary.refused.VALIDATION.message).toMatch(/^line 2404: credits: /);
    const statement = JSON.parse((await ledger('statement', '--profile', 'p-f', '--month', month(), '--json')).stdout);
    expect(statement.users.map((u: { creditsUsed: string }) => u.creditsUsed)).toEqual(['480.00', '480.00']);

    const again = await ledger('usage', '--profile', 'p-f', '--file', file);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/^2406 lines: 0 accepted, 2400 applied before \(retries that changed nothing\), 6 refused/);
    expect(again.stdout).toMatch(/VALIDATION: 2 \(lines 2404, 2405\); first: line 2404: credits: /);
    expect(JSON.parse((await ledger('statement', '--profile', 'p-f', '--month', month(), '--json')).stdout)).toEqual(statement);
    // Seven ledger processes of 4,800 requests in all: on a machine shared by six engineers, more than the default minute.
  }, 240_000);

  test('a file whose lines are all accepted exits 0; a missing file or profile flag is bad usage (2)', async () => {
    const ok = await ledger('usage', '--profile', 'p-f', '--file', write('ok.ndjson', [{ userId: 'bob', credits: '1', requestId: 'ok-1' }]));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^1 lines: 1 accepted/);
    expect((await ledger('usage', '--profile', 'p-f', '--file', path.join(dir, 'missing.ndjson'))).code).toBe(2);
    expect((await ledger('usage', '--file', path.join(dir, 'ok.ndjson'))).code).toBe(2);
  });
});
