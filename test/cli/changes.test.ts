import * as fs from 'node:fs';
import * as path from 'node:path';
import { runLedger, tempDir } from '../support/cli';

/** The operators' commands: the API's commands, from the command line, against a real SQLite file. */
let dir: string;
let store: string;
const ACCOUNT = '111122223333';
const ledger = (...args: string[]) => runLedger([...args, '--store', store]);
const month = () => new Date().toISOString().slice(0, 7);

beforeAll(async () => {
  dir = tempDir('ledger-changes-');
  store = `sqlite:${path.join(dir, 'ledger.db')}`;
  // Only the commands that start a ledger create a store.
  expect((await ledger('token', 'create', '--name', 'ops', '--role', 'admin')).code).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('changing the ledger from the command line', () => {
  test('create-profile, subscribe, upgrade, overage on, usage: the statement bills them, the events name the actor cli', async () => {
    const created = await ledger('create-profile', '--profile', 'p-cli', '--account', ACCOUNT, '--region', 'us-east-1', '--json');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout).events).toEqual([expect.objectContaining({ type: 'ProfileCreated', data: expect.objectContaining({ profileId: 'p-cli', accountId: ACCOUNT }) })]);

    expect((await ledger('subscribe', '--profile', 'p-cli', '--user', 'alice', '--tier', 'PRO')).stdout).toMatch(/^Recorded 1 event:\n[\s\S]*UserSubscribed/);
    expect((await ledger('upgrade', '--profile', 'p-cli', '--user', 'alice', '--tier', 'POWER')).code).toBe(0);
    expect((await ledger('overage', 'on', '--profile', 'p-cli')).code).toBe(0);
    expect((await ledger('usage', '--profile', 'p-cli', '--user', 'alice', '--credits', '10000.50', '--request-id', 'r-1')).code).toBe(0);

    const statement = JSON.parse((await ledger('statement', '--profile', 'p-cli', '--month', month(), '--json')).stdout);
    expect(statement.users[0].lines.map((l: { kind: string; amount: string }) => [l.kind, l.amount])).toEqual([
      ['CHARGE', '20.00'],
      ['REFUND', '-20.00'],
      ['CHARGE', '200.00'],
      ['OVERAGE', '0.02'],
    ]);

    const events = JSON.parse((await ledger('events', '--profile', 'p-cli', '--json')).stdout);
    expect(events.map((e: { type: string }) => e.type)).toEqual(['UserSubscribed', 'SubscriptionUpgraded', 'OverageSet', 'CreditsConsumed']);
    expect(new Set(events.map((e: { metadata: { actor: string } }) => e.metadata.actor))).toEqual(new Set(['cli']));
    const table = await ledger('events', '--profile', 'p-cli', '--after', String(events[2].globalPosition));
    expect(table.stdout.trimEnd().split('\n').slice(2)).toEqual([expect.stringMatching(/CreditsConsumed .* cli /)]);
  });

  test('a retried usage request changes nothing and exits 0; a reused request id is refused with exit code 1', async () => {
    const retry = await ledger('usage', '--profile', 'p-cli', '--user', 'alice', '--credits', '10000.50', '--request-id', 'r-1');
    expect(retry.code).toBe(0);
    expect(retry.stdout).toMatch(/^Applied before/);
    const reused = await ledger('usage', '--profile', 'p-cli', '--user', 'alice', '--credits', '3', '--request-id', 'r-1');
    expect(reused.code).toBe(1);
    expect(reused.stderr).toMatch(/^ledger usage: REQUEST_ID_REUSED: /);
  });

  test('downgrade and unsubscribe with --occurred-at; a date before the latest change is refused', async () => {
    const now = new Date().toISOString();
    expect((await ledger('subscribe', '--profile', 'p-cli', '--user', 'bob', '--tier', 'PRO_PLUS', '--group', 'eng', '--occurred-at', now)).code).toBe(0);
    expect((await ledger('downgrade', '--profile', 'p-cli', '--user', 'bob', '--tier', 'PRO', '--group', 'eng')).code).toBe(0);
    const late = await ledger('unsubscribe', '--profile', 'p-cli', '--user', 'bob', '--group', 'eng', '--occurred-at', `${month()}-01T00:00:00Z`);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/OUT_OF_ORDER/);
    expect((await ledger('unsubscribe', '--profile', 'p-cli', '--user', 'bob', '--group', 'eng')).code).toBe(0);
  });

  test('define-tier adds a tier from a later month; a started month is refused', async () => {
    const defined = await ledger('define-tier', '--tier', 'PRO_MAX', '--name', 'Pro Max', '--credits', '5000', '--price', '100', '--from-month', '2099-01', '--json');
    expect(defined.code).toBe(0);
    expect(JSON.parse(defined.stdout).events[0]).toMatchObject({ type: 'TierDefined', data: { tier: 'PRO_MAX', price: '100', fromMonth: '2099-01' } });
    const started = await ledger('define-tier', '--tier', 'PRO_MAX', '--name', 'Pro Max', '--credits', '5000', '--price', '100', '--from-month', month());
    expect(started.code).toBe(1);
    expect(started.stderr).toMatch(/PERIOD_STARTED/);
  });

  test('ledger line prints a line and the events it cites, by its id in either form', async () => {
    const statement = JSON.parse((await ledger('statement', '--profile', 'p-cli', '--month', month(), '--json')).stdout);
    const refund = statement.users[0].lines[1];
    const line = JSON.parse((await ledger('line', refund.lineId, '--json')).stdout);
    expect(line).toMatchObject({ profileId: 'p-cli', userId: 'alice', lineId: refund.lineId, kind: 'REFUND', reverses: statement.users[0].lines[0].lineId });
    expect(line.events.map((e: { type: string }) => e.type)).toContain('SubscriptionUpgraded');
    const slashed = await ledger('line', refund.lineId.split('~').join('/'));
    expect(slashed.stdout).toMatch(new RegExp(`^Line ${refund.lineId}: REFUND PRO -20\\.00`));
    // An OVERAGE line cites its consumption as ranges; the audit expands them into the events.
    const overage = statement.users[0].lines[3];
    const cited = JSON.parse((await ledger('line', overage.lineId, '--json')).stdout);
    expect(cited.events.map((e: { type: string; data: { requestId?: string } }) => [e.type, e.data.requestId])).toEqual([['CreditsConsumed', 'r-1']]);
    const missing = await ledger('line', `p-cli~${month()}~alice~99`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/NOT_FOUND: .* has no line .* \(in the ledger at sqlite:/);
  });

  test.each([
    [['usage', '--profile', 'p-cli', '--user', 'alice', '--credits', '1.234', '--request-id', 'r-9'], /--credits: must be a decimal above 0 with at most 2 places, as a string such as "2500"/],
    [['subscribe', '--profile', 'p-cli', '--user', 'carol'], /--tier: is required/],
    [['overage', 'maybe', '--profile', 'p-cli'], /expected on\|off, got "maybe"/],
    [['usage', '--profile', 'p-cli', '--user', 'alice', '--credits', '1', '--request-id', 'r-9', '--occurred-at', '2099-01-01T00:00:00Z'], /--occurred-at: must not be more than 5 minutes after/],
    [['create-profile', '--profile', 'p-2', '--acount', ACCOUNT, '--region', 'us-east-1'], /Unknown option '--acount' \(did you mean --account\?\)/],
    [['line', 'p-cli-1'], /LINE_ID: must be a statement line id such as p-iad~2026-04~alice~1/],
  ])('ledger %j is bad usage, exit code 2', async (args, message) => {
    const r = await ledger(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  test('refusals by a rule are exit code 1 and name the store for a missing profile', async () => {
    const r = await ledger('subscribe', '--profile', 'p-none', '--user', 'alice', '--tier', 'PRO');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`ledger subscribe: PROFILE_NOT_FOUND: profile p-none does not exist (in the ledger at ${store})\n`);
  });
});
