import { performance } from 'node:perf_hooks';
import { Month, nextMonth } from '../src/domain/time';
import { HistoryShape } from './bulkHistory';
import { createToken, startServer } from './processes';
import { percentile } from './stats';

/** Requests before the measured ones: the server's JIT warms up on them. */
const WARMUP = 50;

/**
 * Figure 3: a profile's statement over HTTP (`ledger serve`'s server, in its own process), one
 * request at a time, cycling over the history's months: client-side latency, body read included.
 */
export const measureStatementLatency = async (storePath: string, shape: HistoryShape, requests: number) => {
  const months: Month[] = [];
  for (let m = 0, month = shape.start; m < shape.months; m++, month = nextMonth(month)) months.push(month);
  const authorization = `Bearer ${await createToken(storePath)}`;
  const server = await startServer(storePath);
  try {
    // Latency to the last byte of the body; the body is parsed (and checked) outside the timing.
    const get = async (i: number): Promise<number> => {
      const started = performance.now();
      const response = await fetch(`${server.base}/v1/profiles/${shape.profileId}/statements/${months[i % months.length]}`, { headers: { authorization } });
      const body = await response.text();
      const ms = performance.now() - started;
      const users = (JSON.parse(body) as { users?: unknown[] }).users?.length;
      if (response.status !== 200 || users !== shape.users) throw new Error(`statement: status ${response.status}, ${users} users instead of ${shape.users}`);
      return ms;
    };
    // The first request for each month folds its statement; later ones reuse it until its inputs change.
    // The longest the server's event loop is held while it serves those cold statements: what any
    // other request would have waited.
    await server.loopHeld();
    const folds: number[] = [];
    for (let i = 0; i < months.length; i++) folds.push(await get(i));
    const statementsEventLoopMaxStallMs = (await server.loopHeld()).eventLoopMaxStallMs;
    for (let i = 0; i < WARMUP; i++) await get(i);
    const latencies: number[] = [];
    for (let i = 0; i < requests; i++) latencies.push(await get(i));
    return { statementP50Ms: percentile(latencies, 50), statementP99Ms: percentile(latencies, 99), statementFoldP50Ms: percentile(folds, 50), statementsEventLoopMaxStallMs };
  } finally {
    await server.stop();
  }
};
