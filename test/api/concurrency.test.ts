import { send, startServer, TestServer } from './support/ledgerServer';

const NOW = new Date('2026-04-15T12:00:00.000Z');

describe('50 concurrent commands on one profile', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ clock: () => NOW });
    expect((await send(server, { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1' })).status).toBe(201);
    expect((await send(server, { type: 'Subscribe', profileId: 'p-1', userId: 'heavy', tier: 'POWER' })).status).toBe(201);
  });
  afterAll(() => server.close());

  test('are all acknowledged, and all in the events query, page by page', async () => {
    // Subscriptions (the lifecycle stream) and credit requests (the usage stream) interleaved.
    const commands = Array.from({ length: 50 }, (_, i) =>
      i % 2 === 0
        ? { type: 'Subscribe', profileId: 'p-1', userId: `user-${i}`, tier: 'PRO' }
        : { type: 'ConsumeCredits', profileId: 'p-1', userId: 'heavy', credits: '1.25', requestId: `r-${i}` },
    );
    const answers = await Promise.all(commands.map((c) => send(server, c)));
    expect(answers.map((a) => a.status)).toEqual(commands.map(() => 201));
    const acknowledged = answers.flatMap((a) => a.body.events.map((e: { eventId: string }) => e.eventId));
    expect(new Set(acknowledged).size).toBe(50);

    const listed: string[] = [];
    let after: number | null | undefined;
    let pages = 0;
    do {
      const page = await server.request('GET', `/v1/profiles/p-1/events?limit=20${after === undefined ? '' : `&after=${after}`}`);
      expect(page.status).toBe(200);
      listed.push(...page.body.events.map((e: { eventId: string }) => e.eventId));
      after = page.body.next;
      pages += 1;
    } while (after !== null);
    expect(pages).toBe(3);
    expect(listed).toHaveLength(51);
    expect(listed).toEqual(expect.arrayContaining(acknowledged));

    const statement = await server.request('GET', '/v1/profiles/p-1/statements/2026-04');
    expect(statement.body.users.find((u: { userId: string }) => u.userId === 'heavy').creditsUsed).toBe('31.25');
  });
});
