import { Billing, billAt, effectiveTier } from './allowance';
import { GroupKey, groupKey } from './assignment';
import { TiersInEffect } from './catalog';
import { EventRef, ProfileEvent } from './events';
import { assertInvariant } from './invariant';
import { Dec, ZERO } from './money';
import { Month, monthOf, monthStart } from './time';

/**
 * The one fold of a user's month (sections 4 and 6): for a profile's subscription events, a user and
 * a month, what the month holds for the user. The profile decider (lifecycle and usage), the
 * monthly statement and the profile-now projection all fold assignments here and nowhere else, so
 * that what a command is decided on and what the bill shows cannot differ.
 *
 * What is decided in month M depends on M's events only (T2): in M's last 5 minutes the log may
 * already hold events dated in M+1, and a user's history keeps the month before its latest for that.
 */

export type SubscriptionEvent = Exclude<ProfileEvent, { type: 'OverageSet' }>;

/** One assignment (P2): its tier, and the events of its current life, its subscribe and every change since (L4). */
export interface Assignment {
  readonly groupId: string | null;
  readonly tier: string;
  readonly refs: ReadonlyArray<EventRef>;
}

export type Assignments = ReadonlyMap<GroupKey, Assignment>;

/** A subscription event, with its place in the log when the folder knows it (a decider folds events without one). */
export interface Change {
  readonly event: SubscriptionEvent;
  readonly ref?: EventRef;
}

/** A change and the assignments it left. */
export interface Step {
  readonly change: Change;
  readonly after: Assignments;
}

/** A user's month as far as the log goes: what was carried in at its start, then every change in it, in time order. */
export interface UserMonth {
  readonly month: Month;
  readonly carriedIn: Assignments;
  readonly steps: ReadonlyArray<Step>;
  /** After the last change (the carried-in ones when there is none). */
  readonly assignments: Assignments;
}

/** What a user's month comes to, the facts both the decider and the statement read. */
export interface MonthFacts {
  /** The tier the month is billed at so far, and K1's allowance; undefined when nothing was held. */
  readonly billing: Billing | undefined;
  /** K1: the allowance so far (0 when nothing was held). */
  readonly allowance: Dec;
  /** K5: an assignment was held at some instant of the month. */
  readonly holds: boolean;
  readonly consumed: Dec;
}

const none: Assignments = new Map();

export const assignmentsAfter = (assignments: Assignments, change: Change): Assignments => {
  const e = change.event;
  const key = groupKey(e.data.groupId);
  const next = new Map(assignments);
  const refs = change.ref === undefined ? [] : [change.ref];
  if (e.type === 'UserUnsubscribed') next.delete(key);
  else if (e.type === 'UserSubscribed') next.set(key, { groupId: e.data.groupId, tier: e.data.tier, refs });
  else next.set(key, { groupId: e.data.groupId, tier: e.data.tier, refs: [...(assignments.get(key)?.refs ?? []), ...refs] });
  return next;
};

/** A month in which nothing changed: it holds what was carried in. */
export const quietMonth = (month: Month, carriedIn: Assignments): UserMonth => ({ month, carriedIn, steps: [], assignments: carriedIn });

/**
 * What is kept of a user's history: the latest month with a change, the month with a change before
 * it (what a month still open in the lead of the next one is decided on), and the latest change's date (T2).
 */
export interface UserHistory {
  readonly latest: UserMonth;
  readonly previous: UserMonth | undefined;
  readonly lastChangeAt: string;
}

/** Folds one change into the user's history; a change dated in a month the history has left is a defect (T2). */
export const evolveUser = (history: UserHistory | undefined, change: Change): UserHistory => {
  const at = change.event.data.occurredAt;
  const month = monthOf(at);
  if (history === undefined) {
    const after = assignmentsAfter(none, change);
    return { latest: { month, carriedIn: none, steps: [{ change, after }], assignments: after }, previous: undefined, lastChangeAt: at };
  }
  const { latest } = history;
  assertInvariant(month >= latest.month, 'T2', () => `${change.event.type} of user ${change.event.data.userId} is dated ${at}, in ${month}, which the user's history has left for ${latest.month}`);
  const after = assignmentsAfter(latest.assignments, change);
  const step = { change, after };
  return month === latest.month
    ? { latest: { ...latest, steps: [...latest.steps, step], assignments: after }, previous: history.previous, lastChangeAt: at }
    : { latest: { month, carriedIn: latest.assignments, steps: [step], assignments: after }, previous: latest, lastChangeAt: at };
};

/**
 * The user's month `month` from the history: the latest month, the one before it, or a month
 * without changes between or after them. A month before both was left: asked about it, the
 * history fails loudly rather than answer with a later month's assignments.
 */
export const userMonthIn = (history: UserHistory | undefined, month: Month): UserMonth => {
  if (history === undefined) return quietMonth(month, none);
  const { latest, previous } = history;
  if (month === latest.month) return latest;
  if (month > latest.month) return quietMonth(month, latest.assignments);
  if (previous !== undefined && month === previous.month) return previous;
  assertInvariant(previous === undefined || month > previous.month, 'T2', () => `asked about ${month} of a user whose history keeps ${previous?.month} and ${latest.month} only`);
  return quietMonth(month, latest.carriedIn);
};

/** The reference fold: a user's month from the profile's subscription events in log order (later months' events ignored, T3). */
export const userMonthOf = (changes: Iterable<Change>, userId: string, month: Month): UserMonth => {
  let history: UserHistory | undefined;
  for (const c of changes) {
    if (c.event.data.userId !== userId) continue;
    if (monthOf(c.event.data.occurredAt) > month) break;
    history = evolveUser(history, c);
  }
  return userMonthIn(history, month);
};

/** The tiers held one after another in the month: at its start, then after each change. */
export interface Holding {
  readonly at: string;
  readonly assignments: Assignments;
  /** Undefined for what was carried in at the month's start. */
  readonly change: Change | undefined;
}

export const holdingsOf = (um: UserMonth): ReadonlyArray<Holding> => [
  { at: monthStart(um.month), assignments: um.carriedIn, change: undefined },
  ...um.steps.map((s) => ({ at: s.change.event.data.occurredAt, assignments: s.after, change: s.change })),
];

const tiersOf = (assignments: Assignments): ReadonlyArray<string> => [...assignments.values()].map((a) => a.tier);

/** L1, L2, K1 at each holding: the billing before and after it (the same object when the holding bills nothing). */
export interface BilledHolding {
  readonly holding: Holding;
  readonly before: Billing | undefined;
  readonly after: Billing | undefined;
}

export const billedHoldings = (um: UserMonth, tiers: TiersInEffect): ReadonlyArray<BilledHolding> => {
  let billing: Billing | undefined;
  return holdingsOf(um).map((holding) => {
    const before = billing;
    billing = billAt(before, effectiveTier(tiersOf(holding.assignments), tiers));
    return { holding, before, after: billing };
  });
};

/** K5: an assignment was held at some instant of the month (the first change of a month with nothing carried in is a subscribe). */
export const holdsAnything = (um: UserMonth): boolean => um.carriedIn.size > 0 || um.steps.length > 0;

/** K1, K5 and the consumption of the month: what a consumption is decided on and what the statement bills. */
export const monthFacts = (um: UserMonth, tiers: TiersInEffect, consumed: Dec = ZERO): MonthFacts => {
  const billed = billedHoldings(um, tiers);
  const billing = billed[billed.length - 1]?.after;
  return { billing, allowance: billing?.allowance ?? ZERO, holds: holdsAnything(um), consumed };
};
