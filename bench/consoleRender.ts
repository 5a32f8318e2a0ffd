import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer } from '../src/api/server';
import { LedgerService } from '../src/app/ledgerService';
import { monthEnd, nextMonth } from '../src/domain/time';
import { SqliteEventStore } from '../src/store/sqliteEventStore';
import { buildHistory } from './bulkHistory';
import { chromiumMissing, launchChromium } from './chromium';
import { SCALES } from './scale';

/**
 * The console's render target (issue 11): the account page and the profile page of the benchmark's
 * 1,000-user history drawn in headless Chromium, from navigation to the last figure on screen.
 * A one-off measurement, not a test: `npm run build && node dist/bench/consoleRender.js [--quick]`.
 */
const RUNS = 5;

const main = async () => {
  const missing = chromiumMissing();
  if (missing !== undefined) throw new Error(missing);
  const shape = SCALES[process.argv.includes('--quick') ? 'quick' : 'full'].history;
  const dir = mkdtempSync(join(tmpdir(), 'console-bench-'));
  const path = join(dir, 'ledger.db');
  try {
    process.stderr.write(`building ${shape.users} users × ${shape.months} months × ${shape.usagePerUserMonth} requests…\n`);
    const events = await buildHistory(path, shape);
    let last = shape.start;
    for (let m = 1; m < shape.months; m++) last = nextMonth(last);
    // The clock just after the history's last month: every month shown is final, as a past bill is.
    const store = new SqliteEventStore(path);
    const ledger = await new LedgerService(store, { clock: () => new Date(monthEnd(last)) }).open();
    const app = buildServer(ledger);
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const accountId = (await ledger.accounts(() => true))[0]?.accountId as string;
      const pages = [
        {
          name: 'account page',
          url: `${base}/console/accounts/${accountId}/${last}`,
          drawn: async () => {
            await page.getByTestId('account-total').waitFor();
            await page.locator('.chart canvas').first().waitFor();
          },
        },
        {
          name: 'profile page',
          url: `${base}/console/profiles/${shape.profileId}/${last}`,
          drawn: () => page.getByTestId('users').locator('tbody tr').nth(shape.users - 1).waitFor(),
        },
      ];
      const figures: Record<string, { first: number; best: number; median: number }> = {};
      // The machine is shared: its load while measuring says how much of a figure is waiting for a core.
      const loadBefore = loadavg()[0] as number;
      for (const p of pages) {
        const times: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          const started = performance.now();
          await page.goto(p.url);
          await p.drawn();
          times.push(performance.now() - started);
        }
        const sorted = [...times].sort((a, b) => a - b);
        figures[p.name] = { first: Math.round(times[0] as number), best: Math.round(sorted[0] as number), median: Math.round(sorted[Math.floor(RUNS / 2)] as number) };
      }
      const loadAverage = [loadBefore, loadavg()[0] as number].map((l) => Number(l.toFixed(1)));
      process.stdout.write(`${JSON.stringify({ events, users: shape.users, month: last, cores: availableParallelism(), loadAverage, milliseconds: figures })}\n`);
    } finally {
      await browser.close();
      await app.close();
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
