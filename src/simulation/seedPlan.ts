import { groupKey } from '../domain/assignment';
import { genesisCatalog, tierOrder, tiersInEffect } from '../domain/catalog';
import { CommandInput } from '../domain/commands';
import { Dec } from '../domain/money';
import { tierVersionOf } from '../domain/tier';
import { Month, monthStart, nextMonth, toMillis } from '../domain/time';
import { Prng, prng } from './prng';

/**
 * A realistic history as a deterministic stream of commands (`ledger seed`): profiles across accounts
 * and regions, users in several groups and profiles, upgrades, downgrades, cancellations and
 * returns, overage toggles, and fractional usage that mostly stays within the allowance. The plan
 * tracks just enough state to send commands the handler accepts; the one rejection it provokes on
 * purpose is usage past the allowance with overage off.
 */
export interface SeedOptions {
  readonly profiles: number;
  /** Users per profile; neighbouring profiles share half of theirs (P4). */
  readonly users: number;
  readonly months: number;
  /** Consumption requests per user and month held. */
  readonly usagePerUserMonth: number;
  readonly seed: number;
  /** First month, `YYYY-MM`. */
  readonly start: Month;
}

/** Codes a seeded command may be rejected with: only usage past the allowance (K4). */
export const EXPECTED_REJECTIONS: ReadonlySet<string> = new Set(['CREDITS_EXHAUSTED']);

export type SeedCommand = CommandInput & { readonly occurredAt: string };

const REGIONS = ['us-east-1', 'eu-central-1', 'us-west-2', 'ap-southeast-2'] as const;
const GROUPS = ['g-eng', 'g-data', 'g-ops', 'g-sales'] as const;
const DIRECT = groupKey(null);
/** A month is played as four weeks: lifecycle changes at the start of a week, then its usage. */
const WEEKS = 4;
const WEEK_MS = 7 * 24 * 3600 * 1000;
const LIFECYCLE_SPACING_MS = 1000;

/** Per-week odds of a lifecycle change for one user. */
const ODDS = { upgrade: 0.03, downgrade: 0.02, unsubscribe: 0.01, addGroup: 0.01, resubscribe: 0.25, overageToggle: 0.3 };

const catalog = genesisCatalog.map((e) => tierVersionOf(e));
const tiers = tiersInEffect(catalog, genesisCatalog[0]?.data.fromMonth ?? '1970-01');
/** Ascending (C1). */
const TIERS = tierOrder(tiers);
const creditsOf = (tier: string): Dec => tiers.get(tier)?.credits ?? new Dec(0);

interface UserPlan {
  readonly userId: string;
  /** groupKey → tier */
  readonly assignments: Map<string, string>;
  /** Tiers held at some instant of the current month (K1). */
  held: Set<string>;
  /** Share of the allowance the user aims to use this month. */
  appetite: number;
  /** Requests sent this month, for request ids. */
  sent: number;
  /** Week index (from the start) at which the user first subscribes. */
  readonly joinsAt: number;
}

interface ProfilePlan {
  readonly profileId: string;
  readonly users: UserPlan[];
  overage: boolean;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Mostly the cheapest tier, some the middle one, a few the top one. */
const initialTier = (r: Prng): string => {
  const x = r.next();
  return (x < 0.6 ? TIERS[0] : x < 0.9 ? TIERS[1] : TIERS[TIERS.length - 1]) as string;
};

const drawAppetite = (r: Prng): number => (r.chance(0.9) ? 0.05 + 0.85 * r.next() : 0.9 + 0.5 * r.next());

const allowance = (u: UserPlan): Dec => [...u.held].map(creditsOf).reduce((a, b) => Dec.max(a, b), new Dec(0));

export function* seedPlan(o: SeedOptions): Generator<SeedCommand> {
  const r = prng(o.seed);
  const idWidth = String(Math.max(o.profiles, o.users * (o.profiles + 1))).length;
  const profiles: ProfilePlan[] = Array.from({ length: o.profiles }, (_, k) => ({
    profileId: `p-${pad(k, idWidth)}`,
    overage: false,
    users: Array.from({ length: o.users }, (_, i) => ({
      userId: `u-${pad(k * Math.ceil(o.users / 2) + i, idWidth)}`,
      assignments: new Map<string, string>(),
      held: new Set<string>(),
      appetite: drawAppetite(r),
      sent: 0,
      joinsAt: r.chance(0.7) ? 0 : r.int(o.months * WEEKS),
    })),
  }));

  let month = o.start;
  for (let m = 0; m < o.months; m++, month = nextMonth(month)) {
    for (const p of profiles) {
      for (const u of p.users) {
        u.held = new Set(u.assignments.values());
        u.appetite = drawAppetite(r);
        u.sent = 0;
      }
    }
    const monthEndMs = toMillis(monthStart(nextMonth(month)));
    for (let w = 0; w < WEEKS; w++) {
      const weekStart = toMillis(monthStart(month)) + w * WEEK_MS;
      const weekEnd = w === WEEKS - 1 ? monthEndMs - 60_000 : weekStart + WEEK_MS;
      const lifecycle = [...weekChanges(r, profiles, m * WEEKS + w)];
      for (const [i, c] of lifecycle.entries()) yield { ...c, occurredAt: new Date(weekStart + i * LIFECYCLE_SPACING_MS).toISOString() } as SeedCommand;
      yield* weekUsage(r, profiles, o, w, month, weekStart + lifecycle.length * LIFECYCLE_SPACING_MS, weekEnd);
    }
  }
}

/** The week's profile creations, subscriptions, tier changes, cancellations and overage toggles. */
function* weekChanges(r: Prng, profiles: ReadonlyArray<ProfilePlan>, week: number): Generator<CommandInput> {
  for (const [k, p] of profiles.entries()) {
    const profileId = p.profileId;
    if (week === 0) {
      yield { type: 'CreateProfile', profileId, accountId: String(100_000_000_000 + Math.floor(k / REGIONS.length)), region: REGIONS[k % REGIONS.length] as string };
      // Every other profile opts in to overage from the start; the others may later (K3).
      if (k % 2 === 1) {
        p.overage = true;
        yield { type: 'SetOverage', profileId, enabled: true };
      }
    }
    if (week % WEEKS === 0 && week > 0 && r.chance(ODDS.overageToggle)) {
      p.overage = !p.overage;
      yield { type: 'SetOverage', profileId, enabled: p.overage };
    }
    for (const u of p.users) {
      const userId = u.userId;
      const subscribe = (key: string, tier: string): CommandInput => {
        u.assignments.set(key, tier);
        u.held.add(tier);
        return { type: 'Subscribe', profileId, userId, tier, ...(key === DIRECT ? {} : { groupId: key }) };
      };
      if (week < u.joinsAt) continue;
      if (week === u.joinsAt) {
        if (r.chance(0.6)) yield subscribe(DIRECT, initialTier(r));
        const groups = u.assignments.size === 0 ? 1 + r.int(2) : r.int(2);
        for (let g = 0; g < groups; g++) {
          const group = r.pick(GROUPS.filter((x) => !u.assignments.has(x)));
          yield subscribe(group, initialTier(r));
        }
        continue;
      }
      const keys = [...u.assignments.keys()];
      if (keys.length === 0) {
        if (r.chance(ODDS.resubscribe)) yield subscribe(r.pick([DIRECT, ...GROUPS]), initialTier(r));
        continue;
      }
      const key = r.pick(keys);
      const group = key === DIRECT ? {} : { groupId: key };
      const rank = TIERS.indexOf(u.assignments.get(key) as string);
      const x = r.next();
      if (x < ODDS.upgrade && rank < TIERS.length - 1) {
        const tier = TIERS[rank + 1 + r.int(TIERS.length - rank - 1)] as string;
        u.assignments.set(key, tier);
        u.held.add(tier);
        yield { type: 'Upgrade', profileId, userId, tier, ...group };
      } else if (x < ODDS.upgrade + ODDS.downgrade && rank > 0) {
        const tier = TIERS[r.int(rank)] as string;
        u.assignments.set(key, tier);
        u.held.add(tier);
        yield { type: 'Downgrade', profileId, userId, tier, ...group };
      } else if (x < ODDS.upgrade + ODDS.downgrade + ODDS.unsubscribe) {
        u.assignments.delete(key);
        yield { type: 'Unsubscribe', profileId, userId, ...group };
      } else if (x < ODDS.upgrade + ODDS.downgrade + ODDS.unsubscribe + ODDS.addGroup) {
        const free = [DIRECT, ...GROUPS].filter((g) => !u.assignments.has(g));
        if (free.length > 0) yield subscribe(r.pick(free), initialTier(r));
      }
    }
  }
}

/**
 * The week's share of every holding user's requests, round-robin across users so that time only
 * moves forward; each asks for a jittered share of the appetite, in cents, at least 0.01.
 */
function* weekUsage(
  r: Prng,
  profiles: ReadonlyArray<ProfilePlan>,
  o: SeedOptions,
  week: number,
  month: Month,
  from: number,
  to: number,
): Generator<SeedCommand> {
  const share = (i: number) => Math.floor((o.usagePerUserMonth * i) / WEEKS);
  const perUser = share(week + 1) - share(week);
  const active = profiles.flatMap((p) => p.users.filter((u) => u.held.size > 0).map((u) => ({ p, u })));
  const total = perUser * active.length;
  let n = 0;
  for (let i = 0; i < perUser; i++) {
    for (const { p, u } of active) {
      const credits = Dec.max(
        new Dec('0.01'),
        allowance(u).times((u.appetite * (0.5 + r.next())) / o.usagePerUserMonth).toDecimalPlaces(2, Dec.ROUND_DOWN),
      );
      yield {
        type: 'ConsumeCredits',
        profileId: p.profileId,
        userId: u.userId,
        credits: credits.toFixed(2),
        requestId: `${u.userId}.${month}.${u.sent++}`,
        occurredAt: new Date(from + Math.floor(((to - from) * n++) / Math.max(1, total))).toISOString(),
      };
    }
  }
}

/** Roughly how many commands `seedPlan` yields, for a progress bar's total. */
export const estimatedCommands = (o: SeedOptions): number => Math.round(o.profiles * (1 + o.users * (1.5 + o.months * (o.usagePerUserMonth + 0.1))));
