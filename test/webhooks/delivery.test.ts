import { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server';
import { LedgerService } from '../../src/app/ledgerService';
import { EventStore } from '../../src/store/eventStore';
import { openStore } from '../../src/store/openStore';
import { DeliveryWorker } from '../../src/webhooks/deliveryWorker';
import { httpSend } from '../../src/webhooks/webhookSender';
import { WebhookRegistry } from '../../src/webhooks/webhookRegistry';
import { Receiver, startReceiver } from './receiver';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const ALL_TYPES = ['statement.sealed', 'credit.issued', 'credits.threshold', 'overage.started'];

/** A ledger and its webhooks in this process, on a clock the test moves: the retry schedule without waiting hours. */
interface World {
  readonly store: EventStore;
  readonly ledger: LedgerService;
  readonly app: FastifyInstance;
  readonly worker: DeliveryWorker;
  now: Date;
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<{ status: number; body: any }>;
  /** Passes of the worker until nothing is in flight, `n` times. */
  run(n?: number): Promise<void>;
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

const startWorld = async (bounds: { ringSize?: number; queueSize?: number } = {}): Promise<World> => {
  const storeUrl = 'sqlite::memory:';
  const store = await openStore(storeUrl);
  const world = { now: new Date('2026-04-01T08:00:00.000Z') } as World;
  const clock = () => world.now;
  const ledger = await new LedgerService(store, { clock }).open();
  const policy = { allowPrivate: true };
  const registry = new WebhookRegistry(store, policy, clock);
  const app = buildServer(ledger, { webhooks: registry });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const worker = new DeliveryWorker(store, registry, { node: 'node-a', clock, send: httpSend(policy, 15_000), ...bounds, onError: (e) => { throw e; } });
  return Object.assign(world, {
    store,
    ledger,
    app,
    worker,
    call: async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => {
      const r = await fetch(`${base}${url}`, {
        method,
        ...(payload === undefined ? {} : { body: JSON.stringify(payload), headers: { 'content-type': 'application/json' } }),
      });
      return { status: r.status, body: await r.json() };
    },
    run: async (n = 6) => {
      for (let i = 0; i < n; i++) {
        await worker.runOnce();
        await worker.settled();
      }
    },
    advance: async (ms: number) => {
      world.now = new Date(world.now.getTime() + ms);
      await world.run();
    },
    close: async () => {
      await worker.stop();
      await app.close();
      await store.close();
    },
  });
};

const at = (day: number, hour = 9) => `2026-04-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.000Z`;

/** Commands dated as they happen: the clock follows each one. */
const command = async (w: World, method: 'POST' | 'PUT', url: string, payload: Record<string, unknown>) => {
  w.now = new Date(String(payload.occurredAt));
  const r = await w.call(method, url, payload);
  if (r.status >= 300) throw new Error(`${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
};

const register = async (w: World, receiver: Receiver, extra: Record<string, unknown> = {}): Promise<string> => {
  const r = await w.call('POST', '/v1/webhooks', { url: receiver.url, events: ALL_TYPES, ...extra });
  expect(r.status).toBe(201);
  expect(r.body.secret).toMatch(/^whsec_/);
  receiver.secret = r.body.secret;
  return r.body.id;
};

const profileWithUser = async (w: World, profileId: string, accountId = ACCOUNT) => {
  await command(w, 'POST', '/v1/profiles', { profileId, accountId, region: 'us-east-1', occurredAt: at(1, 9) });
  await command(w, 'POST', `/v1/profiles/${profileId}/subscriptions`, { userId: 'alice', tier: 'PRO', occurredAt: at(1, 10) });
};

describe('webhook delivery to a real receiver on 127.0.0.1', () => {
  let w: World;
  let receiver: Receiver;
  beforeEach(async () => {
    w = await startWorld();
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await w.close();
    await receiver.close();
  });

  it('sends every type once per fact, in log order, signed over the exact bytes', async () => {
    const id = await register(w, receiver);
    await profileWithUser(w, 'p-1');
    await command(w, 'PUT', '/v1/profiles/p-1/overage', { enabled: true, occurredAt: at(1, 11) });
    await command(w, 'POST', '/v1/profiles/p-1/usage', { userId: 'alice', credits: '800', requestId: 'r-1', occurredAt: at(2) });
    await command(w, 'POST', '/v1/profiles/p-1/usage', { userId: 'alice', credits: '200', requestId: 'r-2', occurredAt: at(3) });
    await command(w, 'POST', '/v1/profiles/p-1/usage', { userId: 'alice', credits: '1', requestId: 'r-3', occurredAt: at(4) });
    await command(w, 'POST', '/v1/profiles/p-1/usage', { userId: 'alice', credits: '1', requestId: 'r-4', occurredAt: at(5) });
    // April ends: the seal (F2) once the delay has passed, then a credit note on April's charge (N1).
    w.now = new Date('2026-05-01T00:30:00.000Z');
    expect(await w.ledger.sealDue(10 * 60_000)).toEqual({ sealed: 1, sealedElsewhere: 0 });
    await command(w, 'POST', '/v1/profiles/p-1/credits', { lineId: 'p-1~2026-04~alice~1', amount: '5.00', reason: 'goodwill', occurredAt: '2026-05-02T09:00:00.000Z' });
    const april = await w.call('GET', '/v1/profiles/p-1/statements/2026-04');
    await w.run();
    // A replay or a second look finds nothing new.
    await w.run();
    expect(receiver.received.map((r) => [r.type, r.data.percent])).toEqual([
      ['credits.threshold', 80],
      ['credits.threshold', 100],
      ['overage.started', undefined],
      ['statement.sealed', undefined],
      ['credit.issued', undefined],
    ]);
    expect(receiver.received.every((r) => r.signatureValid)).toBe(true);
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(5);
    expect(receiver.received[2]?.data).toMatchObject({ profileId: 'p-1', accountId: ACCOUNT, userId: 'alice', month: '2026-04', used: '1001.00', allowance: '1000.00', overage: '1.00' });
    expect(receiver.received[3]?.data).toMatchObject({ profileId: 'p-1', month: '2026-04', total: april.body.total, sha256: april.body.seal.sha256, chainHash: april.body.seal.chainHash });
    expect(receiver.received[4]?.data).toMatchObject({ profileId: 'p-1', userId: 'alice', lineId: 'p-1~2026-04~alice~1', month: '2026-04', tier: 'PRO', amount: '5.00', reason: 'goodwill' });
    const deliveries = await w.call('GET', `/v1/webhooks/${id}/deliveries`);
    expect(deliveries.body.deliveries.map((d: { status: string; attempts: number }) => [d.status, d.attempts])).toEqual(Array(5).fill(['delivered', 1]));
  });

  it('a receiver answering 500 three times then 200 gets the message four times with one webhook-id, on the schedule', async () => {
    const id = await register(w, receiver);
    await profileWithUser(w, 'p-1');
    let calls = 0;
    receiver.answer = () => (++calls <= 3 ? 500 : 200);
    await command(w, 'POST', '/v1/profiles/p-1/usage', { userId: 'alice', credits: '850', requestId: 'r-1', occurredAt: at(2) });
    await w.run();
    expect(receiver.received).toHaveLength(1);
    await w.advance(4_000); // 5 s not yet passed
    expect(receiver.received).toHaveLength(1);
    await w.advance(1_000);
    expect(receiver.received).toHaveLength(2);
    await w.advance(5 * 60_000 - 1);
    expect(receiver.received).toHaveLength(2);
    await w.advance(1);
    expect(receiver.received).toHaveLength(3);
    const retrying = await w.call('GET', `/v1/webhooks/${id}/deliveries`);
    expect(retrying.body.deliveries[0]).toMatchObject({ status: 'retrying', attempts: 3, lastStatus: 500, nextAt: new Date(w.now.getTime() + 30 * 60_000).toISOString() });
    await w.advance(30 * 60_000);
    await w.advance(24 * 3600_000);
    expect(receiver.received).toHaveLength(4);
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(1);
    expect(receiver.received.every((r) => r.signatureValid && r.body === receiver.received[0]?.body)).toBe(true);
    const delivered = await w.call('GET', `/v1/webhooks/${id}/deliveries`);
    expect(delivered.body.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 4, lastStatus: 200, nextAt: null });
  });

  it('an endpoint of another account never receives this account’s messages', async () => {
    const other = await startReceiver();
    try {
      await register(w, receiver, { accountId: ACCOUNT });
      await register(w, other, { accountId: OTHER });
      await profileWithUser(w, 'p-1', ACCOUNT);
      await command(w, 'POST', '/v1/profiles/p-1/usage', { userId: 'alice', credits: '900', requestId: 'r-1', occurredAt: at(2) });
      await command(w, 'POST', '/v1/profiles', { profileId: 'p-2', accountId: OTHER, region: 'us-east-1', occurredAt: at(3) });
      await command(w, 'POST', '/v1/profiles/p-2/subscriptions', { userId: 'bob', tier: 'PRO', occurredAt: at(3, 10) });
      await command(w, 'POST', '/v1/profiles/p-2/usage', { userId: 'bob', credits: '1000', requestId: 'r-1', occurredAt: at(4) });
      await w.run();
      expect(receiver.received.map((r) => [r.data.profileId, r.data.percent])).toEqual([['p-1', 80]]);
      expect(other.received.map((r) => [r.data.profileId, r.data.percent])).toEqual([
        ['p-2', 80],
        ['p-2', 100],
      ]);
    } finally {
      await other.close();
    }
  });

  it('a message failing every attempt is marked failed after the 10th; 5 days of failures disable the endpoint; redeliver sends again and enables it', async () => {
    const id = await register(w, receiver);
    await profileWithUser(w, 'p-1');
    receiver.answer = () => 503;
    await command(w, 'POST', '/v1/profiles/p-1/usage', { userId: 'alice', credits: '800', requestId: 'r-1', occurredAt: at(2) });
    await command(w, 'POST', '/v1/profiles/p-1/usage', { userId: 'alice', credits: '200', requestId: 'r-2', occurredAt: at(2, 10) });
    await w.run();
    for (let hour = 0; hour < 24 * 6; hour++) await w.advance(3600_000);
    const ids = [...new Set(receiver.received.map((r) => r.id))];
    expect(ids).toHaveLength(2);
    expect(receiver.received.filter((r) => r.id === ids[0])).toHaveLength(10);
    const listed = await w.call('GET', `/v1/webhooks/${id}/deliveries`);
    expect(listed.body.status).toBe('disabled');
    expect(listed.body.deliveries[1]).toMatchObject({ messageId: ids[0], status: 'failed', attempts: 10 });
    const sentBefore = receiver.received.length;
    await w.advance(24 * 3600_000);
    expect(receiver.received).toHaveLength(sentBefore);

    receiver.answer = () => 200;
    const again = await w.call('POST', `/v1/webhooks/${id}/redeliver`, { messageId: ids[0] });
    expect(again.status).toBe(200);
    await w.run();
    expect(receiver.received.slice(sentBefore).map((r) => r.id)).toEqual(ids);
    expect((await w.call('GET', '/v1/webhooks')).body.webhooks[0]).toMatchObject({ id, status: 'active' });
  });
});

describe('an endpoint far behind the log', () => {
  it('is served from a bounded queue refilled from the log: every message once, in order', async () => {
    // A ring of 3 recent messages and a queue of 2: 12 messages put the endpoint behind the ring at once.
    const w = await startWorld({ ringSize: 3, queueSize: 2 });
    const receiver = await startReceiver();
    try {
      await register(w, receiver);
      await command(w, 'POST', '/v1/profiles', { profileId: 'p-1', accountId: ACCOUNT, region: 'us-east-1', occurredAt: at(1, 9) });
      await command(w, 'PUT', '/v1/profiles/p-1/overage', { enabled: true, occurredAt: at(1, 9) });
      const users = ['u1', 'u2', 'u3', 'u4'];
      for (const userId of users) await command(w, 'POST', '/v1/profiles/p-1/subscriptions', { userId, tier: 'PRO', occurredAt: at(1, 10) });
      for (const userId of users) await command(w, 'POST', '/v1/profiles/p-1/usage', { userId, credits: '1001', requestId: userId, occurredAt: at(2) });
      await w.run(20);
      expect(receiver.received.map((r) => `${r.data.userId} ${r.type}${r.data.percent ?? ''}`)).toEqual(
        users.flatMap((u) => [`${u} credits.threshold80`, `${u} credits.threshold100`, `${u} overage.started`]),
      );
    } finally {
      await w.close();
      await receiver.close();
    }
  });
});

describe('webhook registration', () => {
  let w: World;
  beforeEach(async () => {
    w = await startWorld();
  });
  afterEach(() => w.close());

  it('lists endpoints without their secret, deletes them, and refuses what is malformed', async () => {
    const created = await w.call('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['credit.issued'] });
    expect(created.status).toBe(201);
    const list = await w.call('GET', '/v1/webhooks');
    expect(list.body.webhooks).toEqual([
      { id: created.body.id, url: 'http://127.0.0.1:9/hook', events: ['credit.issued'], accountId: null, createdAt: expect.any(String), status: 'active', disabledAt: null },
    ]);
    expect(JSON.stringify(list.body)).not.toContain(created.body.secret);
    expect((await w.call('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/', events: ['nope'] })).body.error.code).toBe('VALIDATION');
    expect((await w.call('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/', events: [] })).body.error.code).toBe('VALIDATION');
    expect((await w.call('POST', '/v1/webhooks', { url: 'not a url', events: ['credit.issued'] })).body.error.code).toBe('VALIDATION');
    expect((await w.call('DELETE', `/v1/webhooks/${created.body.id}`)).status).toBe(200);
    expect((await w.call('GET', '/v1/webhooks')).body.webhooks).toEqual([]);
    expect((await w.call('DELETE', `/v1/webhooks/${created.body.id}`)).body.error.code).toBe('WEBHOOK_NOT_FOUND');
  });
});

describe('the URL policy without --allow-http-webhooks', () => {
  it.each([
    ['http://example.com/hook', /must be https/],
    ['https://127.0.0.1/hook', /loopback/],
    ['https://10.0.0.7/hook', /private/],
    ['https://169.254.169.254/latest/meta-data', /linkLocal/],
    ['https://[::ffff:127.0.0.1]/hook', /loopback/],
    ['https://[fd00::1]/hook', /uniqueLocal/],
    ['https://localhost/hook', /loopback/],
  ])('refuses %s', async (url, why) => {
    const store = await openStore('memory:');
    const registry = new WebhookRegistry(store, { allowPrivate: false });
    const r = await registry.register({ url, events: ['credit.issued'], accountId: null }, { actor: 'test' });
    expect(r).toMatchObject({ _tag: 'Left', left: { code: 'URL_NOT_ALLOWED', message: expect.stringMatching(why) } });
    await store.close();
  });

  it('does not connect to a private address a public-looking name resolves to at send time, nor follow a redirect', async () => {
    const receiver = await startReceiver();
    try {
      const send = httpSend({ allowPrivate: false }, 15_000);
      const refused = await send({ url: receiver.url.replace('127.0.0.1', 'localhost'), secret: 'whsec_' + 'A'.repeat(32), messageId: 'msg_x', body: '{}', at: new Date() });
      expect(refused).toMatchObject({ status: null, error: expect.stringMatching(/loopback/) });
      expect(receiver.received).toHaveLength(0);
      receiver.secret = 'whsec_' + 'A'.repeat(32);
      receiver.answer = () => 302;
      const redirected = await httpSend({ allowPrivate: true }, 15_000)({ url: receiver.url, secret: receiver.secret, messageId: 'msg_x', body: '{}', at: new Date() });
      expect(redirected).toEqual({ status: 302, error: null });
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });
});
