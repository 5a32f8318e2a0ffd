import * as E from 'fp-ts/Either';
import { RateLimit } from './rateLimit';
import { Accounts, Role } from './tokenEvents';

/** Who sends a request: a token's name and grants, or the local user of a server without tokens. */
export interface Principal {
  /** Written as the actor of every event the principal's commands append. */
  readonly actor: string;
  readonly role: Role;
  readonly accounts: Accounts;
  /** Absent: not limited. */
  readonly rateLimit?: RateLimit;
}

/** The user of a server whose store has never had a token: it listens on loopback only. */
export const localPrincipal: Principal = { actor: 'local', role: 'admin', accounts: 'all' };

/**
 * `defineTier` and `manageTokens` concern every account, as does a query or command without an account.
 * `issueCredit` gives money back on a final bill (section 8, N4): an admin's act, not an operator's.
 * `manageWebhooks` sends the ledger's facts elsewhere: an admin's, for the accounts it holds.
 */
export type Action = 'query' | 'command' | 'issueCredit' | 'defineTier' | 'manageTokens' | 'manageWebhooks';

const GRANTS: Readonly<Record<Role, ReadonlyArray<Action>>> = {
  reader: ['query'],
  operator: ['query', 'command'],
  admin: ['query', 'command', 'issueCredit', 'defineTier', 'manageTokens', 'manageWebhooks'],
};

/** What a role may do, as `GET /v1/me` tells a client (the console offers only those actions). */
export const grantsOf = (role: Role): ReadonlyArray<Action> => GRANTS[role];

const VERB: Readonly<Record<Action, string>> = {
  query: 'read the ledger',
  command: 'send commands',
  issueCredit: 'issue credit notes',
  defineTier: 'define tiers',
  manageTokens: 'manage tokens',
  manageWebhooks: 'manage webhooks',
};

/**
 * `role`: the role does not grant the action. `account`: the action concerns an account outside the
 * principal's, or every account while the principal has only some; the HTTP shell answers the
 * latter as if the account's resources did not exist, where they are named by id.
 */
export interface Denial {
  readonly reason: 'role' | 'account';
  readonly message: string;
}

/** The role's part alone: checked before a request is even decoded, when its account is not known yet. */
export const permits = (principal: Principal, action: Action): E.Either<Denial, Principal> =>
  GRANTS[principal.role].includes(action)
    ? E.right(principal)
    : E.left({ reason: 'role', message: `${principal.actor} has role ${principal.role}, which may not ${VERB[action]}` });

export const authorize = (principal: Principal, action: Action, accountId?: string): E.Either<Denial, Principal> => {
  const permitted = permits(principal, action);
  if (E.isLeft(permitted) || principal.accounts === 'all') return permitted;
  if (accountId === undefined) return E.left({ reason: 'account', message: `${principal.actor} may act on some accounts only, and this concerns every account` });
  return principal.accounts.includes(accountId)
    ? E.right(principal)
    : E.left({ reason: 'account', message: `${principal.actor} may not act on account ${accountId}` });
};
