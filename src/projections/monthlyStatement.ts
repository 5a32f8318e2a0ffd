import { Billing } from '../domain/allowance';
import { Catalog, TiersInEffect, tiersInEffect } from '../domain/catalog';
import { CreditIssued, EventRef, ProfileEvent, Recorded } from '../domain/events';
import { assertInvariant } from '../domain/invariant';
import { Dec, format2, sum, toCents, ZERO } from '../domain/money';
import { ProfileInfo } from '../domain/registryDecider';
import { OVERAGE_PRICE_PER_CREDIT, TierVersion } from '../domain/tier';
import { Month, monthEnd, monthOf, previousMonth, toMillis } from '../domain/time';
import { billedHoldings, Change, evolveUser, UserHistory, UserMonth, userMonthIn } from '../domain/userMonth';
import { PAUSE_EVERY, Sliced, filterSliced, mapOfSliced, mapSliced, reduceSliced, sortSliced, whole } from './slices';
import { statementInvariantChecks } from './statementInvariants';
import { Statement, StatementLine, statusOf, UserStatement } from './statementTypes';
import { UsageOfMonth } from './usageOfMonth';

export interface StatementInput {
  readonly profile: ProfileInfo;
  readonly catalog: Catalog;
  /** The profile stream's events in stream order. Later ones are ignored (T3). */
  readonly lifecycle: ReadonlyArray<Recorded<ProfileEvent>>;
  /** Each user's consumption in the month, summed as it arrived: the statement never folds usage events. */
  readonly usage: ReadonlyMap<string, UsageOfMonth>;
  /** The profile's credit notes in stream order (time order, T2); those dated in the month are its CREDIT lines (N3). */
  readonly credits: ReadonlyArray<Recorded<CreditIssued>>;
  readonly month: Month;
  /** Decides `status` only. */
  readonly now: string;
}

/** A line with its amount as a decimal, so that totals add decimals and never parse the wire form back. */
interface Priced {
  readonly line: StatementLine;
  readonly amount: Dec;
}

/** What the month is billed at so far, and the CHARGE line that billed it, which a REFUND reverses. */
interface Charged {
  readonly billing: Billing;
  readonly lineId: string;
}

/** One user's lines as far as the fold has gone; each step returns a new one. */
interface UserLines {
  readonly charged: Charged | undefined;
  readonly lines: ReadonlyArray<Priced>;
}

const noLines: UserLines = { charged: undefined, lines: [] };

/** What every step of one statement's fold shares. */
interface Fold {
  readonly profileId: string;
  readonly month: Month;
  readonly tiers: TiersInEffect;
  /** A statement formats the same few prices and credits once per user: each Dec is formatted once. */
  readonly show: (d: Dec) => string;
}

const catalogRef = (v: TierVersion): ReadonlyArray<EventRef> => (v.ref === undefined ? [] : [v.ref]);

const dateOf = (instant: string) => instant.slice(0, 10);

/** The one place a line id is made: `{profileId}~{month}~{userId}~{n}` (URL-safe: `~` is in no id), n counting the user's lines from 1. */
const lineIdOf = (fold: Fold, userId: string, n: number): string => `${fold.profileId}~${fold.month}~${userId}~${n}`;

/** Why a line was billed: the events behind it and how it reads. */
interface Cause {
  readonly at: string;
  readonly refs: ReadonlyArray<EventRef>;
  readonly describe: (to: TierVersion, from: TierVersion | undefined) => string;
}

/** L2: the REFUND of the tier billed so far, on the rise to `to`. */
const refundOf = (fold: Fold, userId: string, u: UserLines, previous: Charged, to: TierVersion, cause: Cause): Priced => {
  const amount = previous.billing.tier.price.negated();
  return {
    line: {
      lineId: lineIdOf(fold, userId, u.lines.length + 1),
      kind: 'REFUND',
      tier: previous.billing.tier.tier,
      amount: format2(amount),
      description: `${previous.billing.tier.name} refunded on the rise to ${to.name}`,
      at: cause.at,
      events: cause.refs,
      reverses: previous.lineId,
    },
    amount,
  };
};

/**
 * L1/L2: the month is now billed at `billing`. The month's first holding is charged; a rise above
 * the tier billed so far refunds that tier's CHARGE and charges the new tier.
 */
const billed = (fold: Fold, userId: string, u: UserLines, billing: Billing, cause: Cause): UserLines => {
  const previous = u.charged;
  const to = billing.tier;
  const refund = previous === undefined ? [] : [refundOf(fold, userId, u, previous, to, cause)];
  const lineId = lineIdOf(fold, userId, u.lines.length + refund.length + 1);
  const charge: Priced = {
    line: {
      lineId,
      kind: 'CHARGE',
      tier: to.tier,
      amount: fold.show(to.price),
      description: cause.describe(to, previous?.billing.tier),
      at: cause.at,
      events: [...cause.refs, ...catalogRef(to)],
    },
    amount: to.price,
  };
  return { ...u, charged: { billing, lineId }, lines: [...u.lines, ...refund, charge] };
};

const describeRise = (c: Change) => (to: TierVersion, from: TierVersion | undefined): string =>
  from === undefined
    ? `${to.name}, subscribed ${dateOf(c.event.data.occurredAt)}`
    : `${to.name}, ${c.event.type === 'UserSubscribed' ? 'assigned' : 'upgraded'} ${dateOf(c.event.data.occurredAt)} from ${from.name}`;

/**
 * Steps 1-3 (L1, L2, L4, M1–M7): the lines of the user's month, one per holding that bills (what
 * domain/userMonth says is billed): a tier carried in is charged at the month's start, citing what
 * established each assignment; a rise above the tier billed so far, at its change. Falls (M2, M4)
 * and rises back (M7) bill nothing.
 */
const linesOf = (fold: Fold, userId: string, um: UserMonth): UserLines => {
  let u = noLines;
  for (const { holding, before, after } of billedHoldings(um, fold.tiers)) {
    if (after === undefined || after === before) continue;
    const change = holding.change;
    const cause: Cause =
      change === undefined
        ? { at: holding.at, refs: [...holding.assignments.values()].flatMap((a) => a.refs), describe: (to) => `${to.name}, carried in from ${previousMonth(fold.month)}` }
        : { at: holding.at, refs: change.ref === undefined ? [] : [change.ref], describe: describeRise(change) };
    u = billed(fold, userId, u, after, cause);
  }
  return u;
};

const overageCredits = (billing: Billing, usage: UsageOfMonth | undefined): Dec =>
  usage !== undefined && usage.credits.greaterThan(billing.allowance) ? usage.credits.minus(billing.allowance) : ZERO;

/** Step 4 (K6, L3, L4): overage once per user and month, after the charges, citing the month's consumption by ranges. */
const withOverage = (fold: Fold, userId: string, u: UserLines, usage: UsageOfMonth | undefined): UserLines => {
  if (u.charged === undefined || usage === undefined) return u;
  const { billing } = u.charged;
  const credits = overageCredits(billing, usage);
  if (credits.isZero()) return u;
  const amount = toCents(credits.times(OVERAGE_PRICE_PER_CREDIT));
  const line: StatementLine = {
    lineId: lineIdOf(fold, userId, u.lines.length + 1),
    kind: 'OVERAGE',
    tier: billing.tier.tier,
    amount: format2(amount),
    description: `${format2(credits)} credits over the month's allowance of ${fold.show(billing.allowance)}, at ${OVERAGE_PRICE_PER_CREDIT.toFixed(2)} per credit`,
    at: usage.lastAt,
    events: [],
    usage: usage.ranges,
  };
  return { ...u, lines: [...u.lines, { line, amount }] };
};

/** Step 5 (N3, L4): each credit note dated in the month, last among its user's lines, citing its event; a user may have no other line. */
const withCredit = (fold: Fold, u: UserLines, r: Recorded<CreditIssued>): UserLines => {
  const { data } = r.event;
  const amount = new Dec(data.amount).negated();
  const line: StatementLine = {
    lineId: lineIdOf(fold, data.userId, u.lines.length + 1),
    kind: 'CREDIT',
    tier: data.tier,
    amount: format2(amount),
    description: data.reason,
    at: data.occurredAt,
    events: [r.ref],
    credits: data.lineId,
  };
  return { ...u, lines: [...u.lines, { line, amount }] };
};

/** Step 6: a user's statement, totals summed from the lines' decimals (L5); with no charge, nothing is included or used. */
const userStatement = (fold: Fold, userId: string, u: UserLines, usage: UsageOfMonth | undefined): { statement: UserStatement; total: Dec } => {
  const billing = u.charged?.billing;
  const total = sum(u.lines.map((l) => l.amount));
  return {
    total,
    statement: {
      userId,
      billedTier: billing?.tier.tier ?? null,
      creditsIncluded: fold.show(billing?.allowance ?? ZERO),
      creditsUsed: fold.show(usage?.credits ?? ZERO),
      overageCredits: fold.show(billing === undefined ? ZERO : overageCredits(billing, usage)),
      total: fold.show(total),
      lines: u.lines.map((l) => l.line),
    },
  };
};

/** Events dated in the month, from a stream in time order (T2); one out of order is a defect to report (L6). */
const datedIn = <E extends CreditIssued>(events: ReadonlyArray<Recorded<E>>, month: Month): ReadonlyArray<Recorded<E>> => {
  let latest = -Infinity;
  return events.filter((r) => {
    const at = toMillis(r.event.data.occurredAt);
    assertInvariant(at >= latest, 'T2', () => `${r.ref.streamId}@${r.ref.position} is dated ${r.event.data.occurredAt}, before the event ahead of it in the stream`);
    latest = at;
    return monthOf(r.event.data.occurredAt) === month;
  });
};

/**
 * Each user's month from the lifecycle, by the one fold of domain/userMonth: the events dated before
 * the month's end (T3). The stream is in time order (T2); an event dated before one already seen
 * cannot be placed, and is a defect to report, never to skip (L6).
 */
function* userMonths(lifecycle: ReadonlyArray<Recorded<ProfileEvent>>, month: Month): Sliced<Map<string, UserMonth>> {
  const end = toMillis(monthEnd(month));
  const histories = new Map<string, UserHistory>();
  let latest = -Infinity;
  for (const [i, r] of lifecycle.entries()) {
    if (i % PAUSE_EVERY === 0) yield;
    const at = toMillis(r.event.data.occurredAt);
    assertInvariant(at >= latest, 'T2', () => `${r.ref.streamId}@${r.ref.position} is dated ${r.event.data.occurredAt}, before the event ahead of it in the stream`);
    latest = at;
    if (at >= end) break;
    const e = r.event;
    if (e.type === 'OverageSet') continue;
    histories.set(e.data.userId, evolveUser(histories.get(e.data.userId), { event: e, ref: r.ref }));
  }
  return yield* mapOfSliced(yield* mapSliced(histories, ([userId, h]) => [userId, userMonthIn(h, month)] as const));
}

/**
 * The monthly profile statement (sections 4–6, 8) as a sequence of pure steps over the profile's
 * lifecycle, its users' consumption and its credit notes: each user's month by the one fold of
 * domain/userMonth, what is carried in (L1), the rises in the month (L2; falls, M2/M4, and rises back, M7, bill nothing),
 * overage (K6), once per user, then the month's credit notes (N3). Its invariants (L5, L6) are
 * checked before it is returned. Sliced: a profile of 50,000 users is folded in slices by a server
 * (`inSlices`), at once by `monthlyStatement`.
 */
export function* statementFold(input: StatementInput): Sliced<Statement> {
  const formatted = new Map<Dec, string>();
  const show = (d: Dec): string => {
    const known = formatted.get(d);
    if (known !== undefined) return known;
    const text = format2(d);
    formatted.set(d, text);
    return text;
  };
  const fold: Fold = { profileId: input.profile.profileId, month: input.month, tiers: tiersInEffect(input.catalog, input.month), show };
  const months = yield* userMonths(input.lifecycle, input.month);
  const users = yield* mapOfSliced(yield* mapSliced(months, ([userId, um]) => [userId, withOverage(fold, userId, linesOf(fold, userId, um), input.usage.get(userId))] as const));
  for (const r of datedIn(input.credits, input.month)) users.set(r.event.data.userId, withCredit(fold, users.get(r.event.data.userId) ?? noLines, r));
  const billedUsers = yield* sortSliced(
    yield* filterSliced(users, ([, u]) => u.lines.length > 0),
    ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0),
  );
  const byUser = yield* mapSliced(billedUsers, ([userId, u]) => userStatement(fold, userId, u, input.usage.get(userId)));
  const total = yield* reduceSliced(byUser, (t, u) => t.plus(u.total), ZERO);
  const statement: Statement = {
    profileId: input.profile.profileId,
    accountId: input.profile.accountId,
    region: input.profile.region,
    month: input.month,
    currency: 'USD',
    status: statusOf(input.month, input.now),
    total: format2(total),
    users: byUser.map((u) => u.statement),
  };
  yield* statementInvariantChecks(statement, input.usage);
  return statement;
}

export const monthlyStatement = (input: StatementInput): Statement => whole(statementFold(input));

/**
 * One user's part of the month's statement, the same fold over that user's events alone: a user's
 * lines depend on nothing of the other users' (each is billed on their own, P3/P4), so this is what
 * the whole statement shows for them, at the cost of one user. Undefined: the user has no line.
 */
export const userStatementOf = (input: StatementInput, userId: string): UserStatement | undefined => {
  const usage = input.usage.get(userId);
  return monthlyStatement({
    ...input,
    lifecycle: input.lifecycle.filter((r) => r.event.type === 'OverageSet' || r.event.data.userId === userId),
    usage: usage === undefined ? new Map() : new Map([[userId, usage]]),
    credits: input.credits.filter((r) => r.event.data.userId === userId),
  }).users[0];
};
