import * as E from 'fp-ts/Either';
import { NewToken, TokenRegistry } from '../../../src/auth/tokenRegistry';
import { send, startServer, TestServer } from './ledgerServer';

/**
 * The history the credit-note and preview tests share: profiles p-mine (account MINE) and p-other
 * (OTHER), alice on PRO_PLUS from March with overage on and 2,500 credits used in March (so March's
 * line 2 is an OVERAGE line); the clock at NOW, April 10, with March final. Tokens: admin (all
 * accounts), admin-of-mine, ops (operator) and reader, the last three of MINE only.
 */
export const MINE = '111122223333';
export const OTHER = '444455556666';
export const NOW = new Date('2026-04-10T12:00:00.000Z');

export const startCreditHistory = async (): Promise<{ readonly server: TestServer; readonly tokens: Readonly<Record<string, string>> }> => {
  let now = NOW;
  const server = await startServer({ clock: () => now });
  const registry = new TokenRegistry(server.store);
  const tokens: Record<string, string> = {};
  const newToken = async (token: NewToken) => {
    const r = await registry.create(token, { actor: 'test' });
    if (E.isLeft(r)) throw new Error(r.left.message);
    tokens[token.name] = r.right.token;
  };
  await newToken({ name: 'admin', role: 'admin', accounts: 'all', rate: 10_000 });
  await newToken({ name: 'admin-of-mine', role: 'admin', accounts: [MINE], rate: 10_000 });
  await newToken({ name: 'ops', role: 'operator', accounts: [MINE], rate: 10_000 });
  await newToken({ name: 'reader', role: 'reader', accounts: [MINE], rate: 10_000 });
  for (const [profileId, accountId] of [['p-mine', MINE], ['p-other', OTHER]] as const) {
    for (const c of [
      { type: 'CreateProfile', profileId, accountId, region: 'us-east-1', occurredAt: '2026-03-01T09:00:00Z' },
      { type: 'Subscribe', profileId, userId: 'alice', tier: 'PRO_PLUS', occurredAt: '2026-03-01T09:05:00Z' },
      { type: 'SetOverage', profileId, enabled: true, occurredAt: '2026-03-10T09:00:00Z' },
      { type: 'ConsumeCredits', profileId, userId: 'alice', credits: '2500', requestId: 'r-1', occurredAt: '2026-03-12T09:00:00Z' },
    ]) {
      now = new Date(c.occurredAt);
      const answer = await send(server, c, { authorization: `Bearer ${tokens.admin}` });
      if (answer.status >= 300) throw new Error(`history: ${JSON.stringify(c)} answered ${answer.status} ${answer.text}`);
    }
  }
  now = NOW;
  return { server, tokens };
};
