import { AccountStatement, Statement } from '../projections/statementTypes';
import { renderTable } from './table';

export const renderStatement = (s: Statement): string => {
  const title = `Statement ${s.profileId} (${s.accountId}, ${s.region}) ${s.month} — ${s.status}, total ${s.total} ${s.currency}`;
  if (s.users.length === 0) return `${title}\n(no charges)`;
  const rows = s.users.flatMap((u) =>
    u.lines.map((l) => [u.userId, l.kind, l.tier, l.amount, l.at.slice(0, 10), l.credits === undefined ? l.description : `${l.description} (credits ${l.credits})`, l.lineId]),
  );
  const users = renderTable(
    ['user', 'billed tier', 'credits incl.', 'credits used', 'overage', 'total'],
    s.users.map((u) => [u.userId, u.billedTier ?? '-', u.creditsIncluded, u.creditsUsed, u.overageCredits, u.total]),
  );
  return [title, '', users, '', renderTable(['user', 'kind', 'tier', 'amount', 'date', 'description', 'line'], rows)].join('\n');
};

export const renderAccountStatement = (a: AccountStatement): string =>
  [
    `Account ${a.accountId} ${a.month} — ${a.status}, total ${a.total} ${a.currency}`,
    '',
    renderTable(['profile', 'region', 'total'], a.profiles.map((p) => [p.profileId, p.region, p.total])),
    ...(a.usersInSeveralProfiles.length === 0
      ? []
      : ['', 'Users billed in several profiles:', ...a.usersInSeveralProfiles.map((u) => `  ${u.userId}: ${u.profiles.join(', ')}`)]),
  ].join('\n');
