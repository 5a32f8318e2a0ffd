import { DEFAULT_MAX_ATTEMPTS } from '../../src/commands/commandHandler';
import { conflict } from '../../src/store/eventStore';
import { HttpAnswer, send, startServer, TestServer, withAppend } from './support/ledgerServer';

const NOW = new Date('2026-04-15T12:00:00.000Z');
let server: TestServer;
let profiles = 0;

beforeAll(async () => {
  server = await startServer({ clock: () => NOW });
});
afterAll(() => server.close());

/** A profile of its own for each case, so that cases do not depend on each other. */
const newProfile = async (): Promise<string> => {
  profiles += 1;
  const profileId = `p-${profiles}`;
  const answer = await send(server, { type: 'CreateProfile', profileId, accountId: String(100000000000 + profiles), region: 'us-east-1' });
  expect(answer.status).toBe(201);
  return profileId;
};

const ok = async (command: Record<string, unknown>) => expect((await send(server, command)).status).toBeLessThan(300);

/** The answer, and how many events the store gained meanwhile. */
const appendedBy = async (act: () => Promise<HttpAnswer>): Promise<[HttpAnswer, number]> => {
  const before = await server.store.headPosition();
  const answer = await act();
  return [answer, (await server.store.headPosition()) - before];
};

describe('commands: success', () => {
  const cases: ReadonlyArray<[string, number, (p: string) => Promise<Record<string, unknown>>, string]> = [
    ['CreateProfile', 201, async () => ({ type: 'CreateProfile', profileId: 'p-new', accountId: '999988887777', region: 'eu-central-1', name: 'Frankfurt' }), 'ProfileCreated'],
    ['DefineTier', 201, async () => ({ type: 'DefineTier', tier: 'PRO_MAX', name: 'Pro Max', credits: '5000', price: '100.00', fromMonth: '2026-06' }), 'TierDefined'],
    ['Subscribe', 201, async (p) => ({ type: 'Subscribe', profileId: p, userId: 'alice', groupId: 'g-1', tier: 'PRO' }), 'UserSubscribed'],
    ['Unsubscribe', 200, async (p) => (await ok({ type: 'Subscribe', profileId: p, userId: 'alice', tier: 'PRO' }), { type: 'Unsubscribe', profileId: p, userId: 'alice' }), 'UserUnsubscribed'],
    ['Upgrade', 200, async (p) => (await ok({ type: 'Subscribe', profileId: p, userId: 'alice', tier: 'PRO' }), { type: 'Upgrade', profileId: p, userId: 'alice', tier: 'POWER' }), 'SubscriptionUpgraded'],
    ['Downgrade', 200, async (p) => (await ok({ type: 'Subscribe', profileId: p, userId: 'alice', tier: 'POWER' }), { type: 'Downgrade', profileId: p, userId: 'alice', tier: 'PRO' }), 'SubscriptionDowngraded'],
    ['SetOverage', 200, async (p) => ({ type: 'SetOverage', profileId: p, enabled: true }), 'OverageSet'],
    ['ConsumeCredits', 201, async (p) => (await ok({ type: 'Subscribe', profileId: p, userId: 'alice', tier: 'PRO' }), { type: 'ConsumeCredits', profileId: p, userId: 'alice', credits: '12.50', requestId: 'r-1' }), 'CreditsConsumed'],
  ];
  test.each(cases)('%s answers %d with the events it appended', async (_name, status, build, type) => {
    const command = await build(await newProfile());
    const [answer, appended] = await appendedBy(() => send(server, command));
    expect(answer.status).toBe(status);
    expect(answer.body.events).toHaveLength(1);
    const [event] = answer.body.events;
    expect(Object.keys(event).sort()).toEqual(['data', 'eventId', 'occurredAt', 'position', 'streamId', 'type']);
    expect(event.type).toBe(type);
    expect(event.occurredAt).toBe(NOW.toISOString());
    expect(event.data.occurredAt).toBe(event.occurredAt);
    expect(appended).toBe(1);
    const stored = await server.store.readStream(event.streamId, { fromRevision: event.position, limit: 1 });
    expect(stored[0]?.eventId).toBe(event.eventId);
    expect(stored[0]?.metadata).toMatchObject({ actor: 'local' });
  });

  test('occurredAt from the body is the event instant', async () => {
    const p = await newProfile();
    const answer = await send(server, { type: 'Subscribe', profileId: p, userId: 'alice', tier: 'PRO', occurredAt: '2026-04-15T12:01:00Z' });
    expect(answer.body.events[0].occurredAt).toBe('2026-04-15T12:01:00.000Z');
  });
});

describe('commands: every error of section 7 appends nothing', () => {
  const cases: ReadonlyArray<[string, number, (p: string) => Promise<Record<string, unknown>>]> = [
    ['PERIOD_STARTED', 422, async () => ({ type: 'DefineTier', tier: 'PRO', name: 'Pro', credits: '1000', price: '30.00', fromMonth: '2026-04' })],
    ['PROFILE_EXISTS', 409, async (p) => ({ type: 'CreateProfile', profileId: p, accountId: '555566667777', region: 'us-west-2' })],
    ['PROFILE_NOT_FOUND', 404, async () => ({ type: 'Subscribe', profileId: 'p-nowhere', userId: 'alice', tier: 'PRO' })],
    ['UNKNOWN_TIER', 422, async (p) => ({ type: 'Subscribe', profileId: p, userId: 'alice', tier: 'ULTRA' })],
    ['ALREADY_SUBSCRIBED', 409, async (p) => (await ok({ type: 'Subscribe', profileId: p, userId: 'alice', tier: 'PRO' }), { type: 'Subscribe', profileId: p, userId: 'alice', tier: 'PRO' })],
    ['NOT_SUBSCRIBED', 422, async (p) => ({ type: 'Unsubscribe', profileId: p, userId: 'bob', groupId: 'g-1' })],
    ['NOT_AN_UPGRADE', 422, async (p) => (await ok({ type: 'Subscribe', profileId: p, userId: 'alice', tier: 'POWER' }), { type: 'Upgrade', profileId: p, userId: 'alice', tier: 'PRO' })],
    ['NOT_A_DOWNGRADE', 422, async (p) => (await ok({ type: 'Subscribe', profileId: p, userId: 'alice', tier: 'PRO' }), { type: 'Downgrade', profileId: p, userId: 'alice', tier: 'POWER' })],
    ['CREDITS_EXHAUSTED', 422, async (p) => (await ok({ type: 'Subscribe', profileId: p, userId: 'alice', tier: 'PRO' }), { type: 'ConsumeCredits', profileId: p, userId: 'alice', credits: '1000.01', requestId: 'r-1' })],
    [
      'REQUEST_ID_REUSED',
      422,
      async (p) => (
        await ok({ type: 'Subscribe', profileId: p, userId: 'alice', tier: 'PRO' }),
        await ok({ type: 'ConsumeCredits', profileId: p, userId: 'alice', credits: '1', requestId: 'r-1' }),
        { type: 'ConsumeCredits', profileId: p, userId: 'alice', credits: '2', requestId: 'r-1' }
      ),
    ],
    ['OUT_OF_ORDER', 409, async (p) => ({ type: 'Subscribe', profileId: p, userId: 'alice', tier: 'PRO', occurredAt: '2026-04-01T00:00:00Z' })],
    ['VALIDATION', 400, async (p) => ({ type: 'SetOverage', profileId: p, enabled: 'yes' })],
  ];
  test.each(cases)('%s is %d', async (code, status, build) => {
    const command = await build(await newProfile());
    const [answer, appended] = await appendedBy(() => send(server, command));
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ error: { code, message: expect.any(String) } });
    expect(appended).toBe(0);
  });
});

describe('commands: malformed requests', () => {
  const cases: ReadonlyArray<[string, string, string, { body?: unknown; raw?: string | Uint8Array; headers?: Record<string, string> }, number, string, RegExp]> = [
    ['a missing field', 'POST', '/v1/profiles/p-1/subscriptions', { body: { userId: 'bob' } }, 400, 'VALIDATION', /^tier: is required/],
    ['a field of the wrong format', 'POST', '/v1/profiles/p-1/usage', { body: { userId: 'bob', credits: '1.234', requestId: 'r' } }, 400, 'VALIDATION', /^credits: must be .*"1\.234"/],
    ['an unknown field', 'POST', '/v1/profiles/p-1/subscriptions', { body: { userId: 'bob', tier: 'PRO', color: 'red' } }, 400, 'VALIDATION', /^color: unknown field/],
    ['a body field repeating a path id', 'POST', '/v1/profiles/p-1/subscriptions', { body: { profileId: 'p-1', userId: 'bob', tier: 'PRO' } }, 400, 'VALIDATION', /^profileId: unknown field/],
    ['a bad path id', 'POST', '/v1/profiles/bad%20id/subscriptions', { body: { userId: 'bob', tier: 'PRO' } }, 400, 'VALIDATION', /^profileId: must be/],
    ['occurredAt ahead of the server clock', 'PUT', '/v1/profiles/p-1/overage', { body: { enabled: true, occurredAt: '2026-04-15T12:06:00Z' } }, 400, 'VALIDATION', /^occurredAt: /],
    ['a JSON array', 'PUT', '/v1/profiles/p-1/overage', { body: [1] }, 400, 'VALIDATION', /^body: must be a JSON object/],
    ['broken JSON', 'PUT', '/v1/profiles/p-1/overage', { raw: '{"enabled":' }, 400, 'VALIDATION', /^body: is not valid JSON/],
    ['an empty body', 'PUT', '/v1/profiles/p-1/overage', { raw: '' }, 400, 'VALIDATION', /^body: must be a JSON object, got nothing/],
    ['no body at all', 'PUT', '/v1/profiles/p-1/overage', {}, 400, 'VALIDATION', /^body: must be a JSON object/],
    ['bytes that are not UTF-8', 'PUT', '/v1/profiles/p-1/overage', { raw: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }, 400, 'VALIDATION', /UTF-8/],
    ['deep nesting', 'PUT', '/v1/profiles/p-1/overage', { raw: `${'['.repeat(5000)}${']'.repeat(5000)}` }, 400, 'VALIDATION', /nested deeper/],
    ['a __proto__ key', 'PUT', '/v1/profiles/p-1/overage', { raw: '{"enabled":true,"__proto__":{"polluted":1}}' }, 400, 'VALIDATION', /^__proto__: unknown field/],
    ['a repeated field (issue 17: the last would win)', 'POST', '/v1/profiles/p-1/usage', { raw: '{"userId":"bob","credits":"1","credits":"900","requestId":"r"}' }, 400, 'VALIDATION', /^credits: appears more than once/],
    ['a constructor key', 'PUT', '/v1/profiles/p-1/overage', { raw: '{"enabled":true,"constructor":{"prototype":{"polluted":1}}}' }, 400, 'VALIDATION', /^constructor: unknown field/],
    ['a huge string', 'POST', '/v1/profiles/p-1/subscriptions', { body: { userId: 'x'.repeat(60000), tier: 'PRO' } }, 400, 'VALIDATION', /^userId: must be/],
    ['a body over 64 KiB', 'POST', '/v1/profiles', { body: { profileId: 'x'.repeat(70000) } }, 413, 'PAYLOAD_TOO_LARGE', /limit/],
    ['text/plain', 'PUT', '/v1/profiles/p-1/overage', { raw: '{"enabled":true}', headers: { 'content-type': 'text/plain' } }, 415, 'UNSUPPORTED_MEDIA_TYPE', /application\/json/],
    ['a form', 'PUT', '/v1/profiles/p-1/overage', { raw: 'enabled=true', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'UNSUPPORTED_MEDIA_TYPE', /application\/json/],
    ['an Idempotency-Key over 200 characters', 'PUT', '/v1/profiles/p-1/overage', { body: { enabled: true }, headers: { 'idempotency-key': 'k'.repeat(201) } }, 400, 'VALIDATION', /^Idempotency-Key: /],
    ['an unknown route', 'POST', '/v1/profile', { body: {} }, 404, 'NOT_FOUND', /no route/],
    ['an unknown method', 'DELETE', '/v1/profiles/p-1/overage', {}, 404, 'NOT_FOUND', /no route/],
    ['a bad percent-encoding', 'POST', '/v1/profiles/%E0%A4%A/subscriptions', { body: {} }, 400, 'VALIDATION', /url/],
  ];
  test.each(cases)('%s', async (_name, method, path, options, status, code, message) => {
    const [answer, appended] = await appendedBy(() => server.request(method, path, options));
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
    expect(answer.body.error.message).toMatch(message);
    expect(answer.text).not.toMatch(/\n\s+at /);
    expect(appended).toBe(0);
  });

  test('prototypes stay clean', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('CONFLICT', () => {
  test('is 409 once the handler has given up, and is not kept for the idempotency key', async () => {
    let conflicts = DEFAULT_MAX_ATTEMPTS;
    const flaky = await startServer({
      clock: () => NOW,
      wrapStore: (store) =>
        withAppend(store, (streamId, events, options) =>
          streamId.endsWith('/lifecycle') && conflicts-- > 0 ? Promise.resolve(conflict(streamId, options.expectedRevision, 99)) : store.append(streamId, events, options),
        ),
    });
    try {
      expect((await send(flaky, { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1' })).status).toBe(201);
      const subscribe = { type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO' };
      const first = await send(flaky, subscribe, { 'idempotency-key': 'k-conflict' });
      expect(first.status).toBe(409);
      expect(first.body.error.code).toBe('CONFLICT');
      const retry = await send(flaky, subscribe, { 'idempotency-key': 'k-conflict' });
      expect(retry.status).toBe(201);
    } finally {
      await flaky.close();
    }
  });
});
