import { ClockRun, runClockSchedule } from '../support/simulation/runClockSchedule';
import { StoreUrl } from '../support/simulation/runSchedule';

/**
 * The clock as an actor of the simulation (issue 16, item 6): seeded schedules of two processes with
 * skewed clocks across a month's end, commands in the 5 minutes' lead, the issue's checks against the
 * log afterwards. `SEED=1234 npx jest test/simulation/clock` replays one and prints it.
 */
const SCHEDULES = 500;
const replay = process.env.SEED === undefined ? undefined : Number(process.env.SEED);
if (replay !== undefined && !Number.isSafeInteger(replay)) throw new Error(`SEED: must be an integer, got ${process.env.SEED}`);
const seeds = replay === undefined ? Array.from({ length: SCHEDULES }, (_, i) => i + 1) : [replay];
/** Every fourth schedule runs on SQLite (in memory), whose appends commit in a later tick. */
const storeOf = (seed: number): StoreUrl => (seed % 4 === 0 ? 'sqlite::memory:' : 'memory:');

const report = (run: ClockRun): string =>
  `SEED=${run.seed} npx jest test/simulation/clock  (${run.store}, ${run.clock.from} to ${run.clock.to}, skews ${run.clock.skewsMs.join(', ')} ms)\n  ${run.violations.join('\n  ')}`;

const details = (run: ClockRun): string =>
  [
    ...run.exchanges.map((x) => `${x.request.id} → P${x.request.process} [${x.sentAtHead}..${x.answeredAtHead}] ${JSON.stringify(x.request.command)} ⇒ ${x.answer.status} ${JSON.stringify(x.answer.body).slice(0, 240)}`),
    'interleaving:',
    ...run.trace,
  ].join('\n');

test(`${seeds.length} seeded schedules across month ends keep every acknowledged consumption on one statement, final statements final, overage opt-in, and refuse nothing the rules accept`, async () => {
  const failing: ClockRun[] = [];
  let crossed = 0;
  for (const seed of seeds) {
    const run = await runClockSchedule(seed, storeOf(seed));
    if (run.clock.from.slice(0, 7) !== run.clock.to.slice(0, 7)) crossed += 1;
    if (run.violations.length > 0) failing.push(run);
    if (replay !== undefined) console.log(`${report(run)}\n${details(run)}`);
  }
  const shown = 10;
  const rest = failing.slice(shown).map((run) => run.seed);
  expect([...failing.slice(0, shown).map(report), ...(rest.length === 0 ? [] : [`and ${rest.length} more failing seeds: ${rest.join(', ')}`])]).toEqual([]);
  // Most schedules end in the next month, so that the lead and the month's close are both exercised.
  expect(crossed).toBeGreaterThan(seeds.length * 0.8);
}, 90_000);
