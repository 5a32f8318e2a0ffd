import * as E from 'fp-ts/Either';
import { Decider } from '../domain/decider';
import { Accounts, Role, TokenCreated, TokenEvent, TokenRevoked } from './tokenEvents';

export interface TokenError {
  readonly code: 'TOKEN_EXISTS' | 'TOKEN_NOT_FOUND';
  readonly message: string;
}

export type CreateToken = { readonly type: 'CreateToken' } & TokenCreated['data'];
export type RevokeToken = { readonly type: 'RevokeToken' } & TokenRevoked['data'];
export type TokenCommand = CreateToken | RevokeToken;

export interface TokenRecord {
  readonly name: string;
  readonly role: Role;
  readonly accounts: Accounts;
  readonly hash: string;
  readonly rate: number;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

/** Every token ever created, revoked ones included, by name. */
export type Tokens = ReadonlyMap<string, TokenRecord>;

/**
 * The `meta/tokens` stream's rules. A name is never reused, not even after a revocation, so that
 * the actor of an event in the audit trail names one token for good.
 */
export const tokenDecider: Decider<TokenCommand, TokenEvent, Tokens, TokenError> = {
  decide: (c, tokens) => {
    const existing = tokens.get(c.name);
    if (c.type === 'CreateToken') {
      if (existing === undefined) {
        return E.right([{ type: 'TokenCreated', data: { name: c.name, role: c.role, accounts: c.accounts, hash: c.hash, rate: c.rate, createdAt: c.createdAt } }]);
      }
      const revoked = existing.revokedAt === null ? '' : ` (revoked ${existing.revokedAt}; names are not reused)`;
      return E.left({ code: 'TOKEN_EXISTS', message: `token ${c.name} exists${revoked}` });
    }
    if (existing === undefined) return E.left({ code: 'TOKEN_NOT_FOUND', message: `no token is named ${c.name}` });
    if (existing.revokedAt !== null) return E.left({ code: 'TOKEN_NOT_FOUND', message: `token ${c.name} was revoked already, ${existing.revokedAt}` });
    return E.right([{ type: 'TokenRevoked', data: { name: c.name, revokedAt: c.revokedAt } }]);
  },
  evolve: (tokens, e) => {
    if (e.type === 'TokenCreated') return new Map(tokens).set(e.data.name, { ...e.data, revokedAt: null });
    const token = tokens.get(e.data.name);
    return token === undefined ? tokens : new Map(tokens).set(e.data.name, { ...token, revokedAt: e.data.revokedAt });
  },
  initialState: new Map(),
};
