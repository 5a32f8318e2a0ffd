import * as E from 'fp-ts/Either';
import fc from 'fast-check';
import { codecsOf, commandRoutes } from '../../src/api/commandRoutes';
import { pathParamNames } from '../../src/api/pathTemplate';
import { malformed } from '../support/malformed';
import { send, startServer, TestServer } from './support/ledgerServer';

const NOW = new Date('2026-04-15T12:00:00.000Z');
const RUNS = 200;

/** A valid body per command, to mutate; ids of an existing profile and user. */
const validBodies: Record<string, Record<string, unknown>> = {
  DefineTier: { tier: 'PRO_MAX', name: 'Pro Max', credits: '5000', price: '100.00', fromMonth: '2026-06' },
  CreateProfile: { profileId: 'p-2', accountId: '222233334444', region: 'eu-central-1' },
  Subscribe: { userId: 'bob', tier: 'PRO' },
  Unsubscribe: { groupId: 'g-1' },
  Upgrade: { tier: 'POWER' },
  Downgrade: { tier: 'PRO' },
  SetOverage: { enabled: true },
  ConsumeCredits: { userId: 'alice', credits: '1', requestId: 'r-1' },
  IssueCredit: { lineId: 'p-1~2026-03~alice~1', amount: '1.00', reason: 'goodwill' },
};
const pathIds: Record<string, string> = { profileId: 'p-1', userId: 'alice' };

describe('fuzz: malformed bodies on every command route', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ clock: () => NOW });
    expect((await send(server, { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1' })).status).toBe(201);
    expect((await send(server, { type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO' })).status).toBe(201);
  });
  afterAll(() => server.close());

  test.each(commandRoutes.map((r) => [r.command, r] as const))('%s: no 5xx, an error code each time, nothing appended', async (_command, route) => {
    const codec = codecsOf(route).body;
    const path = pathParamNames(route.path).reduce((p, id) => p.replace(`{${id}}`, pathIds[id] as string), route.path);
    const before = await server.store.headPosition();
    await fc.assert(
      fc.asyncProperty(
        // Only bodies the command's codec rejects: a valid one could rightly append.
        malformed(validBodies[route.command] as Record<string, unknown>).filter((raw) => {
          try {
            return E.isLeft(codec.decode(JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8'))));
          } catch {
            return true;
          }
        }),
        async (raw) => {
          const answer = await server.request(route.method, path, { raw });
          expect(answer.status).toBeGreaterThanOrEqual(400);
          expect(answer.status).toBeLessThan(500);
          expect(typeof answer.body?.error?.code).toBe('string');
        },
      ),
      { numRuns: RUNS },
    );
    expect(await server.store.headPosition()).toBe(before);
  });
});
