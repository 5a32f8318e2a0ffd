import * as E from 'fp-ts/Either';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LedgerService } from '../src/app/ledgerService';
import { CommandInput } from '../src/domain/commands';
import { SqliteEventStore } from '../src/store/sqliteEventStore';
import { createToken, startServer } from './processes';
import { Scale } from './scale';
import { bareTwin, eventRows, insertRowsPerSec } from './sqliteBaseline';
import { median } from './stats';

const PROFILE = 'p-batch';
const USERS = 100;
const BATCH = 1000;
/** Batches in flight at once: the server decides one while the client sends the next. */
const IN_FLIGHT = 2;

/** 100 Power users with overage on: no item is refused. */
const prepare = async (path: string): Promise<void> => {
  const store = new SqliteEventStore(path);
  const ledger = await new LedgerService(store).open();
  const run = async (c: CommandInput) => {
    const r = await ledger.execute(c, { actor: 'bench' });
    if (E.isLeft(r)) throw new Error(`batch bench: ${c.type} rejected: ${r.left.code} ${r.left.message}`);
  };
  await run({ type: 'CreateProfile', profileId: PROFILE, accountId: '999900004444', region: 'eu-west-1' });
  await run({ type: 'SetOverage', profileId: PROFILE, enabled: true });
  await Promise.all(Array.from({ length: USERS }, (_, u) => run({ type: 'Subscribe', profileId: PROFILE, userId: `u-b${u}`, tier: 'POWER' })));
  await store.close();
};

/**
 * Issue 18: HTTP batches of 1,000 consumptions across 100 users (10 each), `IN_FLIGHT` at a time,
 * against the server in its own process; then the rows the run wrote inserted bare, 1,000 per
 * transaction (`rawBatchInsertPerSec`). Each pair runs `scale.pairs` times on fresh files; the
 * rates are the pairs' medians and the ratio the median of the pairs' ratios.
 */
export const measureBatchUsage = async (dir: string, scale: Scale) => {
  const rates: number[] = [];
  const raws: number[] = [];
  const ratios: number[] = [];
  for (let pair = 0; pair < scale.pairs; pair++) {
    const path = join(dir, `batch-${pair}.db`);
    await prepare(path);
    const authorization = `Bearer ${await createToken(path)}`;
    const server = await startServer(path);
    let sent = 0;
    const next = () => {
      const b = sent++;
      return JSON.stringify({ requests: Array.from({ length: BATCH }, (_, i) => ({ userId: `u-b${i % USERS}`, credits: '0.25', requestId: `b${b}.${i}` })) });
    };
    const post = async (body: string) => {
      const response = await fetch(`${server.base}/v1/profiles/${PROFILE}/usage/batch`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body });
      const answer = (await response.json()) as { results?: Array<{ ok: boolean }> };
      if (response.status !== 200 || answer.results?.some((r) => !r.ok) !== false) throw new Error(`batch bench: ${response.status} ${JSON.stringify(answer).slice(0, 300)}`);
    };
    let rate: number;
    try {
      await post(next()); // warm-up
      const started = performance.now();
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (sent <= scale.batches) await post(next());
        }),
      );
      rate = ((sent - 1) * BATCH) / ((performance.now() - started) / 1000);
    } finally {
      await server.stop();
    }
    const raw = bareTwin(path, join(dir, `batch-raw-${pair}.db`));
    const bare = (() => {
      try {
        return insertRowsPerSec(raw, eventRows(path), BATCH);
      } finally {
        raw.close();
      }
    })();
    rates.push(rate);
    raws.push(bare);
    ratios.push(rate / bare);
  }
  return { batchUsagePerSec: median(rates), batchRawBatchInsertPerSec: median(raws), batchUsageRatio: median(ratios) };
};
