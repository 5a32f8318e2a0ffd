import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScratchDatabase } from '../../bench/scratchPostgres';
import { postgresSkipReason, testDatabase } from '../store/postgresDatabase';
import { tally } from '../support/cli';
import { BIN, LedgerNode, startLedgerNode } from '../support/ledgerNode';

/**
 * Three `ledger serve` processes on one fresh PostgreSQL database, as behind a load balancer: the
 * built CLI (`npm test` builds it first), each node in a folder of its own (its read-model snapshot).
 */
const PROFILE = 'p-nodes';

type Node = LedgerNode;

interface Answer {
  readonly status: number;
  readonly body: { readonly error?: { readonly code: string }; readonly [key: string]: unknown };
}

interface Statement {
  readonly users: ReadonlyArray<{ readonly userId: string; readonly creditsUsed: string }>;
}

const startNode = (url: string, dir: string): Promise<Node> => startLedgerNode(url, dir);

const call = async (node: Node, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
  const response = await fetch(`${node.base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
};

/** A client behind a load balancer: a 409 CONFLICT (another node won the race) is retried as is, a few times. */
const command = async (node: Node, path: string, body: unknown): Promise<Answer> => {
  for (let attempt = 1; ; attempt++) {
    const answer = await call(node, 'POST', path, body);
    if (answer.status !== 409 || answer.body.error?.code !== 'CONFLICT' || attempt === 20) return answer;
  }
};

interface LoggedEvent {
  readonly type: string;
  readonly data: { readonly requestId?: string; readonly userId?: string };
}

/** The profile's whole log, page by page (`next` until null). */
const profileEvents = async (node: Node): Promise<LoggedEvent[]> => {
  const events: LoggedEvent[] = [];
  for (let after: number | null | undefined; after !== null; ) {
    const page = await call(node, 'GET', `/v1/profiles/${PROFILE}/events${after === undefined ? '' : `?after=${after}`}`);
    expect(page.status).toBe(200);
    events.push(...(page.body.events as LoggedEvent[]));
    after = page.body.next as number | null;
  }
  return events;
};

const month = (): string => new Date().toISOString().slice(0, 7);
const statementOf = async (node: Node): Promise<Statement> => {
  const answer = await call(node, 'GET', `/v1/profiles/${PROFILE}/statements/${month()}`);
  expect(answer.status).toBe(200);
  return answer.body as unknown as Statement;
};
const creditsUsed = (statement: Statement, userId: string): string | undefined => statement.users.find((u) => u.userId === userId)?.creditsUsed;

const skip = postgresSkipReason('severalNodes');
const suite = skip === undefined ? describe : describe.skip;

suite(`three ledger nodes on one PostgreSQL database${skip === undefined ? '' : ` — skipped: ${skip}`}`, () => {
  let db: ScratchDatabase;
  let dir: string;
  let nodes: Node[] = [];

  beforeAll(async () => {
    db = await testDatabase('nodes');
    dir = mkdtempSync(join(tmpdir(), 'ledger-nodes-'));
    // Started together: they migrate the fresh database at the same moment.
    nodes = await Promise.all([0, 1, 2].map(() => startNode(db.url('pool_max=4'), dir)));
    // Dated by the client, one after the other: what the other tests build on does not depend on server dating.
    const setUp = [
      ['/v1/profiles', { profileId: PROFILE, accountId: '111122223333', region: 'us-east-1' }],
      ...['alice', 'bob', 'carol'].map((userId) => [`/v1/profiles/${PROFILE}/subscriptions`, { userId, tier: userId === 'alice' ? 'PRO' : 'POWER' }] as const),
    ] as const;
    for (const [i, [path, body]] of setUp.entries()) {
      expect((await command(node(i), path, { ...body, occurredAt: new Date().toISOString() })).status).toBe(201);
    }
  }, 60_000);

  afterAll(async () => {
    for (const node of nodes) node.child.kill('SIGKILL');
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const node = (i: number): Node => nodes[i % nodes.length] as Node;

  test('server-dated commands from every node are accepted', async () => {
    const users = ['dave', 'erin', 'frank', 'gina', 'hank', 'ivan'];
    const answers = await Promise.all(users.map((userId, i) => command(node(i), `/v1/profiles/${PROFILE}/subscriptions`, { userId, tier: 'PRO' })));
    expect(tally(answers)).toEqual({ '201': users.length });
  }, 60_000);

  // Dated by the client, all at one instant, so that only the allowance decides (server dating has its own test above).
  test('an allowance holds across nodes: 150 requests of 10 credits against 1,000, exactly 100 accepted', async () => {
    const occurredAt = new Date().toISOString();
    const answers = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        command(node(i), `/v1/profiles/${PROFILE}/usage`, { userId: 'alice', credits: '10', requestId: `allowance-${i}`, occurredAt }),
      ),
    );
    expect(tally(answers)).toEqual({ '201': 100, '422 CREDITS_EXHAUSTED': 50 });
    expect(creditsUsed(await statementOf(node(1)), 'alice')).toBe('1000.00');
  }, 120_000);

  test('a command acknowledged by one node is on the next statement read from another', async () => {
    for (let i = 0; i < 9; i++) {
      const answer = await command(node(i), `/v1/profiles/${PROFILE}/usage`, { userId: 'bob', credits: '1', requestId: `read-your-writes-${i}` });
      expect(answer.status).toBe(201);
      expect(creditsUsed(await statementOf(node(i + 1)), 'bob')).toBe(`${i + 1}.00`);
    }
  }, 60_000);

  test('the nodes answer identical statements', async () => {
    const [a, b, c] = await Promise.all([0, 1, 2].map((i) => statementOf(node(i))));
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  test('history stays final across nodes: the overage switch racing a consumption, one Idempotency-Key on every node, a closed month', async () => {
    // Client-dated, one instant after another from now on, so that every outcome is decided by the race alone.
    let tick = Date.now();
    const next = () => new Date((tick += 10)).toISOString();
    const usage = `/v1/profiles/${PROFILE}/usage`;
    for (let round = 0; round < 6; round++) {
      const userId = `racer-${round}`;
      expect((await command(node(round), `/v1/profiles/${PROFILE}/subscriptions`, { userId, tier: 'PRO', occurredAt: next() })).status).toBe(201);
      expect((await call(node(round), 'PUT', `/v1/profiles/${PROFILE}/overage`, { enabled: true, occurredAt: next() })).status).toBe(200);
      expect((await command(node(round), usage, { userId, credits: '1000', requestId: `fill-${round}`, occurredAt: next() })).status).toBe(201);
      const [offAt, pastAt] = [next(), next()];
      const [off, past] = await Promise.all([
        call(node(round), 'PUT', `/v1/profiles/${PROFILE}/overage`, { enabled: false, occurredAt: offAt }),
        command(node(round + 1), usage, { userId, credits: '5', requestId: `past-${round}`, occurredAt: pastAt }),
      ]);
      // The switch first refuses the consumption (K4); the consumption first makes the switch, dated before it, out of order (T2).
      expect([['200', '422 CREDITS_EXHAUSTED'], ['409 OUT_OF_ORDER', '201']]).toContainEqual([off, past].map((a) => Object.keys(tally([a]))[0]));
      const log = (await profileEvents(node(round + 2))).map((e) => (e.type === 'OverageSet' ? `OverageSet(${(e.data as { enabled?: boolean }).enabled})` : `${e.type}:${e.data.requestId ?? ''}`));
      if (past.status === 201) expect(log.lastIndexOf('OverageSet(false)')).toBeLessThan(log.indexOf(`CreditsConsumed:past-${round}`));
      if (off.status === 200) expect(log).not.toContain(`CreditsConsumed:past-${round}`);
      if (off.status !== 200) expect((await call(node(round), 'PUT', `/v1/profiles/${PROFILE}/overage`, { enabled: false, occurredAt: next() })).status).toBe(200);
    }

    // One key, nine bodies, three nodes: one effect, eight 409s that appended nothing.
    const keyed = await Promise.all(
      Array.from({ length: 9 }, (_, i) => call(node(i), 'POST', usage, { userId: 'bob', credits: '1', requestId: `keyed-${i}`, occurredAt: next() }, { 'idempotency-key': 'one-key' })),
    );
    expect(tally(keyed)).toEqual({ '201': 1, '409 IDEMPOTENCY_KEY_REUSED': 8 });
    expect((await profileEvents(node(0))).filter((e) => e.data.requestId?.startsWith('keyed-'))).toHaveLength(1);

    // A command dated in last month is refused by every node: that month's bill is final.
    const lastMonth = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 0, 12)).toISOString();
    const backdated = await Promise.all([0, 1, 2].map((i) => call(node(i), 'POST', usage, { userId: 'bob', credits: '1', requestId: `late-${i}`, occurredAt: lastMonth })));
    expect(tally(backdated)).toEqual({ '409 MONTH_CLOSED': 3 });
  }, 120_000);

  test('kill -9 of one node under load loses nothing acknowledged, and the others keep serving', async () => {
    // One client date for the whole load, as in the allowance test: this is about durability and availability.
    const occurredAt = new Date().toISOString();
    const acknowledged: string[] = [];
    const refusedBySurvivors: Answer[] = [];
    let sent = 0;
    const caller = async (c: number): Promise<void> => {
      for (let i = 0; i < 30; i++) {
        const target = node(c + i);
        const requestId = `under-load-${c}-${i}`;
        sent++;
        const answer = await command(target, `/v1/profiles/${PROFILE}/usage`, { userId: 'carol', credits: '1', requestId, occurredAt }).catch(() => undefined);
        if (answer?.status === 201) acknowledged.push(requestId);
        else if (target !== nodes[2]) refusedBySurvivors.push(answer ?? { status: 0, body: {} });
      }
    };
    let loading = true;
    const load = Promise.all(Array.from({ length: 6 }, (_, c) => caller(c))).finally(() => (loading = false));
    while (acknowledged.length < 20 && loading) await new Promise((r) => setTimeout(r, 5));
    const killed = nodes[2] as Node;
    killed.child.kill('SIGKILL');
    await load;
    expect(sent).toBe(180);
    expect(refusedBySurvivors).toEqual([]);

    // What the survivors say is in the log: every acknowledged request, once.
    const consumed = (await profileEvents(node(0)))
      .filter((e) => e.data.userId === 'carol' && e.data.requestId?.startsWith('under-load-'))
      .map((e) => e.data.requestId as string);
    expect(acknowledged.filter((id) => consumed.filter((c) => c === id).length !== 1)).toEqual([]);
    // Beyond them, only requests the killed node had in flight (at most one per caller).
    expect(consumed.length - acknowledged.length).toBeLessThanOrEqual(6);
    expect(creditsUsed(await statementOf(node(1)), 'carol')).toBe(`${consumed.length}.00`);
  }, 120_000);

  test('the three nodes appended one chain: ledger verify holds on everything they wrote, the head they serve included', async () => {
    const head = (await call(node(0), 'GET', '/v1/log/head')).body as unknown as { position: number; chainHash: string };
    const { stdout, code } = await verifyCli(db.url(), `${head.position}:${head.chainHash}`);
    const report = JSON.parse(stdout) as { ok: boolean; events: number; chain: { breaks: number } };
    expect([code, report.ok, report.chain.breaks]).toEqual([0, true, 0]);
    expect(report.events).toBeGreaterThan(head.position);
  }, 60_000);
});

const verifyCli = (url: string, trusted: string): Promise<{ stdout: string; code: number | null }> =>
  new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, 'verify', '--json', '--trusted', trusted, '--store', url]);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ stdout, code }));
  });
