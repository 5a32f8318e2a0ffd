import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerNode, startLedgerNode } from '../support/ledgerNode';
import { call, command, eventually, registerOn } from './nodes';
import { Receiver, startReceiver } from './receiver';

/**
 * `ledger serve` killed with SIGKILL while a message is in flight (the receiver holds the request
 * open), then started again on the same SQLite store: the message in flight is sent again, with
 * the same webhook-id, and every message after it follows, in order; nothing else is sent twice.
 */
describe('webhooks survive kill -9', () => {
  let dir: string;
  let receiver: Receiver;
  let node: LedgerNode | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-webhooks-kill-'));
    receiver = await startReceiver();
  });
  afterAll(async () => {
    node?.child.kill('SIGKILL');
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing and resends only what was in flight', async () => {
    const store = `sqlite:${join(dir, 'ledger.db')}`;
    node = await startLedgerNode(store, dir, ['--allow-http-webhooks']);
    let first = true;
    receiver.answer = () => {
      if (!first) return 200;
      first = false;
      return 'hang';
    };
    const id = await registerOn(node, receiver);
    const occurredAt = new Date().toISOString();
    await command(node, '/v1/profiles', { profileId: 'p-k', accountId: '111122223333', region: 'us-east-1', occurredAt });
    await command(node, '/v1/profiles/p-k/subscriptions', { userId: 'alice', tier: 'PRO', occurredAt });
    await command(node, '/v1/profiles/p-k/usage', { userId: 'alice', credits: '800', requestId: 'r-1', occurredAt });
    await command(node, '/v1/profiles/p-k/usage', { userId: 'alice', credits: '200', requestId: 'r-2', occurredAt });
    await eventually(() => receiver.received.length === 1, 'the first attempt');
    const inFlight = receiver.received[0]?.id;

    node.child.kill('SIGKILL');
    await new Promise((r) => node?.child.once('exit', r));
    node = await startLedgerNode(store, dir, ['--allow-http-webhooks']);
    // The restarted node takes the endpoint over once the lost attempt is past its 15 s timeout.
    await eventually(() => receiver.received.length === 3, 'the resent message and the next', 90_000);
    await new Promise((r) => setTimeout(r, 2_000));

    const ids = receiver.received.map((r) => r.id);
    expect(ids).toEqual([inFlight, inFlight, expect.stringMatching(/threshold\.100$/)]);
    expect(inFlight).toMatch(/threshold\.80$/);
    expect(receiver.received.every((r) => r.signatureValid)).toBe(true);
    const listed = await call(node, 'GET', `/v1/webhooks/${id}/deliveries`);
    expect(listed.body.deliveries.map((d: { status: string; attempts: number }) => [d.status, d.attempts])).toEqual([
      ['delivered', 1],
      ['delivered', 2],
    ]);
    // The restarted node made both of its attempts, and says so to Prometheus.
    const metrics = await (await fetch(`${node.base}/metrics`)).text();
    expect(metrics).toMatch(/^ledger_webhook_attempts_total\{outcome="delivered"\} 2$/m);
  }, 150_000);
});
