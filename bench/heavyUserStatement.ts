import * as E from 'fp-ts/Either';
import { performance } from 'node:perf_hooks';
import { LedgerService } from '../src/app/ledgerService';
import { CommandInput } from '../src/domain/commands';
import { Dec } from '../src/domain/money';
import { monthOf, monthStart, toMillis } from '../src/domain/time';
import { SqliteEventStore } from '../src/store/sqliteEventStore';
import { appendConsumptions, BulkConsumption, userIdOf } from './bulkHistory';
import { createToken, startServer } from './processes';
import { percentile } from './stats';

const PROFILE = 'p-heavy';
const HEAVY = 'agent';
/** The ordinary users beside the heavy one, and what each of them asks in the month. */
const ORDINARY_USERS = 99;
const ORDINARY_REQUESTS = 84;
const WARMUP = 20;

/** Cents a heavy request costs: the month's requests add up to about 1.5 times Power's 10,000 credits. */
const heavyCredits = (heavyRequests: number): string => new Dec(Math.max(1, Math.ceil(1_500_000 / heavyRequests))).dividedBy(100).toFixed(2);

/**
 * The clock's month, so far: one Power user making `heavyRequests` requests (past Power's
 * allowance in all, so that the statement has an OVERAGE line) and 99 Pro users
 * making 84 each, overage on. Lifecycle through the handler; usage appended in bulk exactly as
 * the handler writes it (bench/bulkHistory). In the clock's month so that the measured commands,
 * dated by the server, land in it.
 */
const buildHeavyHistory = async (path: string, heavyRequests: number): Promise<void> => {
  const store = new SqliteEventStore(path);
  const end = Date.now() - 60_000;
  const start = toMillis(monthStart(monthOf(new Date(end).toISOString())));
  const at = (ms: number) => new Date(ms).toISOString();
  let now = new Date(start);
  const ledger = await new LedgerService(store, { clock: () => now }).open();
  const run = async (c: CommandInput & { occurredAt: string }) => {
    now = new Date(c.occurredAt);
    const r = await ledger.execute(c, { actor: 'bench' });
    if (E.isLeft(r)) throw new Error(`heavy-user history: ${c.type} rejected: ${r.left.code} ${r.left.message}`);
  };
  try {
    await run({ type: 'CreateProfile', profileId: PROFILE, accountId: '999900002222', region: 'us-east-1', occurredAt: at(start) });
    await run({ type: 'SetOverage', profileId: PROFILE, enabled: true, occurredAt: at(start) });
    await run({ type: 'Subscribe', profileId: PROFILE, userId: HEAVY, tier: 'POWER', occurredAt: at(start) });
    for (let i = 0; i < ORDINARY_USERS; i++) await run({ type: 'Subscribe', profileId: PROFILE, userId: userIdOf(i), tier: 'PRO', occurredAt: at(start) });
    const total = heavyRequests + ORDINARY_USERS * ORDINARY_REQUESTS;
    const span = Math.max(1, end - start - 1000);
    const credits = heavyCredits(heavyRequests);
    const requests = function* (): Iterable<BulkConsumption> {
      let ordinary = 0;
      for (let n = 0; n < total; n++) {
        const occurredAt = at(start + 1000 + Math.floor((span * n) / total));
        // The ordinary users' requests spread through the heavy user's.
        if (n % Math.floor(total / (ORDINARY_USERS * ORDINARY_REQUESTS)) === 0 && ordinary < ORDINARY_USERS * ORDINARY_REQUESTS) {
          const userId = userIdOf(ordinary % ORDINARY_USERS);
          yield { profileId: PROFILE, userId, credits: '1.25', requestId: `${userId}.${ordinary++}`, occurredAt };
        } else yield { profileId: PROFILE, userId: HEAVY, credits, requestId: `${HEAVY}.${n}`, occurredAt };
      }
    };
    await appendConsumptions(store, requests());
  } finally {
    await store.close();
  }
};

/**
 * Issue 12: the HTTP statement of a profile in which one user made `heavyRequests` requests this
 * month, beside 99 ordinary users. Each measured request follows one more consumption by the heavy
 * user (through the API, not timed), so every statement is folded again rather than reused:
 * the latency is the fold's and the answer's, to the last byte, client side.
 */
export const measureHeavyUserStatement = async (storePath: string, heavyRequests: number, requests: number) => {
  await buildHeavyHistory(storePath, heavyRequests);
  const authorization = `Bearer ${await createToken(storePath)}`;
  const server = await startServer(storePath);
  try {
    const month = monthOf(new Date().toISOString());
    let consumed = 0;
    const consume = async () => {
      const response = await fetch(`${server.base}/v1/profiles/${PROFILE}/usage`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ userId: HEAVY, credits: heavyCredits(heavyRequests), requestId: `measured.${consumed++}` }),
      });
      await response.text();
      if (response.status !== 201) throw new Error(`heavy-user consumption: status ${response.status}`);
    };
    const get = async (): Promise<{ ms: number; bytes: number }> => {
      const started = performance.now();
      const response = await fetch(`${server.base}/v1/profiles/${PROFILE}/statements/${month}`, { headers: { authorization } });
      const body = await response.text();
      const ms = performance.now() - started;
      const statement = JSON.parse(body) as { users?: Array<{ userId: string; lines: Array<{ kind: string; usage?: Array<{ count: number }> }> }> };
      const cited = statement.users?.find((u) => u.userId === HEAVY)?.lines.find((l) => l.kind === 'OVERAGE')?.usage?.reduce((n, r) => n + r.count, 0);
      if (response.status !== 200 || statement.users?.length !== ORDINARY_USERS + 1 || cited !== heavyRequests + consumed) {
        throw new Error(`heavy-user statement: status ${response.status}, ${statement.users?.length} users, ${cited} requests cited of ${heavyRequests + consumed}`);
      }
      return { ms, bytes: Buffer.byteLength(body) };
    };
    const cold = await get();
    // The heavy user's first command after a start loads their month of usage into the handler's state.
    const firstStarted = performance.now();
    await consume();
    const firstConsumptionMs = performance.now() - firstStarted;
    await get();
    for (let i = 0; i < WARMUP; i++) {
      await consume();
      await get();
    }
    const latencies: number[] = [];
    let bytes = 0;
    for (let i = 0; i < requests; i++) {
      await consume();
      const answer = await get();
      latencies.push(answer.ms);
      bytes = Math.max(bytes, answer.bytes);
    }
    return {
      heavyUserRequests: heavyRequests,
      heavyUserStatementColdMs: cold.ms,
      heavyUserFirstConsumptionMs: firstConsumptionMs,
      heavyUserStatementP50Ms: percentile(latencies, 50),
      heavyUserStatementP99Ms: percentile(latencies, 99),
      heavyUserStatementBytes: bytes,
    };
  } finally {
    await server.stop();
  }
};
