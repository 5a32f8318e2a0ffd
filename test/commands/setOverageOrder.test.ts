import * as E from 'fp-ts/Either';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScratchDatabase } from '../../bench/scratchPostgres';
import { CommandHandler } from '../../src/commands/commandHandler';
import { Streams } from '../../src/domain/events';
import { AppendOptions, EventStore, NewEvent, ReadAllOptions } from '../../src/store/eventStore';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';
import { PostgresEventStore } from '../../src/store/postgresEventStore';
import { SqliteEventStore } from '../../src/store/sqliteEventStore';
import { postgresSkipReason, testDatabase } from '../store/postgresDatabase';

/**
 * T2 for SetOverage across processes: it is never dated before a consumption of the profile, even one
 * another handler commits between this handler's read and its append; and finding the profile's latest
 * consumption reads a constant number of streams, however many users the profile has.
 */

const dir = mkdtempSync(join(tmpdir(), 'ledger-setoverage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const NOW = '2026-04-15T12:00:00.000Z';
const clock = () => new Date(NOW);
const handler = (store: EventStore) => new CommandHandler({ store, clock, backoff: async () => undefined });

/** The store, with `interleave` run once just before the first append that carries a prefix guard (SetOverage's). */
const interleavedBeforeGuardedAppend = (store: EventStore, interleave: () => Promise<unknown>): EventStore => {
  let done = false;
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'append') {
        return async (streamId: string, events: ReadonlyArray<NewEvent>, options: AppendOptions) => {
          if (!done && (options.prefixGuards?.length ?? 0) > 0) {
            done = true;
            await interleave();
          }
          return target.append(streamId, events, options);
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
};

/** The store, counting the reads made through it: a stream read or a read of the log is one each. */
/**
 * The store, recording what is read: each stream, and each prefix of the log. `read()` answers how
 * many were read since it was last asked (a long stream read in pages counts once).
 */
const counting = (store: EventStore): { store: EventStore; read: () => number } => {
  let read = new Set<string>();
  const counted = new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'readStream') return (streamId: string, ...rest: unknown[]) => (read.add(`stream ${streamId}`), value.call(target, streamId, ...rest));
      if (prop === 'readAll') return (options?: ReadAllOptions) => (read.add(`prefix ${options?.streamPrefix ?? ''}`), value.call(target, options));
      return value.bind(target);
    },
  });
  return {
    store: counted,
    read: () => {
      const n = read.size;
      read = new Set();
      return n;
    },
  };
};

const ok = async (h: CommandHandler, command: Record<string, unknown>) => {
  const r = await h.execute(command);
  if (E.isLeft(r)) throw new Error(`${String(command.type)}: ${r.left.code} ${r.left.message}`);
  return r.right;
};

const profile = { type: 'CreateProfile', profileId: 'p1', accountId: '111122223333', region: 'us-east-1' };
const subscribe = (userId: string) => ({ type: 'Subscribe', profileId: 'p1', userId, tier: 'PRO' });
const consume = (userId: string, requestId: string, occurredAt?: string) => ({
  type: 'ConsumeCredits',
  profileId: 'p1',
  userId,
  credits: '10',
  requestId,
  ...(occurredAt === undefined ? {} : { occurredAt }),
});

const overageSets = async (store: EventStore) => (await store.readStream(Streams.profile('p1'))).filter((e) => e.type === 'OverageSet');

type Stores = () => Promise<readonly [EventStore, EventStore, () => Promise<void>]>;

const sqliteFile = async (): Promise<readonly [EventStore, EventStore, () => Promise<void>]> => {
  const file = join(dir, `two-${files++}.db`);
  const [a, b] = [new SqliteEventStore(file), new SqliteEventStore(file)];
  return [a, b, async () => void (await Promise.all([a.close(), b.close()]))];
};

const pgSkip = postgresSkipReason('setOverageOrder');
const databases: ScratchDatabase[] = [];
afterAll(() => Promise.all(databases.map((d) => d.drop())));
const postgres = async (): Promise<readonly [EventStore, EventStore, () => Promise<void>]> => {
  const db = await testDatabase('setoverage');
  databases.push(db);
  const [a, b] = await Promise.all([PostgresEventStore.open(db.url()), PostgresEventStore.open(db.url())]);
  return [a, b, async () => void (await Promise.all([a.close(), b.close()]))];
};

const setups: ReadonlyArray<readonly [string, Stores, boolean]> = [
  ['one in-memory store', async () => {
    const store = new InMemoryEventStore(clock);
    return [store, store, async () => undefined];
  }, true],
  ['two SQLite connections to one file', sqliteFile, true],
  [`two PostgreSQL pools on one database${pgSkip === undefined ? '' : ` — skipped: ${pgSkip}`}`, postgres, pgSkip === undefined],
];

describe.each(setups)('SetOverage against a consumption committed by another handler, on %s', (_, stores, runs) => {
  const it = runs ? test : test.skip;

  it('a server-dated SetOverage is re-dated at the consumption that came between its read and its append', async () => {
    const [storeA, storeB, close] = await stores();
    try {
      const b = handler(storeB);
      await ok(b, profile);
      await ok(b, subscribe('alice'));
      // Dated 3 minutes ahead of the clock (T2 allows 5): a SetOverage dated by the clock would precede it.
      const later = '2026-04-15T12:03:00.000Z';
      const a = handler(interleavedBeforeGuardedAppend(storeA, () => ok(b, consume('alice', 'r1', later))));
      await ok(a, { type: 'SetOverage', profileId: 'p1', enabled: true });
      const sets = await overageSets(storeB);
      expect(sets.map((e) => (e.data as { occurredAt: string }).occurredAt)).toEqual([later]);
      // The consumption is before it in the log: ordered as decided.
      const consumed = await storeB.readStream(Streams.usage('p1', 'alice', '2026-04'));
      expect((consumed[0]?.globalPosition ?? Infinity) < (sets[0]?.globalPosition ?? -Infinity)).toBe(true);
    } finally {
      await close();
    }
  });

  it('a client-dated SetOverage before that consumption is refused OUT_OF_ORDER, and appends nothing', async () => {
    const [storeA, storeB, close] = await stores();
    try {
      const b = handler(storeB);
      await ok(b, profile);
      await ok(b, subscribe('alice'));
      const a = handler(interleavedBeforeGuardedAppend(storeA, () => ok(b, consume('alice', 'r1', '2026-04-15T12:02:00.000Z'))));
      const r = await a.execute({ type: 'SetOverage', profileId: 'p1', enabled: true, occurredAt: '2026-04-15T12:01:00.000Z' });
      expect(E.isLeft(r) && r.left.code).toBe('OUT_OF_ORDER');
      expect(await overageSets(storeB)).toEqual([]);
    } finally {
      await close();
    }
  });
});

describe("SetOverage's read set", () => {
  /** What a first SetOverage by a fresh handler reads in a profile of `users` users who each consumed, then of a second one after more consumption. */
  const readsOf = async (users: number): Promise<readonly [number, number]> => {
    const store = new InMemoryEventStore(clock);
    const writer = handler(store);
    await ok(writer, profile);
    for (let i = 0; i < users; i++) {
      await ok(writer, subscribe(`u${i}`));
      await ok(writer, consume(`u${i}`, `r${i}`));
    }
    const { store: counted, read } = counting(store);
    const fresh = handler(counted);
    await ok(fresh, { type: 'SetOverage', profileId: 'p1', enabled: true });
    const first = read();
    for (let i = 0; i < users; i++) await ok(writer, consume(`u${i}`, `again${i}`));
    await ok(fresh, { type: 'SetOverage', profileId: 'p1', enabled: false });
    return [first, read()];
  };

  test('is the same for 3 users as for 300: it does not grow with the profile', async () => {
    const [few, many] = [await readsOf(3), await readsOf(300)];
    expect(many).toEqual(few);
    // Catalog, registry, lifecycle and the profile's consumptions: a handful, not one per user.
    expect(many[0]).toBeLessThanOrEqual(6);
  });
});
