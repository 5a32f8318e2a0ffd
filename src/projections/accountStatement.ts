import { Dec, format2, sum } from '../domain/money';
import { AccountStatement, Statement, statusOf } from './statementTypes';

/** The account view (P4): its profiles' totals, and the users billed in more than one of them. */
export const accountStatement = (accountId: string, month: string, now: string, statements: ReadonlyArray<Statement>): AccountStatement => {
  const profilesOfUser = new Map<string, string[]>();
  for (const s of statements) {
    for (const u of s.users) profilesOfUser.set(u.userId, [...(profilesOfUser.get(u.userId) ?? []), s.profileId]);
  }
  return {
    accountId,
    month,
    currency: 'USD',
    status: statusOf(month, now),
    total: format2(sum(statements.map((s) => new Dec(s.total)))),
    profiles: [...statements]
      .sort((a, b) => (a.profileId < b.profileId ? -1 : 1))
      .map((s) => ({ profileId: s.profileId, region: s.region, total: s.total })),
    usersInSeveralProfiles: [...profilesOfUser]
      .filter(([, profiles]) => profiles.length > 1)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([userId, profiles]) => ({ userId, profiles: [...profiles].sort() })),
  };
};
