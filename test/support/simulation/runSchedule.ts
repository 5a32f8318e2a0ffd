import { isLedgerStream, Streams } from '../../../src/domain/events';
import { Prng, prng } from '../../../src/simulation/prng';
import { EventStore, RecordedEvent } from '../../../src/store/eventStore';
import { openStore } from '../../../src/store/openStore';
import { Exchange, violations } from './invariants';
import { Faults, noFaults } from './scheduledStore';
import { Scheduler } from './scheduler';
import { SimProcess, SimRequest, startProcesses } from './simProcess';

export type StoreUrl = 'memory:' | 'sqlite::memory:';

export interface ScheduleRun {
  readonly seed: number;
  readonly store: StoreUrl;
  readonly violations: ReadonlyArray<string>;
  readonly exchanges: ReadonlyArray<Exchange>;
  /** The store operations in the order the scheduler let them through. */
  readonly trace: ReadonlyArray<string>;
}

const PROCESSES = 2;
const IDEMPOTENCY_STREAMS = `${Streams.metaPrefix}idempotency/`;
const PROFILES = ['p1', 'p2'];
/** P1: one profile per account and Region. */
const REGIONS = ['us-east-1', 'eu-central-1'];
const USERS = ['u1', 'u2'];
const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * Profiles and subscriptions are set up in March, whose statement is final by the time the races
 * run (credit notes need a final line, N1); the rest of the setup is dated at the start of April,
 * the races after it; the clock starts on the 10th.
 */
const PAST_MONTH_START = Date.parse('2026-03-01T00:00:00.000Z');
const MONTH_START = Date.parse('2026-04-01T00:00:00.000Z');
const CLOCK_START = MONTH_START + 9 * DAY_MS;

/** Some commands are dated by the server (at its clock), others explicitly, up to a week back. */
const dating = (random: Prng): { occurredAt?: string } =>
  random.chance(0.5) ? {} : { occurredAt: new Date(MONTH_START + DAY_MS + random.int(8 * 24 * 3600) * 1000).toISOString() };

/** Near Pro's 1000-credit allowance after two or three of them. */
const credits = (random: Prng): string => `${150 + random.int(500)}.${String(random.int(100)).padStart(2, '0')}`;

/** The setup's March part, then its April part: each played on a clock at its own dates. */
const setupOf = (random: Prng): readonly [ReadonlyArray<Record<string, unknown>>, ReadonlyArray<Record<string, unknown>>] => {
  const inMarch = (minute: number) => new Date(PAST_MONTH_START + minute * 60_000).toISOString();
  const at = (minute: number) => new Date(MONTH_START + minute * 60_000).toISOString();
  const march = PROFILES.flatMap((profileId, i) => [
    { type: 'CreateProfile', profileId, accountId: '111122223333', region: REGIONS[i], occurredAt: inMarch(0) },
    ...USERS.map((userId) => ({ type: 'Subscribe', profileId, userId, tier: random.pick(['PRO', 'PRO_PLUS']), occurredAt: inMarch(1) })),
  ]);
  return [march, PROFILES.flatMap((profileId) => [
    ...(random.chance(0.6) ? [{ type: 'SetOverage', profileId, enabled: true, occurredAt: at(2) }] : []),
    ...USERS.flatMap((userId) => (random.chance(0.5) ? [{ type: 'ConsumeCredits', profileId, userId, credits: credits(random), requestId: `s-${userId}`, occurredAt: at(3) }] : [])),
  ])];
};

/** A credit note of the user's March CHARGE (20.00 or 40.00): two or three of them may not all fit (N2). */
const creditOf = (random: Prng, profileId: string, userId: string): Record<string, unknown> => ({
  type: 'IssueCredit',
  profileId,
  lineId: `${profileId}~2026-03~${userId}~1`,
  amount: `${5 + random.int(20)}.${String(random.int(100)).padStart(2, '0')}`,
  reason: 'simulated dispute',
  ...dating(random),
});

const anyCommand = (random: Prng): Record<string, unknown> => {
  const profileId = random.pick(PROFILES);
  const userId = random.pick(USERS);
  const roll = random.int(10);
  const base =
    roll < 5
      ? { type: 'ConsumeCredits', profileId, userId, credits: credits(random), requestId: `r${random.int(4)}` }
      : roll < 7
        ? { type: 'SetOverage', profileId, enabled: random.chance(0.3) }
        : roll === 7
          ? { type: 'Upgrade', profileId, userId, tier: random.pick(['PRO_PLUS', 'POWER']) }
          : roll === 8
            ? { type: 'Downgrade', profileId, userId, tier: 'PRO' }
            : random.pick([
                { type: 'Unsubscribe', profileId, userId },
                { type: 'Subscribe', profileId, userId: random.pick([...USERS, 'u3']), tier: 'PRO' },
              ]);
  return { ...base, ...dating(random) };
};

/** The races issue 9 names, each added to a wave now and then, beside random commands. */
const races = (random: Prng): ReadonlyArray<{ command: Record<string, unknown>; key?: string }> => {
  const profileId = random.pick(PROFILES);
  const userId = random.pick(USERS);
  const consume = (over: Record<string, unknown> = {}) => ({ type: 'ConsumeCredits', profileId, userId, credits: credits(random), requestId: `x${random.int(1000)}`, ...dating(random), ...over });
  switch (random.int(5)) {
    case 0: // SetOverage(false) racing consumptions near the allowance (problem 4)
      return [{ command: { type: 'SetOverage', profileId, enabled: false, ...dating(random) } }, { command: consume() }, { command: consume() }];
    case 1: {
      // one requestId, different users (K2)
      const requestId = `q${random.int(1000)}`;
      return USERS.map((u) => ({ command: consume({ userId: u, requestId }) }));
    }
    case 2: {
      // one Idempotency-Key, different bodies (problem 5)
      const key = `race-${random.int(1000)}`;
      return [{ command: consume(), key }, { command: consume(), key }, { command: anyCommand(random), key }];
    }
    case 3: // credits of one final line from both processes (N2)
      return Array.from({ length: 2 + random.int(2) }, () => ({ command: creditOf(random, profileId, userId) }));
    default: // a backdated subscription change among consumptions (problem 1)
      return [
        { command: consume() },
        { command: { ...random.pick([{ type: 'Unsubscribe' }, { type: 'Downgrade', tier: 'PRO' }]), profileId, userId, occurredAt: new Date(MONTH_START + 2 * DAY_MS).toISOString() } },
      ];
  }
};

const readLog = async (store: EventStore): Promise<RecordedEvent[]> => {
  const log: RecordedEvent[] = [];
  for await (const e of store.readAll()) log.push(e);
  return log;
};

/**
 * One seeded schedule: two processes over one store; a sequential setup (on its own dates), then two waves of
 * concurrent requests (random commands and races), then the retries of whatever crashed; finally
 * every invariant against the log. Everything random, the interleaving included, comes from the seed.
 */
export const runSchedule = async (seed: number, url: StoreUrl): Promise<ScheduleRun> => {
  const random = prng(seed);
  const store = await openStore(url);
  let now = new Date(PAST_MONTH_START);
  const scheduler = new Scheduler(random, () => {
    now = new Date(now.getTime() + 1000);
  });
  // Half the schedules crash a command's append after it was written, about one time in seven.
  const crashRate = random.chance(0.5) ? 0.15 : 0;
  // A command's events, and the idempotency layer's own writes (claim, response, release): every step of a keyed request.
  const crashes = (streamId: string) => (isLedgerStream(streamId) && streamId !== Streams.catalog) || streamId.startsWith(IDEMPOTENCY_STREAMS);
  const crashing: Faults = { crashAfterWrite: (streamId) => crashes(streamId) && random.chance(crashRate) };
  let faults = noFaults;
  const clock = () => now;
  try {
    const processes = await startProcesses(scheduler, store, Array.from({ length: PROCESSES }, () => clock), () => faults);
    const exchanges: Exchange[] = [];
    const found: string[] = [];
    let n = 0;
    const play = async (requests: ReadonlyArray<SimRequest>) => {
      const settled = await scheduler.run(requests.map((r) => () => (processes[r.process] as SimProcess).send(r)));
      settled.forEach((s, i) => {
        const request = requests[i] as SimRequest;
        if (s.status === 'fulfilled') exchanges.push({ request, answer: s.value });
        else found.push(`${request.id} threw: ${String(s.reason)}`);
      });
    };
    const request = (command: Record<string, unknown>, key?: string): SimRequest => ({
      id: `c${++n}`,
      process: random.int(PROCESSES),
      command,
      ...(key === undefined ? {} : { key }),
    });

    const [march, april] = setupOf(random);
    now = new Date(PAST_MONTH_START + 60_000);
    for (const command of march) await play([request(command)]);
    now = new Date(MONTH_START);
    for (const command of april) await play([request(command)]);
    now = new Date(CLOCK_START);
    const failedSetup = exchanges.filter((x) => x.answer.status >= 300);
    if (failedSetup.length > 0) throw new Error(`setup failed: ${JSON.stringify(failedSetup)}`);

    faults = crashing;
    for (let wave = 0; wave < 2; wave++) {
      const requests = [
        ...Array.from({ length: 2 + random.int(3) }, () => request(anyCommand(random), random.chance(0.3) ? `k${random.int(2)}` : undefined)),
        ...(random.chance(0.7) ? races(random).map((r) => request(r.command, r.key)) : []),
      ];
      await play(requests);
    }
    faults = noFaults;
    // A client whose request crashed sends it again, to either process.
    const crashed = exchanges.filter((x) => x.answer.status >= 500).map((x) => ({ ...x.request, id: `${x.request.id}.retry`, process: random.int(PROCESSES) }));
    if (crashed.length > 0) await play(crashed);

    return { seed, store: url, violations: [...found, ...violations(await readLog(store), exchanges)], exchanges, trace: scheduler.trace };
  } finally {
    await store.close();
  }
};
