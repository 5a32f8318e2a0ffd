import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import * as t from 'io-ts';
import { integerText, MonthString } from '../../domain/fields';
import { seedLedger } from '../../simulation/seedLedger';
import { estimatedCommands, seedPlan, SeedOptions } from '../../simulation/seedPlan';
import { CLI_ACTOR, CliCommand, ExitCode } from '../cliCommand';
import { progress } from '../progress';
import { decodeOptions, storeHelp, withStore } from '../withLedger';

const wholeNumber = (min: number, max: number) => integerText(`a whole number from ${min} to ${max}`, min, max);

const SeedArgs = t.type({
  profiles: wholeNumber(1, 100_000),
  users: wholeNumber(1, 1_000_000),
  months: wholeNumber(1, 600),
  'usage-per-user-month': wholeNumber(0, 100_000),
  seed: wholeNumber(0, 2 ** 32 - 1),
  start: MonthString,
});

export const seed: CliCommand = {
  name: 'seed',
  summary: 'write a realistic generated history through the command handler',
  help: `Usage: ledger seed --profiles N --users M --months K [--usage-per-user-month R] [--seed S]
                   [--start YYYY-MM] [--store URL] [--json]

Generates a history from a seeded PRNG (same options, same commands) and sends it through the
command handler as actor "cli", on the history's own clock: N profiles across accounts and
Regions, M users per profile (neighbouring profiles share half their users), in several groups,
with upgrades, downgrades, cancellations, returns and overage toggles, and R usage requests per
user and month with fractional credits that mostly stay within the allowance. Usage past the
allowance while overage is off is rejected (CREDITS_EXHAUSTED), as it would be in production.
A store that does not exist yet is created (and said so).

  --usage-per-user-month R   default 20
  --seed S                   default 1
  --start YYYY-MM            first month, default 2025-01
  ${storeHelp}
  --json                     {"commands", "ok", "rejected": {"CODE": n}, "events", "head", "seconds"}`,
  async run(args, io) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        profiles: { type: 'string' },
        users: { type: 'string' },
        months: { type: 'string' },
        'usage-per-user-month': { type: 'string', default: '20' },
        seed: { type: 'string', default: '1' },
        start: { type: 'string', default: '2025-01' },
        store: { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
    });
    const a = decodeOptions(SeedArgs, values);
    const options: SeedOptions = {
      profiles: a.profiles,
      users: a.users,
      months: a.months,
      usagePerUserMonth: a['usage-per-user-month'],
      seed: a.seed,
      start: a.start,
    };
    return withStore(io, 'seed', values.store, 'create', async ({ store }) => {
      const estimate = estimatedCommands(options);
      const bar = progress('seed', estimate, io);
      const started = performance.now();
      const counts = await seedLedger(store, seedPlan(options), {
        actor: CLI_ACTOR,
        onProgress: (n) => {
          if (n % 1000 === 0) bar.update(n, Math.max(estimate, n));
        },
      });
      const commands = counts.ok + [...counts.rejected.values()].reduce((x, y) => x + y, 0);
      bar.update(commands, commands);
      bar.stop();
      const seconds = (performance.now() - started) / 1000;
      const head = await store.headPosition();
      const rejected = Object.fromEntries([...counts.rejected].sort(([x], [y]) => (x < y ? -1 : 1)));
      if (values.json) io.out(JSON.stringify({ commands, ok: counts.ok, rejected, events: counts.events, head, seconds }));
      else {
        const codes = Object.entries(rejected).map(([code, n]) => `${code} ${n}`);
        io.out(`Seeded ${commands} commands in ${seconds.toFixed(1)} s: ${counts.ok} ok, ${commands - counts.ok} rejected${codes.length === 0 ? '' : ` (${codes.join(', ')})`}.`);
        io.out(`${counts.events} events appended; the store's head is at position ${head}.`);
      }
      return ExitCode.ok;
    });
  },
};
