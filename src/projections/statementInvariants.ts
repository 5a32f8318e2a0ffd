import { assertInvariant } from '../domain/invariant';
import { centsOf, Dec, format2, toCents, ZERO } from '../domain/money';
import { LineId, statementOfLine } from '../domain/lineId';
import { PAUSE_EVERY, reduceSliced, Sliced, whole } from './slices';
import { Statement, StatementLine } from './statementTypes';
import { UsageOfMonth } from './usageOfMonth';

/** Cents of a wire-form amount; one that is not an exact decimal with 2 places breaks L5 itself. */
const amountCents = (where: string, a: string): bigint => {
  const c = centsOf(a);
  assertInvariant(c !== undefined, 'L5', () => `${where}: amount ${JSON.stringify(a)} is not an exact decimal with 2 places`);
  return c;
};

const cents = (where: string, amounts: ReadonlyArray<string>): bigint => amounts.reduce((total, a) => total + amountCents(where, a), 0n);

/** `cents` over a big profile's amounts, pausing as it goes. */
const centsSliced = (where: string, amounts: Iterable<string>): Sliced<bigint> => reduceSliced(amounts, (total: bigint, a: string) => total + amountCents(where, a), 0n);

function* lineAmounts(s: Statement): Iterable<string> {
  for (const u of s.users) for (const l of u.lines) yield l.amount;
}

const show = (c: bigint): string => format2(new Dec(c.toString()).dividedBy(100));

/**
 * What a statement must satisfy whatever the fold did, checked on the statement as it will be sent
 * (its wire strings read back as exact cents), against the month's consumption it was folded from:
 * - L5: statement total = sum of user totals = sum of every line; user total = sum of its lines.
 * - L6: every consumption dated in M is on M's statement: each user who consumed is billed, the
 *   `creditsUsed` add up to the month's consumption, and an OVERAGE line's ranges name every
 *   consumption event of its user-month, each range a contiguous run of positions (L4).
 * - N3: a CREDIT line takes something off (a negative amount) and names a line of the same profile
 *   and user in an earlier month, which was final when the credit was dated in this one.
 * Throws InvariantViolation: a broken statement is never answered.
 */
export function* statementInvariantChecks(s: Statement, usage: ReadonlyMap<string, UsageOfMonth>): Sliced<void> {
  const where = `statement of ${s.profileId} for ${s.month}`;
  const total = cents(where, [s.total]);
  const userTotals = yield* centsSliced(where, s.users.map((u) => u.total));
  const lineTotal = yield* centsSliced(where, lineAmounts(s));
  assertInvariant(userTotals === total && lineTotal === total, 'L5', () => `${where}: total ${s.total}, users ${show(userTotals)}, lines ${show(lineTotal)}`);
  yield;
  const placed = new Set<string>();
  for (const [i, u] of s.users.entries()) {
    if (i % PAUSE_EVERY === 0) yield;
    placed.add(u.userId);
    const lines = cents(where, u.lines.map((l) => l.amount));
    assertInvariant(lines === cents(where, [u.total]), 'L5', () => `${where}, user ${u.userId}: total ${u.total}, lines ${show(lines)}`);
    const consumed = usage.get(u.userId);
    for (const l of u.lines) {
      if (l.kind === 'CREDIT') assertCredit(where, s, u.userId, l);
      if (l.kind !== 'OVERAGE') continue;
      const ranges = l.usage ?? [];
      for (const r of ranges) {
        assertInvariant(r.count === r.toPosition - r.fromPosition + 1, 'L4', () => `${where}, line ${l.lineId}: range ${r.streamId}@${r.fromPosition}..${r.toPosition} counts ${r.count}`);
      }
      const cited = ranges.reduce((n, r) => n + r.count, 0);
      assertInvariant(cited === consumed?.count, 'L6', () => `${where}, line ${l.lineId}: cites ${cited} consumption events of ${consumed?.count ?? 0}`);
    }
  }
  let seen = 0;
  for (const [userId, u] of usage) {
    if (++seen % PAUSE_EVERY === 0) yield;
    assertInvariant(placed.has(userId), 'L6', () => `${where}: user ${userId} consumed ${format2(u.credits)} credits in ${u.count} events but is billed nothing`);
  }
  yield;
  const used = yield* centsSliced(where, s.users.map((u) => u.creditsUsed));
  // Credits have at most 2 places (K2), so their sum is exact in cents.
  const consumed = toCents(yield* reduceSliced(usage.values(), (t: Dec, u) => t.plus(u.credits), ZERO));
  assertInvariant(used === BigInt(consumed.times(100).toFixed(0)), 'L6', () => `${where}: creditsUsed add up to ${show(used)}, the month's consumption to ${format2(consumed)}`);
}

export const assertStatementInvariants = (s: Statement, usage: ReadonlyMap<string, UsageOfMonth>): void => whole(statementInvariantChecks(s, usage));

const assertCredit = (where: string, s: Statement, userId: string, l: StatementLine): void => {
  const credited = l.credits !== undefined && LineId.is(l.credits) ? statementOfLine(l.credits) : undefined;
  const names = credited !== undefined && credited.profileId === s.profileId && credited.userId === userId && credited.month < s.month;
  assertInvariant(names && (centsOf(l.amount) ?? 0n) < 0n, 'N3', () => `${where}, line ${l.lineId}: a CREDIT of ${l.amount} crediting ${JSON.stringify(l.credits)}`);
};
