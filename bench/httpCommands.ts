import autocannon from 'autocannon';
import * as E from 'fp-ts/Either';
import { join } from 'node:path';
import { LedgerService } from '../src/app/ledgerService';
import { CommandInput } from '../src/domain/commands';
import { SqliteEventStore } from '../src/store/sqliteEventStore';
import { createToken, startServer } from './processes';
import { Scale } from './scale';

const PROFILES = 50;
const USERS_PER_PROFILE = 40;
const WARMUP_SECONDS = 2;

const profileId = (p: number) => `p-h${String(p).padStart(3, '0')}`;
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

/**
 * Figure 4: autocannon on loopback against the server in its own process, mixed commands over many
 * profiles; a short warm-up run first, then the measured one.
 */
export const measureHttpCommands = async (dir: string, scale: Scale) => {
  const path = join(dir, 'http.db');
  await preparePool(path);
  const authorization = `Bearer ${await createToken(path)}`;
  const server = await startServer(path);
  try {
    const next = commandMix();
    const load = (seconds: number) =>
      autocannon({
        url: server.base,
        connections: scale.httpConnections,
        duration: seconds,
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
    const result = await load(scale.httpSeconds);
    return {
      httpCommandsPerSec: result['2xx'] / result.duration,
      httpP50Ms: result.latency.p50,
      httpP99Ms: result.latency.p99,
      httpNon2xx: result.non2xx,
      httpErrors: result.errors,
    };
  } finally {
    await server.stop();
  }
};
