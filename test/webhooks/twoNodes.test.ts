import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScratchDatabase } from '../../bench/scratchPostgres';
import { postgresSkipReason, testDatabase } from '../store/postgresDatabase';
import { LedgerNode, startLedgerNode } from '../support/ledgerNode';
import { call, command, eventually, registerOn } from './nodes';
import { Receiver, startReceiver } from './receiver';

const skip = postgresSkipReason('webhooks twoNodes');
const suite = skip === undefined ? describe : describe.skip;

/**
 * Two `ledger serve` processes on one fresh PostgreSQL database, both delivering: every attempt of
 * every message is made by one node only (the claim in the database), in log order, one at a time
 * per endpoint.
 */
suite(`webhooks from two nodes on one PostgreSQL database${skip === undefined ? '' : ` — skipped: ${skip}`}`, () => {
  let db: ScratchDatabase;
  let dir: string;
  let nodes: LedgerNode[] = [];
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    db = await testDatabase('webhook_nodes');
    dir = mkdtempSync(join(tmpdir(), 'ledger-webhook-nodes-'));
    nodes = await Promise.all([0, 1].map(() => startLedgerNode(db.url('pool_max=4'), dir, ['--allow-http-webhooks'])));
    receivers.push(await startReceiver(), await startReceiver());
  }, 60_000);

  afterAll(async () => {
    for (const node of nodes) node.child.kill('SIGKILL');
    for (const r of receivers) await r.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('each message once per attempt, in log order', async () => {
    const [a, b] = nodes as [LedgerNode, LedgerNode];
    const [r1, r2] = receivers as [Receiver, Receiver];
    await registerOn(a, r1);
    await registerOn(b, r2);
    // One failed attempt: its retry is a second attempt, made once too.
    let failedOnce = false;
    r1.answer = () => {
      if (failedOnce) return 200;
      failedOnce = true;
      return 500;
    };
    const occurredAt = new Date().toISOString();
    await command(a, '/v1/profiles', { profileId: 'p-n', accountId: '111122223333', region: 'us-east-1', occurredAt });
    expect((await call(b, 'PUT', '/v1/profiles/p-n/overage', { enabled: true, occurredAt })).status).toBe(200);
    const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
    for (const [i, userId] of users.entries()) await command(nodes[i % 2] as LedgerNode, '/v1/profiles/p-n/subscriptions', { userId, tier: 'PRO', occurredAt });
    // Each user: 80 %, 100 % and overage, from both nodes at once.
    await Promise.all(
      users.flatMap((userId, i) =>
        ['850', '150', '1'].map((credits, k) =>
          command(nodes[(i + k) % 2] as LedgerNode, '/v1/profiles/p-n/usage', { userId, credits, requestId: `${userId}-${k}`, occurredAt }),
        ),
      ),
    );
    const messages = users.length * 3;
    await eventually(() => r1.received.length === messages + 1 && r2.received.length === messages, 'every message at both endpoints', 90_000);
    // Time for a duplicate to show, were there one.
    await new Promise((r) => setTimeout(r, 3_000));

    for (const r of [r1, r2]) {
      expect(r.maxConcurrent).toBe(1);
      expect(r.received.every((m) => m.signatureValid)).toBe(true);
      // Per user, in the order the log has them.
      for (const userId of users) {
        const ofUser = r.received.filter((m) => m.data.userId === userId).map((m) => `${m.type}${m.data.percent ?? ''}`);
        expect([...new Set(ofUser)]).toEqual(['credits.threshold80', 'credits.threshold100', 'overage.started']);
      }
    }
    expect(new Set(r2.received.map((m) => m.id)).size).toBe(messages);
    const ids = r1.received.map((m) => m.id);
    expect(ids[0]).toBe(ids[1]);
    expect(new Set(ids).size).toBe(messages);
    expect(ids.slice(1)).toEqual(r2.received.map((m) => m.id));
  }, 150_000);
});
