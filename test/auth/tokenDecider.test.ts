import { CreateToken, tokenDecider } from '../../src/auth/tokenDecider';
import { TokenCreated, TokenRevoked } from '../../src/auth/tokenEvents';
import { deciderSpec } from '../support/deciderSpecification';

const spec = deciderSpec(tokenDecider);
const HASH = 'a'.repeat(64);
const create = (name: string, extra: Partial<CreateToken> = {}): CreateToken => ({
  type: 'CreateToken',
  name,
  role: 'operator',
  accounts: ['111122223333'],
  hash: HASH,
  rate: 200,
  createdAt: '2026-04-01T00:00:00.000Z',
  ...extra,
});
const created = (name: string): TokenCreated => ({
  type: 'TokenCreated',
  data: { name, role: 'operator', accounts: ['111122223333'], hash: HASH, rate: 200, createdAt: '2026-04-01T00:00:00.000Z' },
});
const revoked = (name: string): TokenRevoked => ({ type: 'TokenRevoked', data: { name, revokedAt: '2026-04-02T00:00:00.000Z' } });
const revoke = (name: string) => ({ type: 'RevokeToken', name, revokedAt: '2026-04-03T00:00:00.000Z' }) as const;

describe('token decider', () => {
  test('CreateToken records the hash and grants, never anything else', () =>
    spec.given([]).when(create('billing-bot', { role: 'admin', accounts: 'all', rate: 5 })).then([
      { type: 'TokenCreated', data: { name: 'billing-bot', role: 'admin', accounts: 'all', hash: HASH, rate: 5, createdAt: '2026-04-01T00:00:00.000Z' } },
    ]));

  test('a second token of the same name is TOKEN_EXISTS', () =>
    spec.given([created('billing-bot')]).when(create('billing-bot')).thenFails('TOKEN_EXISTS', 'token billing-bot exists'));

  test('the name of a revoked token is not reused: TOKEN_EXISTS', () =>
    spec.given([created('billing-bot'), revoked('billing-bot')]).when(create('billing-bot')).thenFails('TOKEN_EXISTS', /revoked 2026-04-02.*not reused/));

  test('RevokeToken records the revocation', () =>
    spec.given([created('a'), created('b')]).when(revoke('b')).then([{ type: 'TokenRevoked', data: { name: 'b', revokedAt: '2026-04-03T00:00:00.000Z' } }]));

  test('revoking an unknown name is TOKEN_NOT_FOUND', () => spec.given([created('a')]).when(revoke('b')).thenFails('TOKEN_NOT_FOUND', 'no token is named b'));

  test('revoking twice is TOKEN_NOT_FOUND, naming the first revocation', () =>
    spec.given([created('a'), revoked('a')]).when(revoke('a')).thenFails('TOKEN_NOT_FOUND', /revoked already, 2026-04-02/));

  test('evolve keeps revoked tokens, with their revocation time', () => {
    const tokens = [created('a'), revoked('a'), created('b')].reduce(tokenDecider.evolve, tokenDecider.initialState);
    expect(tokens.get('a')?.revokedAt).toBe('2026-04-02T00:00:00.000Z');
    expect(tokens.get('b')?.revokedAt).toBeNull();
  });
});
