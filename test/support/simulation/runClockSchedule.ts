import { LedgerService } from '../../../src/app/ledgerService';
import { decodeOrThrow } from '../../../src/commands/decodeRecorded';
import { isLedgerStream, LedgerEvent } from '../../../src/domain/events';
import { Dec, ZERO } from '../../../src/domain/money';
import { Month, monthEnd, monthOf, nextMonth, toMillis } from '../../../src/domain/time';
import { Statement } from '../../../src/projections/statementTypes';
import { Prng, prng } from '../../../src/simulation/prng';
import { EventStore, RecordedEvent } from '../../../src/store/eventStore';
import { openStore } from '../../../src/store/openStore';
import { Exchange, violations } from './invariants';
import { ReferenceFold, userMonthKey } from './referenceFold';
import { StoreUrl } from './runSchedule';
import { noFaults } from './scheduledStore';
import { Scheduler } from './scheduler';
import { SimProcess, SimRequest, startProcesses } from './simProcess';

/**
 * The clock as an actor (issue 16, item 6): two processes over one store, each on its own clock
 * (the true one plus a skew of up to a minute and a half), in the last minutes of a month that ends a
 * year, a February or April; commands dated up to 5 minutes ahead of the clock (T2), so that the next
 * month's events reach the log while this month is open. After the schedule: the checks of the issue
 * (and every invariant of the issue-9 simulation).
 */
export interface ClockRun {
  readonly seed: number;
  readonly store: StoreUrl;
  readonly violations: ReadonlyArray<string>;
  readonly exchanges: ReadonlyArray<TimedExchange>;
  readonly trace: ReadonlyArray<string>;
  /** The true clock at the start and the end, and each process's skew. */
  readonly clock: { readonly from: string; readonly to: string; readonly skewsMs: ReadonlyArray<number> };
}

/** An exchange with the log heads around it: the events its decision may have seen lie between. */
export interface TimedExchange extends Exchange {
  readonly sentAtHead: number;
  readonly answeredAtHead: number;
}

const PROCESSES = 2;
const PROFILE = 'p1';
const USERS = ['u1', 'u2', 'u3'];
const SECOND = 1000;
/** Below the seal delay of F2 (10 minutes), as a deployment keeps it. */
const MAX_SKEW = 90 * SECOND;
/** Month ends crossed: April into May, December into January, a leap and a common February. */
const MONTH_ENDS = ['2026-05-01', '2027-01-01', '2028-03-01', '2027-03-01'];

const credits = (random: Prng): string => `${random.pick([200, 400, 600, 900, 1500])}.${String(random.int(100)).padStart(2, '0')}`;

const at = (ms: number): string => new Date(ms).toISOString();

/** Opening the month: the profile, its users at random tiers, some of them lowered or cancelled later in the month (M2, M4). */
const setupOf = (random: Prng, month: Month): ReadonlyArray<Record<string, unknown>> => {
  const day = (d: number) => `${month}-${String(d).padStart(2, '0')}T09:00:00.000Z`;
  const tiers = USERS.map(() => random.pick(['PRO', 'PRO_PLUS', 'POWER']));
  return [
    { type: 'CreateProfile', profileId: PROFILE, accountId: '111122223333', region: 'us-east-1', occurredAt: day(1) },
    ...USERS.map((userId, i) => ({ type: 'Subscribe', profileId: PROFILE, userId, tier: tiers[i], occurredAt: day(1) })),
    ...(random.chance(0.3) ? [{ type: 'SetOverage', profileId: PROFILE, enabled: true, occurredAt: day(2) }] : []),
    ...USERS.flatMap((userId, i) => (tiers[i] !== 'PRO' && random.chance(0.5) ? [{ type: 'Downgrade', profileId: PROFILE, userId, tier: 'PRO', occurredAt: day(20) }] : [])),
    ...USERS.flatMap((userId) => (random.chance(0.25) ? [{ type: 'Unsubscribe', profileId: PROFILE, userId, occurredAt: day(21) }] : [])),
  ];
};

/** A command sent at true time `now`: dated by the server, or by the client up to 2 minutes back or 5 minutes ahead. */
const commandAt = (random: Prng, now: number): Record<string, unknown> => {
  const dated = random.chance(0.3) ? {} : { occurredAt: at(now - 2 * 60 * SECOND + random.int(7 * 60) * SECOND) };
  const userId = random.pick(USERS);
  const roll = random.int(20);
  if (roll < 10) return { type: 'ConsumeCredits', profileId: PROFILE, userId, credits: credits(random), requestId: `r${random.int(100_000)}`, ...dated };
  if (roll < 13) return { type: 'Subscribe', profileId: PROFILE, userId: random.pick([...USERS, 'u4']), tier: random.pick(['PRO', 'POWER']), ...dated };
  if (roll < 14) return { type: 'Unsubscribe', profileId: PROFILE, userId, ...dated };
  if (roll < 15) return { type: 'Downgrade', profileId: PROFILE, userId, tier: 'PRO', ...dated };
  if (roll < 16) return { type: 'Upgrade', profileId: PROFILE, userId, tier: random.pick(['PRO_PLUS', 'POWER']), ...dated };
  if (roll < 18) return { type: 'SetOverage', profileId: PROFILE, enabled: random.chance(0.4), ...dated };
  // A cheaper Pro with fewer credits from the next month: never for a month that has started (C3).
  return { type: 'DefineTier', tier: 'PRO', name: 'Pro', credits: '500', price: '30.00', fromMonth: nextMonth(monthOf(at(now))) };
};

const readLedgerLog = async (store: EventStore): Promise<ReadonlyArray<{ e: RecordedEvent; event: LedgerEvent }>> => {
  const log: { e: RecordedEvent; event: LedgerEvent }[] = [];
  for await (const e of store.readAll()) if (isLedgerStream(e.streamId)) log.push({ e, event: decodeOrThrow(e).event });
  return log;
};

const codeOf = (x: Exchange): string | undefined => (x.answer.body as { error?: { code?: string } } | null)?.error?.code;

/** No consumption refused that the rules accept at every point of the log its decision may have read. */
const refusedYetAccepted = (log: ReadonlyArray<{ e: RecordedEvent; event: LedgerEvent }>, exchanges: ReadonlyArray<TimedExchange>): string[] => {
  const refused = exchanges.filter((x) => x.request.command.type === 'ConsumeCredits' && x.request.command.occurredAt !== undefined && ['CREDITS_EXHAUSTED', 'NOT_SUBSCRIBED'].includes(codeOf(x) ?? ''));
  const acceptedThroughout = new Map(refused.map((x) => [x, true]));
  const rules = new ReferenceFold();
  const judge = (position: number) => {
    for (const x of refused) {
      if (position < x.sentAtHead || position > x.answeredAtHead) continue;
      const c = x.request.command as { userId: string; credits: string; occurredAt: string };
      if (!rules.accepts(PROFILE, c.userId, c.credits, c.occurredAt)) acceptedThroughout.set(x, false);
    }
  };
  let position = -1;
  for (const { e, event } of log) {
    // The log up to just before this event: every position of the window it passes through.
    for (; position < e.globalPosition; position++) judge(position);
    rules.apply(event);
  }
  const last = Math.max(position, ...refused.map((x) => x.answeredAtHead));
  for (; position <= last; position++) judge(position);
  return refused
    .filter((x) => acceptedThroughout.get(x) === true)
    .map((x) => `${x.request.id} ${JSON.stringify(x.request.command)} refused ${codeOf(x)}: ${(x.answer.body as { error: { message: string } }).error.message}; the rules accept it at every point of the log from ${x.sentAtHead} to ${x.answeredAtHead}`);
};

/** Every acknowledged consumption on exactly one statement, its month's; nothing consumed with overage off billed as overage. */
const statementChecks = (log: ReadonlyArray<{ e: RecordedEvent; event: LedgerEvent }>, exchanges: ReadonlyArray<Exchange>, statements: ReadonlyMap<Month, Statement>): string[] => {
  const found: string[] = [];
  const acknowledged = new Set(
    exchanges.filter((x) => x.request.command.type === 'ConsumeCredits' && x.answer.status < 300).flatMap((x) => (x.answer.body as { events: ReadonlyArray<{ eventId: string }> }).events.map((e) => e.eventId)),
  );
  const used = new Map<string, Dec>();
  const usedWithOverageOn = new Map<string, Dec>();
  const rules = new ReferenceFold();
  for (const { e, event } of log) {
    if (event.type === 'CreditsConsumed') {
      const key = userMonthKey(event.data.profileId, event.data.userId, monthOf(event.data.occurredAt));
      used.set(key, (used.get(key) ?? ZERO).plus(event.data.credits));
      if (rules.overageOn(event.data.profileId)) usedWithOverageOn.set(key, (usedWithOverageOn.get(key) ?? ZERO).plus(event.data.credits));
      if (acknowledged.has(e.eventId)) {
        const month = monthOf(event.data.occurredAt);
        const shown = statements.get(month)?.users.find((u) => u.userId === event.data.userId);
        if (shown === undefined) found.push(`L6: acknowledged ${e.type}@${e.globalPosition} of ${event.data.userId} (${event.data.occurredAt}) is on no statement of ${month}`);
      }
    }
    rules.apply(event);
  }
  for (const [month, s] of statements) {
    for (const u of s.users) {
      const key = userMonthKey(s.profileId, u.userId, month);
      const logged = (used.get(key) ?? ZERO).toFixed(2);
      if (u.creditsUsed !== logged) found.push(`L6: statement ${month} shows ${u.userId} using ${u.creditsUsed} credits, the log ${logged}`);
      const allowedOver = usedWithOverageOn.get(key) ?? ZERO;
      if (new Dec(u.overageCredits).greaterThan(allowedOver)) {
        found.push(`K4/K6: statement ${month} bills ${u.userId} ${u.overageCredits} credits of overage, yet only ${allowedOver.toFixed(2)} were consumed while overage was on`);
      }
    }
  }
  return found;
};

export const runClockSchedule = async (seed: number, url: StoreUrl): Promise<ClockRun> => {
  const random = prng(seed);
  const store = await openStore(url);
  const end = Date.parse(`${random.pick(MONTH_ENDS)}T00:00:00.000Z`);
  const month = monthOf(at(end - 1));
  // Close enough to the end that most schedules cross it at 2 s per store operation (a SetOverage makes a few since issue 16's prefix guard).
  const from = end - 30 * SECOND - random.int(120) * SECOND;
  // The setup runs on a still clock a quarter of an hour before the end; then the clock runs, 2 s per store operation.
  let now = end - 15 * 60 * SECOND;
  let ticking = false;
  const scheduler = new Scheduler(random, () => {
    if (ticking) now += 2 * SECOND;
  });
  const skews = Array.from({ length: PROCESSES }, () => random.int(2 * MAX_SKEW + 1) - MAX_SKEW);
  // The months a statement may be final in, by every process's clock (F2's seal delay is longer than the skew).
  const finalForAll = (m: Month) => now - MAX_SKEW >= toMillis(monthEnd(m));
  const observer = await new LedgerService(store, { clock: () => new Date(now) }).open();
  try {
    const processes = await startProcesses(scheduler, store, skews.map((skew) => () => new Date(now + skew)), () => noFaults);
    const exchanges: TimedExchange[] = [];
    const found: string[] = [];
    let n = 0;
    const play = async (requests: ReadonlyArray<SimRequest>) => {
      const sentAtHead = await store.headPosition();
      const settled = await scheduler.run(
        requests.map((r) => async () => {
          const answer = await (processes[r.process] as SimProcess).send(r);
          return { answer, answeredAtHead: await store.headPosition() };
        }),
      );
      settled.forEach((s, i) => {
        const request = requests[i] as SimRequest;
        if (s.status === 'fulfilled') exchanges.push({ request, answer: s.value.answer, sentAtHead, answeredAtHead: s.value.answeredAtHead });
        else found.push(`${request.id} threw: ${String(s.reason)}`);
      });
    };
    const request = (command: Record<string, unknown>): SimRequest => ({ id: `c${++n}`, process: random.int(PROCESSES), command });

    for (const command of setupOf(random, month)) await play([request(command)]);
    const failedSetup = exchanges.filter((x) => x.answer.status >= 300);
    if (failedSetup.length > 0) throw new Error(`setup failed: ${JSON.stringify(failedSetup.map((x) => [x.request.command, x.answer.body]))}`);

    now = from;
    ticking = true;
    const months = [month, nextMonth(month)];
    const finals = new Map<Month, string>();
    for (let wave = 0; wave < 4; wave++) {
      await play(Array.from({ length: 3 + random.int(4) }, () => request(commandAt(random, now))));
      for (const m of months) {
        const s = await observer.statement(PROFILE, m);
        if (s !== undefined && finalForAll(m) && !finals.has(m)) finals.set(m, JSON.stringify(s));
      }
    }

    const log = await readLedgerLog(store);
    const statements = new Map<Month, Statement>();
    for (const m of months) {
      const s = await observer.statement(PROFILE, m);
      if (s !== undefined) statements.set(m, s);
    }
    for (const [m, first] of finals) {
      if (JSON.stringify(statements.get(m)) !== first) found.push(`T4: the final statement of ${m} changed after it was read final:\n    was ${first}\n    now ${JSON.stringify(statements.get(m))}`);
    }
    const all: RecordedEvent[] = [];
    for await (const e of store.readAll()) all.push(e);
    return {
      seed,
      store: url,
      violations: [...found, ...violations(all, exchanges), ...refusedYetAccepted(log, exchanges), ...statementChecks(log, exchanges, statements)],
      exchanges,
      trace: scheduler.trace,
      clock: { from: at(from), to: at(now), skewsMs: skews },
    };
  } finally {
    await store.close();
  }
};
