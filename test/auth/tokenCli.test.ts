import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main';
import { isLedgerStream } from '../../src/domain/events';
import { RecordedEvent } from '../../src/store/eventStore';
import { SqliteEventStore } from '../../src/store/sqliteEventStore';

let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-tokens-'));
  db = join(dir, 'ledger.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ledger = async (...args: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), env: { LEDGER_STORE: `sqlite:${db}` } });
  return { code, out: out.join('\n'), err: err.join('\n') };
};

const createToken = async (name: string, ...options: string[]): Promise<string> => {
  const r = await ledger('token', 'create', '--name', name, '--json', ...options);
  expect(r.code).toBe(0);
  const printed = JSON.parse(r.out) as { name: string; token: string };
  expect(printed.name).toBe(name);
  return printed.token;
};

const allEvents = async (): Promise<RecordedEvent[]> => {
  const store = new SqliteEventStore(db);
  const events: RecordedEvent[] = [];
  for await (const e of store.readAll()) events.push(e);
  await store.close();
  return events;
};

describe('ledger token', () => {
  test('the store holds token hashes, never a token, in the database file nor in its WAL', async () => {
    // An open connection keeps the WAL from being checkpointed away when the CLI closes its own.
    const watcher = new SqliteEventStore(db);
    try {
      const tokens = [await createToken('ops', '--role', 'operator', '--account', '111122223333'), await createToken('adm', '--role', 'admin')];
      expect(existsSync(`${db}-wal`)).toBe(true);
      const bytes = Buffer.concat([readFileSync(db), readFileSync(`${db}-wal`)]);
      for (const token of tokens) {
        expect(bytes.includes(createHash('sha256').update(token).digest('hex'))).toBe(true);
        expect(bytes.includes(token)).toBe(false);
        expect(bytes.includes(token.slice('ldg_'.length))).toBe(false);
      }
    } finally {
      await watcher.close();
    }
  });

  test('create prints the token once; list shows the grants and never the hash; revoke marks it', async () => {
    const plain = await ledger('token', 'create', '--name', 'ops', '--role', 'operator', '--account', '444455556666', '--account', '111122223333', '--rate', '5');
    expect(plain.code).toBe(0);
    expect(plain.out).toMatch(/^ldg_[A-Za-z0-9_-]{43}$/);
    expect(plain.err).toMatch(/shown this once/);

    expect((await ledger('token', 'revoke', 'ops')).code).toBe(0);
    const list = await ledger('token', 'list', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out)).toEqual([
      { name: 'ops', role: 'operator', accounts: ['111122223333', '444455556666'], rate: 5, createdAt: expect.any(String), revokedAt: expect.any(String) },
    ]);
    expect(list.out).not.toContain(createHash('sha256').update(plain.out).digest('hex'));
    expect((await ledger('token', 'list')).out).toMatch(/ops\s+operator\s+111122223333,444455556666\s+5/);

    const events = await allEvents();
    expect(events.filter((e) => e.streamId === 'meta/tokens').map((e) => [e.type, e.metadata.actor])).toEqual([
      ['TokenCreated', 'cli'],
      ['TokenRevoked', 'cli'],
    ]);
  });

  test.each([
    ['a duplicate name', 1, ['token', 'create', '--name', 'ops', '--role', 'reader'], /TOKEN_EXISTS/],
    ['revoking an unknown name', 1, ['token', 'revoke', 'nobody'], /TOKEN_NOT_FOUND: no token is named nobody/],
    ['an unknown role', 2, ['token', 'create', '--name', 'x', '--role', 'root'], /--role: must be one of reader, operator, admin, got "root"/],
    ['a malformed account', 2, ['token', 'create', '--name', 'x', '--role', 'reader', '--account', '12'], /--account: must be a 12-digit AWS account id/],
    ['a reserved name', 2, ['token', 'create', '--name', 'cli', '--role', 'reader'], /--name: must be .* other than .*cli/],
    ['a rate of 0', 2, ['token', 'create', '--name', 'x', '--role', 'reader', '--rate', '0'], /--rate: must be a whole number of requests per second/],
    ['a missing action', 2, ['token'], /expected create, list or revoke/],
  ])('%s exits %d', async (_case, code, args, message) => {
    await createToken('ops', '--role', 'operator');
    const r = await ledger(...args);
    expect(r.code).toBe(code);
    expect(r.err).toMatch(message);
  });
});

describe('the CLI’s own commands', () => {
  test('ledger seed appends every event as actor cli, each naming its command and correlation', async () => {
    const r = await ledger('seed', '--profiles', '1', '--users', '2', '--months', '1', '--usage-per-user-month', '2', '--json');
    expect(r.code).toBe(0);
    const events = (await allEvents()).filter((e) => isLedgerStream(e.streamId) && e.metadata.actor !== 'system');
    expect(events.length).toBeGreaterThan(3);
    for (const e of events) {
      expect(e.metadata).toEqual(expect.objectContaining({ actor: 'cli', commandId: expect.any(String), correlationId: expect.any(String) }));
    }
  });
});
