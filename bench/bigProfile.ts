import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { performance } from 'node:perf_hooks';
import { LedgerService } from '../src/app/ledgerService';
import { SCHEMA_VERSION, Streams } from '../src/domain/events';
import { monthOf, monthStart, toMillis } from '../src/domain/time';
import { ExpectedRevision } from '../src/store/eventStore';
import { SqliteEventStore } from '../src/store/sqliteEventStore';
import { appendConsumptions, BulkConsumption, userIdOf } from './bulkHistory';
import { createToken, startServer } from './processes';
import { rawScan } from './sqliteBaseline';
import { percentile } from './stats';

const PROFILE = 'p-big';
/** Subscriptions per append while building: the profile stream is one stream, written in order. */
const SUBSCRIPTIONS_PER_APPEND = 1000;
const PAGE = 1000;

/**
 * Issue 18 item 5: one profile of `users` users in the clock's month (as `ledger seed --profiles 1
 * --users N --months 1` makes, without its hours of one command each): the profile through the
 * handler, the subscriptions appended in bulk to its stream exactly as the handler writes them, two
 * consumptions per user (bench/bulkHistory). Returns the consumptions' instant, for a later burst.
 */
const buildBigProfile = async (path: string, users: number): Promise<void> => {
  const store = new SqliteEventStore(path);
  const start = toMillis(monthStart(monthOf(new Date(Date.now() - 120_000).toISOString())));
  const at = (ms: number) => new Date(ms).toISOString();
  const ledger = await new LedgerService(store, { clock: () => new Date(start) }).open();
  try {
    const created = await ledger.execute({ type: 'CreateProfile', profileId: PROFILE, accountId: '999900003333', region: 'us-west-2', occurredAt: at(start) }, { actor: 'bench' });
    if (E.isLeft(created)) throw new Error(`big profile: ${created.left.message}`);
    for (let from = 0; from < users; from += SUBSCRIPTIONS_PER_APPEND) {
      const events = Array.from({ length: Math.min(SUBSCRIPTIONS_PER_APPEND, users - from) }, (_, k) => {
        const commandId = randomUUID();
        const data = { profileId: PROFILE, userId: userIdOf(from + k), groupId: null, tier: 'PRO', occurredAt: at(start + 1) };
        return { eventId: randomUUID(), type: 'UserSubscribed', data, metadata: { schemaVersion: SCHEMA_VERSION, commandId, correlationId: commandId, actor: 'bench' } };
      });
      await store.append(Streams.profile(PROFILE), events, { expectedRevision: ExpectedRevision.after(from - 1) });
    }
  } finally {
    await store.close();
  }
  await appendBurst(path, users, 2, 'seed', start + 1000, Date.now() - 120_000);
};

/** `perUser` consumptions of 1 credit for each user, dated between `from` and `to`, in bulk. */
const appendBurst = async (path: string, users: number, perUser: number, tag: string, from: number, to: number): Promise<void> => {
  const store = new SqliteEventStore(path);
  try {
    const total = users * perUser;
    const consumptions = function* (): Iterable<BulkConsumption> {
      for (let n = 0; n < total; n++) {
        const userId = userIdOf(n % users);
        yield { profileId: PROFILE, userId, credits: '1.00', requestId: `${userId}.${tag}.${Math.floor(n / users)}`, occurredAt: new Date(from + Math.floor(((to - from) * n) / total)).toISOString() };
      }
    };
    await appendConsumptions(store, consumptions(), undefined, tag === 'seed' ? undefined : await revisionsOf(store, users));
  } finally {
    await store.close();
  }
};

/**
 * The burst written by a process of its own, as another ledger node's writes would be: written by
 * this one, it would hold the prober's loop too, and the catalog GETs timed meanwhile would measure that.
 */
const burstFromAnotherProcess = (path: string, users: number, from: number, to: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename, 'burst', path, String(users), String(from), String(to)], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`big profile: the burst's process exited with ${code}`))));
  });

/** Where each user's usage stream of the clock's month ends, for a burst appended after the seed. */
const revisionsOf = async (store: SqliteEventStore, users: number): Promise<Map<string, number>> => {
  const month = monthOf(new Date().toISOString());
  const ends = new Map<string, number>();
  for (let i = 0; i < users; i++) {
    const streamId = Streams.usage(PROFILE, userIdOf(i), month);
    const events = await store.readStream(streamId);
    ends.set(streamId, events[events.length - 1]?.position ?? -1);
  }
  return ends;
};

/**
 * What a profile of `users` users costs the server, which runs in its own process: the whole
 * statement cold (folded, then written out) and warm, every page of `PAGE` users, and the profile
 * GET, then two statements and the profile GET at once, while a prober asks for the catalog every
 * 10 ms; then a burst of one consumption per user written by another process, which the server's
 * read model catches up on; then the first profile command since the start (a Subscribe: the whole
 * lifecycle folded, `bigProfileFirstCommandPerRawRead` against reading its rows bare) and the first
 * SetOverage. `eventLoopMaxStallMs` is the longest the
 * server's loop was held through all of it; `bigProfileProbeMaxMs` the slowest catalog answer the
 * prober saw meanwhile.
 */
export const measureBigProfile = async (storePath: string, users: number) => {
  const built = performance.now();
  await buildBigProfile(storePath, users);
  const buildSeconds = (performance.now() - built) / 1000;
  const authorization = `Bearer ${await createToken(storePath)}`;
  const server = await startServer(storePath);
  const month = monthOf(new Date().toISOString());
  const base = `${server.base}/v1/profiles/${PROFILE}/statements/${month}`;
  const profileUrl = `${server.base}/v1/profiles/${PROFILE}`;
  const timed = async (url: string, method = 'GET', command?: object): Promise<{ ms: number; bytes: number; body: string }> => {
    const started = performance.now();
    const response = await fetch(url, {
      method,
      headers: { authorization, ...(command === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(command === undefined ? {} : { body: JSON.stringify(command) }),
    });
    const body = await response.text();
    if (!response.ok) throw new Error(`big profile: ${method} ${url} answered ${response.status}: ${body.slice(0, 300)}`);
    return { ms: performance.now() - started, bytes: Buffer.byteLength(body), body };
  };
  let probing = true;
  const probes: number[] = [];
  const prober = (async () => {
    while (probing) {
      probes.push((await timed(`${server.base}/v1/catalog`)).ms);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  try {
    await server.loopHeld();
    const cold = await timed(base);
    const statement = JSON.parse(cold.body) as { users: unknown[] };
    if (statement.users.length !== users) throw new Error(`big profile: ${statement.users.length} users on the statement of ${users}`);
    const warm = await timed(base);
    const pages: number[] = [];
    let after: string | null = null;
    do {
      const page = await timed(`${base}?limit=${PAGE}${after === null ? '' : `&after=${after}`}`);
      pages.push(page.ms);
      after = (JSON.parse(page.body) as { next: string | null }).next;
    } while (after !== null);
    if (pages.length !== Math.ceil(users / PAGE)) throw new Error(`big profile: ${pages.length} pages of ${PAGE} for ${users} users`);
    const profile = await timed(profileUrl);
    const statementHeld = await server.loopHeld();
    // Three of the console's users at once: two whole statements and the profile, written out together.
    const together = await Promise.all([timed(base), timed(base), timed(profileUrl)]);
    const togetherHeld = await server.loopHeld();
    // Another process writes a burst; the next statement catches the read model up, then refolds.
    await burstFromAnotherProcess(storePath, users, Date.now() - 60_000, Date.now() - 1000);
    const caughtUp = await timed(`${base}?limit=${PAGE}`);
    const burstHeld = await server.loopHeld();
    // The first profile command since the start: the handler holds nothing of the profile yet, and
    // folds its whole lifecycle; then the first SetOverage, which reads every consumption of the profile.
    const firstCommand = await timed(`${profileUrl}/subscriptions`, 'POST', { userId: userIdOf(users), tier: 'PRO' });
    const firstSetOverage = await timed(`${profileUrl}/overage`, 'PUT', { enabled: true });
    const commandHeld = await server.loopHeld();
    // Beside it: reading the lifecycle's rows bare, as the store's query does, parsing their JSON (best of 3).
    const reads = [0, 1, 2].map(() => rawScan(storePath, Streams.profile(PROFILE)));
    const lifecycleRawReadMs = Math.min(...reads.map((r) => r.ms));
    return {
      bigProfileUsers: users,
      bigProfileBuildSeconds: buildSeconds,
      bigProfileStatementBytes: cold.bytes,
      bigProfileStatementColdMs: cold.ms,
      bigProfileStatementWarmMs: warm.ms,
      bigProfilePageP50Ms: percentile(pages, 50),
      bigProfilePageP99Ms: percentile(pages, 99),
      bigProfileGetMs: profile.ms,
      bigProfileGetBytes: profile.bytes,
      bigProfileTogetherMs: Math.max(...together.map((t) => t.ms)),
      bigProfileTogetherStallMs: togetherHeld.eventLoopMaxStallMs,
      bigProfileTogetherLongestGcMs: togetherHeld.longestGcMs,
      bigProfileAfterBurstMs: caughtUp.ms,
      bigProfileProbeMaxMs: Math.max(...probes),
      bigProfileStatementStallMs: statementHeld.eventLoopMaxStallMs,
      bigProfileStatementLongestGcMs: statementHeld.longestGcMs,
      bigProfileBurstStallMs: burstHeld.eventLoopMaxStallMs,
      bigProfileBurstLongestGcMs: burstHeld.longestGcMs,
      bigProfileFirstCommandMs: firstCommand.ms,
      bigProfileFirstSetOverageMs: firstSetOverage.ms,
      bigProfileLifecycleEvents: reads[0]?.events ?? 0,
      bigProfileLifecycleRawReadMs: lifecycleRawReadMs,
      bigProfileFirstCommandPerRawRead: firstCommand.ms / lifecycleRawReadMs,
      bigProfileCommandStallMs: commandHeld.eventLoopMaxStallMs,
      bigProfileCommandLongestGcMs: commandHeld.longestGcMs,
      eventLoopMaxStallMs: Math.max(statementHeld.eventLoopMaxStallMs, togetherHeld.eventLoopMaxStallMs, burstHeld.eventLoopMaxStallMs, commandHeld.eventLoopMaxStallMs),
    };
  } finally {
    probing = false;
    await prober.catch(() => undefined);
    await server.stop();
  }
};

// Run as `node dist/bench/bigProfile.js burst STORE USERS FROM TO`: the burst's own process (burstFromAnotherProcess).
if (require.main === module && process.argv[2] === 'burst') {
  const [path, users, from, to] = process.argv.slice(3);
  appendBurst(path as string, Number(users), 1, 'burst', Number(from), Number(to)).catch((e: unknown) => {
    process.stderr.write(`big profile burst: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
}
