import { assertInvariant } from '../domain/invariant';
import { Dec, format2, sum } from '../domain/money';
import { Statement } from './statementTypes';
import { UsageOfMonth } from './usageOfMonth';

const parsed = (amounts: ReadonlyArray<string>): Dec => sum(amounts.map((a) => new Dec(a)));

/**
 * What a statement must satisfy whatever the fold did, checked on the statement as it will be sent
 * (its wire strings parsed back), against the month's consumption it was folded from:
 * - L5: statement total = sum of user totals = sum of every line; user total = sum of its lines.
 * - L6: every consumption dated in M is on M's statement: each user who consumed is billed, the
 *   `creditsUsed` add up to the month's consumption, and an OVERAGE line's ranges name every
 *   consumption event of its user-month, each range a contiguous run of positions.
 * Throws InvariantViolation: a broken statement is never answered.
 */
export const assertStatementInvariants = (s: Statement, usage: ReadonlyMap<string, UsageOfMonth>): void => {
  const where = `statement of ${s.profileId} for ${s.month}`;
  const userTotals = parsed(s.users.map((u) => u.total));
  const lineTotal = parsed(s.users.flatMap((u) => u.lines.map((l) => l.amount)));
  assertInvariant(userTotals.equals(s.total) && lineTotal.equals(s.total), 'L5', () => `${where}: total ${s.total}, users ${format2(userTotals)}, lines ${format2(lineTotal)}`);
  const placed = new Set<string>();
  for (const u of s.users) {
    placed.add(u.userId);
    const lines = parsed(u.lines.map((l) => l.amount));
    assertInvariant(lines.equals(u.total), 'L5', () => `${where}, user ${u.userId}: total ${u.total}, lines ${format2(lines)}`);
    const consumed = usage.get(u.userId);
    for (const l of u.lines) {
      if (l.kind !== 'OVERAGE') continue;
      const ranges = l.usage ?? [];
      for (const r of ranges) {
        assertInvariant(r.count === r.toPosition - r.fromPosition + 1, 'L4', () => `${where}, line ${l.lineId}: range ${r.streamId}@${r.fromPosition}..${r.toPosition} counts ${r.count}`);
      }
      const cited = ranges.reduce((n, r) => n + r.count, 0);
      assertInvariant(cited === consumed?.count, 'L6', () => `${where}, line ${l.lineId}: cites ${cited} consumption events of ${consumed?.count ?? 0}`);
    }
  }
  for (const [userId, u] of usage) {
    assertInvariant(placed.has(userId), 'L6', () => `${where}: user ${userId} consumed ${format2(u.credits)} credits in ${u.count} events but is billed nothing`);
  }
  const used = parsed(s.users.map((u) => u.creditsUsed));
  const consumed = sum([...usage.values()].map((u) => u.credits));
  assertInvariant(used.equals(consumed), 'L6', () => `${where}: creditsUsed add up to ${format2(used)}, the month's consumption to ${format2(consumed)}`);
};
