import { runSchedule, ScheduleRun, StoreUrl } from '../support/simulation/runSchedule';

/**
 * Deterministic simulation (issue 9, item 7): seeded schedules of two processes racing over one
 * store, every invariant checked against the log afterwards. `SEED=1234 npx jest test/simulation`
 * replays one schedule and prints its requests, answers and interleaving.
 */
const SCHEDULES = 500;
const replay = process.env.SEED === undefined ? undefined : Number(process.env.SEED);
if (replay !== undefined && !Number.isSafeInteger(replay)) throw new Error(`SEED: must be an integer, got ${process.env.SEED}`);
const seeds = replay === undefined ? Array.from({ length: SCHEDULES }, (_, i) => i + 1) : [replay];
/** Every fourth schedule runs on SQLite (in memory), whose appends commit in a later tick. */
const storeOf = (seed: number): StoreUrl => (seed % 4 === 0 ? 'sqlite::memory:' : 'memory:');

const report = (run: ScheduleRun): string => `SEED=${run.seed} npx jest test/simulation  (${run.store})\n  ${run.violations.join('\n  ')}`;

const details = (run: ScheduleRun): string =>
  [
    ...run.exchanges.map((x) => `${x.request.id} → P${x.request.process}${x.request.key === undefined ? '' : ` key ${x.request.key}`} ${JSON.stringify(x.request.command)} ⇒ ${x.answer.status} ${JSON.stringify(x.answer.body).slice(0, 200)}`),
    'interleaving:',
    ...run.trace,
  ].join('\n');

test(`${seeds.length} seeded schedules keep T2, K2, K4, N2 and one effect per Idempotency-Key`, async () => {
  const failing: ScheduleRun[] = [];
  for (const seed of seeds) {
    const run = await runSchedule(seed, storeOf(seed));
    if (run.violations.length > 0) failing.push(run);
    if (replay !== undefined) console.log(details(run));
  }
  // The first few in full; the rest by seed, to keep the failure readable.
  const shown = 10;
  const rest = failing.slice(shown).map((run) => run.seed);
  expect([...failing.slice(0, shown).map(report), ...(rest.length === 0 ? [] : [`and ${rest.length} more failing seeds: ${rest.join(', ')}`])]).toEqual([]);
  // A bound for a loaded machine (2 cores shared by several runs), not a measure: the schedules are counted, not timed.
}, 180_000);

test('a seed replays the same interleaving and the same answers', async () => {
  const outline = (run: ScheduleRun) => ({ trace: run.trace, answers: run.exchanges.map((x) => [x.request, x.answer.status]) });
  for (const seed of [9, 24]) {
    const first = await runSchedule(seed, storeOf(seed));
    expect(first.trace.length).toBeGreaterThan(50);
    expect(outline(await runSchedule(seed, storeOf(seed)))).toEqual(outline(first));
  }
});
