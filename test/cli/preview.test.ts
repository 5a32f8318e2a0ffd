import * as fs from 'node:fs';
import * as path from 'node:path';
import { runLedger, tempDir } from '../support/cli';
import { withoutIds } from '../support/withoutIds';

/** `--preview` on the CLI's command verbs: the API's preview, printed as the CLI prints events and statements. */
let dir: string;
let store: string;
const ACCOUNT = '111122223333';
const ledger = (...args: string[]) => runLedger([...args, '--store', store]);
const month = () => new Date().toISOString().slice(0, 7);
const eventCount = async () => JSON.parse((await ledger('events', '--profile', 'p-cli', '--json')).stdout).length as number;


beforeAll(async () => {
  dir = tempDir('ledger-preview-');
  store = `sqlite:${path.join(dir, 'ledger.db')}`;
  expect((await ledger('token', 'create', '--name', 'ops', '--role', 'admin')).code).toBe(0);
  expect((await ledger('create-profile', '--profile', 'p-cli', '--account', ACCOUNT, '--region', 'us-east-1')).code).toBe(0);
  expect((await ledger('subscribe', '--profile', 'p-cli', '--user', 'alice', '--tier', 'PRO')).code).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('--preview', () => {
  test('upgrade --preview prints the events and the statement it would make, records nothing; --json is what the command then appends and the statement then reads', async () => {
    const before = await eventCount();
    const text = await ledger('upgrade', '--profile', 'p-cli', '--user', 'alice', '--tier', 'POWER', '--preview');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Preview, nothing recorded\. It would record 1 event:\n[\s\S]*SubscriptionUpgraded[\s\S]*The statement would then read:\nStatement p-cli \(111122223333, us-east-1\) \d{4}-\d{2} — open, total 200\.00 USD/);
    expect(text.stdout).toMatch(/alice +REFUND +PRO +-20\.00/);
    const json = await ledger('upgrade', '--profile', 'p-cli', '--user', 'alice', '--tier', 'POWER', '--preview', '--json');
    expect(json.code).toBe(0);
    const previewed = JSON.parse(json.stdout);
    expect(await eventCount()).toBe(before);
    const real = JSON.parse((await ledger('upgrade', '--profile', 'p-cli', '--user', 'alice', '--tier', 'POWER', '--json')).stdout);
    expect(withoutIds(previewed.events)).toEqual((withoutIds(real.events) as object[]).map((e) => ({ ...e, occurredAt: expect.any(String), data: expect.objectContaining({ tier: 'POWER' }) })));
    const statement = JSON.parse((await ledger('statement', '--profile', 'p-cli', '--month', month(), '--json')).stdout);
    // Server-dated: the preview and the command are dated at their own instants; the rest is equal.
    const undated = (s: unknown) => JSON.parse(JSON.stringify(withoutIds(s)).replace(/"at":"[^"]*"/g, '"at":""'));
    expect(undated(previewed.statement)).toEqual(undated(statement));
  });

  test('a refused preview exits as the command does, with its message; create-profile previews no statement', async () => {
    const args = ['downgrade', '--profile', 'p-cli', '--user', 'alice', '--tier', 'POWER'];
    const previewed = await ledger(...args, '--preview');
    const real = await ledger(...args);
    expect(previewed.code).toBe(1);
    expect(previewed.stderr).toMatch(/^ledger downgrade: NOT_A_DOWNGRADE: /);
    expect(previewed.stderr).toBe(real.stderr);
    const created = await ledger('create-profile', '--profile', 'p-two', '--account', ACCOUNT, '--region', 'eu-west-1', '--preview', '--json');
    expect(JSON.parse(created.stdout)).toEqual({ events: [expect.objectContaining({ type: 'ProfileCreated', eventId: 'preview-1' })], statement: null });
    expect((await ledger('statement', '--profile', 'p-two', '--month', month())).code).toBe(1);
  });

  test('usage --file takes no --preview (bad usage, exit 2): a file is not previewed, and nothing is recorded', async () => {
    const file = path.join(dir, 'usage.ndjson');
    fs.writeFileSync(file, '{"userId": "alice", "credits": "1", "requestId": "r-file"}\n');
    const before = await eventCount();
    const answer = await ledger('usage', '--profile', 'p-cli', '--file', file, '--preview');
    expect(answer.code).toBe(2);
    expect(answer.stderr).toMatch(/^ledger usage: --preview: not available with --file/);
    expect(await eventCount()).toBe(before);
  });
});
