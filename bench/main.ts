import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildHistory, HistoryShape } from './bulkHistory';
import { measureBatchUsage } from './batchUsage';
import { measureBigProfile } from './bigProfile';
import { measureCommandThroughput } from './commandThroughput';
import { measureConcurrentCommands } from './concurrentCommands';
import { measureHeavyUserStatement } from './heavyUserStatement';
import { measureHttpCommands } from './httpCommands';
import { measurePostgres } from './postgres';
import { measureReplay, replayInChild } from './replay';
import { Scale, SCALES } from './scale';
import { measureWebhookFold } from './webhookProjection';
import { measureStatementLatency } from './statementLatency';

const ratio = (name: string, value: number, bound: number) => ({ name, value, target: `>= ${bound}`, met: value >= bound });

/**
 * The targets of issues 6, 12 and 18 (and of issue 10 for PostgreSQL, when it ran), as `figure /
 * baseline` ratios or bounds. Issue 18's ratios are medians of pairs run side by side (`scale.pairs`).
 */
const targets = (f: Figures) => [
  ...(f.pgCommandsRatio === undefined || f.pgConcurrentCommandsRatio === undefined
    ? []
    : [ratio('pgCommandsPerSec / pgRawInsertPerSec', f.pgCommandsRatio, 0.5), ratio('pgConcurrentCommandsPerSec / pgRawConcurrentInsertPerSec', f.pgConcurrentCommandsRatio, 0.5)]),
  ratio('commandsPerSec / rawInsertPerSec', f.commandsPerSec / f.rawInsertPerSec, 0.5),
  ratio('replayEventsPerSec / rawScanEventsPerSec', f.replayEventsPerSec / f.rawScanEventsPerSec, 0.5),
  // Issue 21's own bound: a node's first endpoint folds the whole log; that must not take longer than a few bare scans.
  ratio('webhookFoldEventsPerSec / rawScanEventsPerSec', f.webhookFoldEventsPerSec / f.rawScanEventsPerSec, 0.25),
  ratio('verifyEventsPerSec / replayEventsPerSec', f.verifyEventsPerSec / f.replayEventsPerSec, 0.5),
  { name: 'statementP99Ms', value: f.statementP99Ms, target: '<= 10', met: f.statementP99Ms <= 10 },
  { name: 'heavyUserStatementP99Ms', value: f.heavyUserStatementP99Ms, target: '<= 20', met: f.heavyUserStatementP99Ms <= 20 },
  { name: 'heavyUserStatementBytes', value: f.heavyUserStatementBytes, target: '<= 100000', met: f.heavyUserStatementBytes <= 100_000 },
  { name: 'httpCommandsPerSec', value: f.httpCommandsPerSec, target: '>= 2000', met: f.httpCommandsPerSec >= 2000 },
  { name: 'httpP99Ms', value: f.httpP99Ms, target: '<= 25', met: f.httpP99Ms <= 25 },
  { name: 'replayPeakRssMb4M / replayPeakRssMb', value: f.replayPeakRssMb4M / f.replayPeakRssMb, target: '<= 1.5', met: f.replayPeakRssMb4M / f.replayPeakRssMb <= 1.5 },
  ratio('batchUsagePerSec / rawBatchInsertPerSec', f.batchUsageRatio, 0.3),
  ratio('hotUserHttpPerSec / httpBarePerSec', f.hotUserHttpRatio, 0.15),
  ratio('httpCommandsPerSec / httpBarePerSec', f.httpCommandsRatio, 0.3),
  ratio('concurrentCommandsPerSec / rawCallersBatchInsertPerSec', f.concurrentCommandsRatio, 0.6),
  { name: 'eventLoopMaxStallMs (big profile)', value: f.eventLoopMaxStallMs, target: '<= 50', met: f.eventLoopMaxStallMs <= 50 },
];

type Figures = Awaited<ReturnType<typeof measureAll>>;

const log = (text: string) => process.stderr.write(`bench: ${text}\n`);

const history = async (path: string, shape: HistoryShape): Promise<number> => {
  const started = Date.now();
  const events = await buildHistory(path, shape);
  log(`history of ${events} events built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return events;
};

const measureAll = async (dir: string, scale: Scale) => {
  log('1/7 sequential commands and bare single-row inserts');
  const commands = await measureCommandThroughput(dir, scale);
  log('6/7 32 concurrent callers and bare 1,000-row transactions');
  const concurrent = await measureConcurrentCommands(dir, scale);
  log('7/7 PostgreSQL: sequential commands against bare inserts, 32 concurrent callers');
  const postgres = await measurePostgres(scale);
  if ('skipped' in postgres) log(`PostgreSQL figures skipped: ${postgres.skipped}`);
  const historyPath = join(dir, 'history.db');
  log(`2/7 replay against a bare scan (building ${scale.history.users} users × ${scale.history.months} months × ${scale.history.usagePerUserMonth} requests)`);
  await history(historyPath, scale.history);
  const replay = await measureReplay(historyPath, scale.repeats);
  log('2b/7 the webhook messages of the same history, folded from its start');
  const webhooks = await measureWebhookFold(historyPath, scale.repeats);
  log('3/7 statements over HTTP');
  const statement = await measureStatementLatency(historyPath, scale.history, scale.statementRequests);
  log(`3b/7 the statement of a profile with one heavy user (${scale.heavyUserRequests} requests) and 99 ordinary ones`);
  const heavy = await measureHeavyUserStatement(join(dir, 'heavy-user.db'), scale.heavyUserRequests, scale.statementRequests);
  log('4/7 commands over HTTP');
  const http = await measureHttpCommands(dir, scale);
  const largePath = join(dir, 'history-large.db');
  log(`5/7 replay memory at four times the events (${scale.largeHistory.usagePerUserMonth} requests per user-month)`);
  await history(largePath, scale.largeHistory);
  const large = await replayInChild(largePath);
  log(`8/9 HTTP batches of 1,000 consumptions against bare 1,000-row transactions (${scale.pairs} pairs)`);
  const batch = await measureBatchUsage(dir, scale);
  log(`9/9 one profile of ${scale.bigProfileUsers} users: statements whole and paged, the profile, a burst caught up`);
  const big = await measureBigProfile(join(dir, 'big-profile.db'), scale.bigProfileUsers);
  return {
    ...commands,
    ...replay,
    ...webhooks,
    ...statement,
    ...heavy,
    ...http,
    replayEvents4M: large.events,
    replayEventsPerSec4M: large.eventsPerSec,
    replayPeakRssMb4M: large.peakRssMb,
    ...concurrent,
    ...batch,
    ...big,
    ...('skipped' in postgres ? {} : postgres),
  };
};

const round = (x: number) => (Number.isInteger(x) ? x : Math.abs(x) >= 100 ? Math.round(x) : Number(x.toFixed(2)));

const main = async (): Promise<void> => {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { quick: { type: 'boolean' }, json: { type: 'boolean' } }, strict: true });
  const scale = SCALES[values.quick ? 'quick' : 'full'];
  const machine = { cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-'));
  const started = Date.now();
  try {
    const figures = await measureAll(dir, scale);
    const ratios = targets(figures);
    const seconds = Math.round((Date.now() - started) / 1000);
    if (values.json) {
      const rounded = Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, round(v)]));
      process.stdout.write(
        `${JSON.stringify({ scale: scale.name, machine, seconds, ...rounded, targets: ratios.map((r) => ({ ...r, value: round(r.value) })) })}\n`,
      );
      return;
    }
    const rows = Object.entries(figures).map(([k, v]) => [k, String(round(v))] as const);
    const width = Math.max(...rows.map(([k]) => k.length), ...ratios.map((r) => r.name.length));
    process.stdout.write(`Scale ${scale.name} on ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; ${seconds} s\n\n`);
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(width)}  ${v.padStart(12)}\n`);
    process.stdout.write('\n');
    for (const r of ratios) process.stdout.write(`${r.name.padEnd(width)}  ${String(round(r.value)).padStart(12)}  ${r.target.padEnd(7)}  ${r.met ? 'met' : 'MISSED'}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
