import { GroupKey, groupKey } from '../domain/assignment';
import { Catalog, TiersInEffect, tiersInEffect } from '../domain/catalog';
import { EventRef, ProfileEvent, Recorded } from '../domain/events';
import { Dec, format2, max, sum, toCents, ZERO } from '../domain/money';
import { ProfileInfo } from '../domain/registryDecider';
import { compareTiers, higherTier, OVERAGE_PRICE_PER_CREDIT, TierVersion } from '../domain/tier';
import { Month, monthEnd, monthStart, previousMonth, toMillis } from '../domain/time';
import { Statement, StatementLine, statusOf, UserStatement } from './statementTypes';

/** One user's consumption in the month (K6), with the events that recorded it. */
export interface UsageOfMonth {
  readonly credits: Dec;
  readonly lastAt: string;
  readonly events: ReadonlyArray<EventRef>;
}

export interface StatementInput {
  readonly profile: ProfileInfo;
  readonly catalog: Catalog;
  /** The profile stream's events in stream order. Later ones are ignored (T3). */
  readonly lifecycle: ReadonlyArray<Recorded<ProfileEvent>>;
  readonly usage: ReadonlyMap<string, UsageOfMonth>;
  readonly month: Month;
  /** Decides `status` only. */
  readonly now: string;
}

interface Assignment {
  readonly tier: string;
  /** The events of the assignment's current life: its subscribe and every change since (L4). */
  readonly refs: ReadonlyArray<EventRef>;
}

interface UserFold {
  readonly assignments: Map<GroupKey, Assignment>;
  billed: TierVersion | undefined;
  /** The CHARGE line of `billed`, which a REFUND reverses. */
  chargeLineId: string | undefined;
  readonly lines: StatementLine[];
  /** Sum of the lines' amounts (L5), kept as they are added rather than parsed back from them. */
  total: Dec;
}

const applyToAssignments = (assignments: Map<GroupKey, Assignment>, r: Recorded<ProfileEvent>): void => {
  const e = r.event;
  if (e.type === 'OverageSet') return;
  const key = groupKey(e.data.groupId);
  if (e.type === 'UserUnsubscribed') assignments.delete(key);
  else if (e.type === 'UserSubscribed') assignments.set(key, { tier: e.data.tier, refs: [r.ref] });
  else assignments.set(key, { tier: e.data.tier, refs: [...(assignments.get(key)?.refs ?? []), r.ref] });
};

/** P3: the highest tier over the active assignments, in the month's order (C4). */
const effectiveTier = (assignments: ReadonlyMap<GroupKey, Assignment>, tiers: TiersInEffect): TierVersion | undefined => {
  let best: TierVersion | undefined;
  for (const a of assignments.values()) {
    const v = tiers.get(a.tier);
    if (v !== undefined) best = best === undefined ? v : higherTier(best, v);
  }
  return best;
};

const catalogRef = (v: TierVersion): ReadonlyArray<EventRef> => (v.ref === undefined ? [] : [v.ref]);

const dateOf = (instant: string) => instant.slice(0, 10);

const describeRise = (r: Recorded<ProfileEvent>, to: TierVersion, from: TierVersion | undefined): string =>
  from === undefined
    ? `${to.name}, subscribed ${dateOf(r.event.data.occurredAt)}`
    : `${to.name}, ${r.event.type === 'UserSubscribed' ? 'assigned' : 'upgraded'} ${dateOf(r.event.data.occurredAt)} from ${from.name}`;

/**
 * The monthly profile statement (sections 4–6) as a pure fold over the profile's events.
 * M1/M5: every holding is charged the full month; L1/L2: a CHARGE when the month's first holding
 * begins and, on each rise above the tier billed so far, a REFUND of that CHARGE and a new CHARGE;
 * falls (M2, M4) and rises back (M7) bill nothing; K6: overage once per user, last.
 */
export const monthlyStatement = (input: StatementInput): Statement => {
  const { profile, month } = input;
  const tiers = tiersInEffect(input.catalog, month);
  const start = toMillis(monthStart(month));
  const end = toMillis(monthEnd(month));
  const users = new Map<string, UserFold>();
  const userFold = (userId: string): UserFold => {
    let u = users.get(userId);
    if (u === undefined) {
      u = { assignments: new Map(), billed: undefined, chargeLineId: undefined, lines: [], total: ZERO };
      users.set(userId, u);
    }
    return u;
  };
  // A statement formats the same few prices and credits once per user: format each Dec once.
  const formatted = new Map<Dec, string>();
  const show = (d: Dec): string => {
    let text = formatted.get(d);
    if (text === undefined) formatted.set(d, (text = format2(d)));
    return text;
  };
  const addLine = (u: UserFold, line: StatementLine, amount: Dec) => {
    u.lines.push(line);
    u.total = u.total.plus(amount);
  };
  const lineId = (userId: string, u: UserFold) => `${profile.profileId}~${month}~${userId}~${u.lines.length + 1}`;
  const charge = (userId: string, u: UserFold, tier: TierVersion, at: string, description: string, refs: ReadonlyArray<EventRef>) => {
    const id = lineId(userId, u);
    addLine(u, { lineId: id, kind: 'CHARGE', tier: tier.tier, amount: show(tier.price), description, at, events: [...refs, ...catalogRef(tier)] }, tier.price);
    u.billed = tier;
    u.chargeLineId = id;
  };

  let carriedIn = false;
  for (const r of input.lifecycle) {
    const at = toMillis(r.event.data.occurredAt);
    if (at >= end) break;
    if (!carriedIn && at >= start) {
      carryIn();
      carriedIn = true;
    }
    if (r.event.type === 'OverageSet') continue;
    const userId = r.event.data.userId;
    const u = userFold(userId);
    applyToAssignments(u.assignments, r);
    if (at < start) continue;
    const effective = effectiveTier(u.assignments, tiers);
    if (effective === undefined || (u.billed !== undefined && compareTiers(effective, u.billed) <= 0)) continue;
    const previous = u.billed;
    if (previous !== undefined && u.chargeLineId !== undefined) {
      const refund = previous.price.negated();
      addLine(
        u,
        {
          lineId: lineId(userId, u),
          kind: 'REFUND',
          tier: previous.tier,
          amount: format2(refund),
          description: `${previous.name} refunded on the rise to ${effective.name}`,
          at: r.event.data.occurredAt,
          events: [r.ref],
          reverses: u.chargeLineId,
        },
        refund,
      );
    }
    charge(userId, u, effective, r.event.data.occurredAt, describeRise(r, effective, previous), [r.ref]);
  }
  if (!carriedIn) carryIn();

  function carryIn(): void {
    // Once per statement, not per user: with a thousand users these were a third of its time.
    const at = monthStart(month);
    const from = previousMonth(month);
    for (const [userId, u] of users) {
      const tier = effectiveTier(u.assignments, tiers);
      if (tier === undefined) continue;
      const refs = [...u.assignments.values()].flatMap((a) => a.refs);
      charge(userId, u, tier, at, `${tier.name}, carried in from ${from}`, refs);
    }
  }

  const billed = [...users].filter(([, u]) => u.billed !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const statements: UserStatement[] = billed.map(([userId, u]) => closeUser(userId, u, u.billed as TierVersion, input.usage.get(userId)));

  function closeUser(userId: string, u: UserFold, billed: TierVersion, usage: UsageOfMonth | undefined): UserStatement {
    const used = usage?.credits ?? ZERO;
    const overageCredits = max(ZERO, used.minus(billed.credits));
    if (usage !== undefined && overageCredits.greaterThan(0)) {
      const amount = toCents(overageCredits.times(OVERAGE_PRICE_PER_CREDIT));
      addLine(
        u,
        {
          lineId: lineId(userId, u),
          kind: 'OVERAGE',
          tier: billed.tier,
          amount: format2(amount),
          description: `${format2(overageCredits)} credits over the ${billed.name} allowance of ${format2(billed.credits)}, at ${OVERAGE_PRICE_PER_CREDIT.toFixed(2)} per credit`,
          at: usage.lastAt,
          events: usage.events,
        },
        amount,
      );
    }
    return {
      userId,
      billedTier: billed.tier,
      creditsIncluded: show(billed.credits),
      creditsUsed: show(used),
      overageCredits: show(overageCredits),
      total: format2(u.total),
      lines: u.lines,
    };
  }

  return {
    profileId: profile.profileId,
    accountId: profile.accountId,
    region: profile.region,
    month,
    currency: 'USD',
    status: statusOf(month, input.now),
    total: format2(sum(billed.map(([, u]) => u.total))),
    users: statements,
  };
};
