import autocannon from 'autocannon';
import * as E from 'fp-ts/Either';
import { join } from 'node:path';
import { LedgerService } from '../src/app/ledgerService';
import { CommandInput } from '../src/domain/commands';
import { SqliteEventStore } from '../src/store/sqliteEventStore';
import { createToken, RunningServer, startBareServer, startServer } from './processes';
import { median } from './stats';
import { Scale } from './scale';

const PROFILES = 50;
const USERS_PER_PROFILE = 40;
const WARMUP_SECONDS = 2;

const profileId = (p: number) => `p-h${String(p).padStart(3, '0')}`;
/** The hot user: every connection of the hot-user figure consumes as this one user. */
const HOT = { profileId: 'p-hot', userId: 'hot' };
const poolUser = (i: number) => ({ profileId: profileId(i % PROFILES), userId: `u-h${String(i).padStart(5, '0')}` });

/** A pool of Pro users across many profiles with overage on, written through the handler. */
const preparePool = async (path: string): Promise<void> => {
  const store = new SqliteEventStore(path);
  const ledger = await new LedgerService(store).open();
  const run = async (c: CommandInput) => {
    const r = await ledger.execute(c, { actor: 'bench' });
    if (E.isLeft(r)) throw new Error(`http bench pool: ${c.type} rejected: ${r.left.code} ${r.left.message}`);
  };
  // Profiles in parallel, each profile's commands in order: the store commits them in batches.
  await Promise.all(
    Array.from({ length: PROFILES }, async (_, p) => {
      await run({ type: 'CreateProfile', profileId: profileId(p), accountId: String(300_000_000_000 + p), region: 'us-east-1' });
      await run({ type: 'SetOverage', profileId: profileId(p), enabled: true });
      for (let i = p; i < PROFILES * USERS_PER_PROFILE; i += PROFILES) await run({ type: 'Subscribe', ...poolUser(i), tier: 'PRO' });
    }),
  );
  await run({ type: 'CreateProfile', profileId: HOT.profileId, accountId: '300000009999', region: 'us-east-1' });
  await run({ type: 'SetOverage', profileId: HOT.profileId, enabled: true });
  await run({ type: 'Subscribe', ...HOT, tier: 'POWER' });
  await store.close();
};

interface HttpCommand {
  readonly path: string;
  readonly body: unknown;
}

/**
 * Distinct valid commands, in a mix a busy ledger sees: of every ten, one subscribes a new user, one
 * upgrades a pool user (Pro to Pro+, later Pro+ to Power; usage once every pool user is at Power),
 * eight consume credits under fresh request ids. Overage is on, so no request is refused.
 */
const commandMix = () => {
  const pool = PROFILES * USERS_PER_PROFILE;
  let n = 0;
  let upgrades = 0;
  return (): HttpCommand => {
    const i = n++;
    const slot = i % 10;
    if (slot === 0) {
      const p = profileId((i / 10) % PROFILES);
      return { path: `/v1/profiles/${p}/subscriptions`, body: { userId: `new-${i}`, tier: 'PRO' } };
    }
    if (slot === 5 && upgrades < 2 * pool) {
      const u = poolUser(upgrades % pool);
      const tier = upgrades++ < pool ? 'PRO_PLUS' : 'POWER';
      return { path: `/v1/profiles/${u.profileId}/subscriptions/${u.userId}/upgrade`, body: { tier } };
    }
    const u = poolUser(i % pool);
    return { path: `/v1/profiles/${u.profileId}/usage`, body: { userId: u.userId, credits: `${1 + (i % 9)}.${String(i % 100).padStart(2, '0')}`, requestId: `h-${i}` } };
  };
};

/** One usage request of the hot user after another, under fresh request ids: the body of the hot-user figure and of the bare route. */
const hotUsage = () => {
  let n = 0;
  return (): HttpCommand => ({ path: `/v1/profiles/${HOT.profileId}/usage`, body: { userId: HOT.userId, credits: '0.25', requestId: `hot-${n++}` } });
};

/** autocannon on loopback: a warm-up run, then the measured one, each request made by `next`. */
const loadRun = async (server: RunningServer, authorization: string, next: () => HttpCommand, connections: number, seconds: number) => {
  const load = (duration: number) =>
    autocannon({
      url: server.base,
      connections,
      duration,
      requests: [
        {
          setupRequest: (request) => {
            const c = next();
            return { ...request, method: 'POST', path: c.path, headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(c.body) };
          },
        },
      ],
    });
  await load(WARMUP_SECONDS);
  return load(seconds);
};

/**
 * Figure 4 and issue 18's HTTP pairs: autocannon on loopback against the server in its own process,
 * mixed commands over many profiles, then 16 connections consuming as one user; and beside them, the
 * bare Fastify route (bench/bareServer.ts) under the hot-user load, same body and connections.
 * `scale.pairs` times; rates are medians, ratios the medians of each pair's.
 */
export const measureHttpCommands = async (dir: string, scale: Scale) => {
  const path = join(dir, 'http.db');
  await preparePool(path);
  const authorization = `Bearer ${await createToken(path)}`;
  const mixed = commandMix();
  const hot = hotUsage();
  const runs: { mixed: autocannon.Result; hot: autocannon.Result; bare: autocannon.Result }[] = [];
  for (let pair = 0; pair < scale.pairs; pair++) {
    const server = await startServer(path);
    let ledgerRuns: { mixed: autocannon.Result; hot: autocannon.Result };
    try {
      ledgerRuns = { mixed: await loadRun(server, authorization, mixed, scale.httpConnections, scale.httpSeconds), hot: await loadRun(server, authorization, hot, scale.httpConnections, scale.httpSeconds) };
    } finally {
      await server.stop();
    }
    const bare = await startBareServer();
    try {
      runs.push({ ...ledgerRuns, bare: await loadRun(bare, authorization, hotUsage(), scale.httpConnections, scale.httpSeconds) });
    } finally {
      await bare.stop();
    }
  }
  const perSec = (r: autocannon.Result) => r['2xx'] / r.duration;
  const last = runs[runs.length - 1] as (typeof runs)[number];
  return {
    httpCommandsPerSec: median(runs.map((r) => perSec(r.mixed))),
    httpP50Ms: median(runs.map((r) => r.mixed.latency.p50)),
    httpP99Ms: median(runs.map((r) => r.mixed.latency.p99)),
    httpNon2xx: runs.reduce((n, r) => n + r.mixed.non2xx + r.hot.non2xx, 0),
    httpErrors: runs.reduce((n, r) => n + r.mixed.errors + r.hot.errors, 0),
    hotUserHttpPerSec: median(runs.map((r) => perSec(r.hot))),
    hotUserHttpP99Ms: median(runs.map((r) => r.hot.latency.p99)),
    httpBarePerSec: median(runs.map((r) => perSec(r.bare))),
    hotUserHttpRatio: median(runs.map((r) => perSec(r.hot) / perSec(r.bare))),
    httpCommandsRatio: median(runs.map((r) => perSec(r.mixed) / perSec(r.bare))),
    httpBareP99Ms: last.bare.latency.p99,
  };
};
