import * as E from 'fp-ts/Either';
import { Action, authorize, localPrincipal, permits, Principal } from '../../src/auth/authorize';
import { Role } from '../../src/auth/tokenEvents';

const MINE = '111122223333';
const OTHER = '444455556666';
const roles: ReadonlyArray<Role> = ['reader', 'operator', 'admin'];
const actions: ReadonlyArray<Action> = ['query', 'command', 'issueCredit', 'defineTier', 'manageTokens', 'manageWebhooks'];
const granted: Record<Role, ReadonlyArray<Action>> = {
  reader: ['query'],
  operator: ['query', 'command'],
  admin: ['query', 'command', 'issueCredit', 'defineTier', 'manageTokens', 'manageWebhooks'],
};

const principal = (role: Role, accounts: Principal['accounts']): Principal => ({ actor: 't-1', role, accounts });
const reasonOf = (r: E.Either<{ reason: string }, Principal>) => (E.isLeft(r) ? r.left.reason : 'allowed');

/** What authorize must answer, stated independently: the role first, then the account. */
const expected = (role: Role, accounts: Principal['accounts'], action: Action, accountId: string | undefined): string => {
  if (!granted[role].includes(action)) return 'role';
  if (accounts === 'all') return 'allowed';
  return accountId !== undefined && accounts.includes(accountId) ? 'allowed' : 'account';
};

describe('authorize', () => {
  const cases = roles.flatMap((role) =>
    (['all', [MINE]] as const).flatMap((accounts) =>
      actions.flatMap((action) => [MINE, OTHER, undefined].map((accountId) => [role, accounts, action, accountId] as const)),
    ),
  );

  test.each(cases)('%s with accounts %j: %s on account %s', (role, accounts, action, accountId) => {
    expect(reasonOf(authorize(principal(role, accounts), action, accountId))).toBe(expected(role, accounts, action, accountId));
  });

  test('the role is checked before the account, so a reader learns nothing about accounts', () => {
    const r = authorize(principal('reader', [MINE]), 'command', OTHER);
    expect(r).toEqual(E.left({ reason: 'role', message: 't-1 has role reader, which may not send commands' }));
  });

  test('a denial for an account names it', () => {
    expect(authorize(principal('operator', [MINE]), 'command', OTHER)).toEqual(E.left({ reason: 'account', message: `t-1 may not act on account ${OTHER}` }));
  });

  test('the local principal may do everything', () => {
    for (const action of actions) expect(authorize(localPrincipal, action)).toEqual(E.right(localPrincipal));
  });
});

describe('permits', () => {
  test.each(roles.flatMap((role) => actions.map((action) => [role, action] as const)))('%s may %s: as granted, whatever the accounts', (role, action) => {
    const r = permits(principal(role, ['111122223333']), action);
    expect(E.isRight(r)).toBe(granted[role].includes(action));
  });
});
