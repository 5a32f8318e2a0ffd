import * as E from 'fp-ts/Either';
import { commandAccess, queryTarget } from '../../src/auth/access';
import { Principal } from '../../src/auth/authorize';

const MINE = '111122223333';
const OTHER = '444455556666';
const operator: Principal = { actor: 'ops', role: 'operator', accounts: [MINE] };
const admin: Principal = { actor: 'adm', role: 'admin', accounts: 'all' };
const reasonOf = (r: E.Either<{ reason: string }, unknown>) => (E.isLeft(r) ? r.left.reason : 'allowed');

describe('commandAccess', () => {
  test('CreateProfile is decided on the account it names', () => {
    expect(reasonOf(commandAccess(operator, { type: 'CreateProfile', accountId: MINE }))).toBe('allowed');
    expect(reasonOf(commandAccess(operator, { type: 'CreateProfile', accountId: OTHER }))).toBe('account');
  });

  test('DefineTier needs an admin for every account', () => {
    expect(reasonOf(commandAccess(operator, { type: 'DefineTier' }))).toBe('role');
    expect(reasonOf(commandAccess({ ...admin, accounts: [MINE] }, { type: 'DefineTier' }))).toBe('account');
    expect(reasonOf(commandAccess(admin, { type: 'DefineTier' }))).toBe('allowed');
  });

  test('a profile command is left to the handler, with the accounts the principal may act on', () => {
    const access = commandAccess(operator, { type: 'Subscribe' });
    expect(E.isRight(access) && [access.right(MINE), access.right(OTHER)]).toEqual([true, false]);
  });
});

describe('queryTarget', () => {
  test.each([
    [{ profileId: 'p-1', month: '2026-04' }, { kind: 'profile', profileId: 'p-1' }],
    [{ accountId: MINE, month: '2026-04' }, { kind: 'account', accountId: MINE, month: '2026-04' }],
    [{ month: '2026-04' }, { kind: 'everyAccount' }],
    [{ accountId: MINE }, { kind: 'everyAccount' }],
  ])('%j reads %j', (fields, target) => expect(queryTarget(fields)).toEqual(target));
});
