import { send, startServer, TestServer } from './support/ledgerServer';

/** api.md "Test clock": `Test-Clock-Now` moves the clock instead of `occurredAt`; `GET /v1/test-clock` answers it. */
const profile = { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1' };

describe('under --test-clock', () => {
  let server: TestServer;
  beforeEach(async () => (server = await startServer({ testClock: true })));
  afterEach(() => server.close());

  test('Test-Clock-Now moves the clock, and a command may be dated up to 5 minutes ahead of it', async () => {
    expect((await server.request('GET', '/v1/test-clock')).body).toEqual({ now: '1970-01-01T00:00:00.000Z' });
    expect((await send(server, { ...profile, occurredAt: '2026-04-30T23:00:00Z' })).status).toBe(201);
    expect((await server.request('GET', '/v1/test-clock')).body).toEqual({ now: '2026-04-30T23:00:00.000Z' });
    const ahead = { type: 'Subscribe', profileId: 'p-1', userId: 'carol', tier: 'PRO', occurredAt: '2026-05-01T00:02:00Z' };
    expect((await send(server, ahead, { 'Test-Clock-Now': '2026-04-30T23:58:00Z' })).status).toBe(201);
    // The clock is the header's, not the command's date: April is still open.
    expect((await server.request('GET', '/v1/test-clock')).body).toEqual({ now: '2026-04-30T23:58:00.000Z' });
    expect((await server.request('GET', '/v1/profiles/p-1/statements/2026-04')).body.status).toBe('open');
    const tooFar = await send(server, { ...ahead, userId: 'dave', occurredAt: '2026-05-01T00:04:00Z' }, { 'Test-Clock-Now': '2026-04-30T23:58:30Z' });
    expect(tooFar.status).toBe(400);
    expect(tooFar.body.error.code).toBe('VALIDATION');
    expect(tooFar.body.error.message).toContain('5 minutes');
  });

  test('the clock never goes back, and a malformed or repeated header is VALIDATION', async () => {
    await send(server, { ...profile, occurredAt: '2026-04-10T00:00:00Z' });
    await send(server, { type: 'SetOverage', profileId: 'p-1', enabled: true, occurredAt: '2026-04-10T00:00:00Z' }, { 'Test-Clock-Now': '2026-04-01T00:00:00Z' });
    expect((await server.request('GET', '/v1/test-clock')).body).toEqual({ now: '2026-04-10T00:00:00.000Z' });
    const bad = await send(server, { type: 'SetOverage', profileId: 'p-1', enabled: false }, { 'Test-Clock-Now': 'yesterday' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'VALIDATION' });
    expect(bad.body.error.message).toContain('Test-Clock-Now');
  });
});

test('without --test-clock the header is 400 VALIDATION and appends nothing; GET /v1/test-clock is no route', async () => {
  const server = await startServer({ clock: () => new Date('2026-04-30T23:58:00Z') });
  try {
    const before = await server.store.headPosition();
    const answer = await send(server, profile, { 'Test-Clock-Now': '2026-04-30T23:58:00Z' });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('VALIDATION');
    expect(answer.body.error.message).toContain('--test-clock');
    expect(await server.store.headPosition()).toBe(before);
    expect((await server.request('GET', '/v1/test-clock')).status).toBe(404);
  } finally {
    await server.close();
  }
});
