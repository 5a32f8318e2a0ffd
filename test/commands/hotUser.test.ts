import * as E from 'fp-ts/Either';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandHandler } from '../../src/commands/commandHandler';
import { AppendOptions, EventStore, NewEvent } from '../../src/store/eventStore';
import { SqliteEventStore } from '../../src/store/sqliteEventStore';
import { loopTurns } from '../support/loopTurns';

/**
 * Issue 18, hot streams: single commands on one stream (a user's consumptions, a profile's
 * subscriptions) that arrive while one of them is being committed are decided one after another and
 * their appends issued together, which a group-commit store (SQLite) commits in one transaction; K2
 * and K4 hold as they do one at a time, and no decision of another stream sees them before they commit.
 */

const dir = mkdtempSync(join(tmpdir(), 'ledger-hot-user-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const clock = () => new Date('2026-04-15T12:00:00.000Z');
const USAGE = 'profile/p-1/usage/alice/2026-04';
const LIFECYCLE = 'profile/p-1/lifecycle';

/**
 * The store, noting for each append to `stream` the turn of the event loop it was issued in
 * (appends issued in one turn commit together), and failing the ones `fails` picks (by their count),
 * before they reach the store. `onAppend` sees every append as it is issued.
 */
const observed = (
  store: EventStore,
  fails: (n: number) => boolean = () => false,
  stream = USAGE,
  onAppend: (streamId: string, options: AppendOptions) => void = () => undefined,
) => {
  const loop = loopTurns();
  const turns: number[] = [];
  let looks = 0;
  const wrapped = new Proxy(store, {
    get(target, prop) {
      if (prop === 'streamEnds') {
        return () => {
          looks += 1;
          return target.streamEnds?.();
        };
      }
      if (prop === 'append') {
        return async (streamId: string, events: ReadonlyArray<NewEvent>, options: AppendOptions) => {
          onAppend(streamId, options);
          if (streamId === stream) {
            turns.push(loop.current());
            if (fails(turns.length)) throw new Error('disk I/O error');
          }
          return target.append(streamId, events, options);
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: wrapped, turns: () => [...turns], looks: () => looks, stop: loop.stop };
};

const withUser = async (store: EventStore): Promise<CommandHandler> => {
  const handler = new CommandHandler({ store, clock, backoff: async () => undefined });
  for (const c of [
    { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1', occurredAt: '2026-04-01T00:00:00Z' },
    { type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO', occurredAt: '2026-04-01T00:00:00Z' },
  ]) {
    expect(E.isRight(await handler.execute(c))).toBe(true);
  }
  return handler;
};

const consume = (requestId: string, credits = '33.33') => ({ type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits, requestId, occurredAt: '2026-04-10T00:00:00Z' });

describe('consumptions of one user sent together', () => {
  test('are appended together: those sent while one is being committed, in one turn after it', async () => {
    const sqlite = new SqliteEventStore(join(dir, `hot-${files++}.db`));
    const { store, turns, stop } = observed(sqlite);
    const handler = await withUser(store);
    const first = handler.execute(consume('r-0', '1'));
    // Sent once the first one's append is issued, that is while its commit is to come.
    while (turns().length === 0) await new Promise((resolve) => setImmediate(resolve));
    const rest = Array.from({ length: 11 }, (_, i) => handler.execute(consume(`r-${i + 1}`, '1')));
    const results = await Promise.all([first, ...rest]);
    stop();
    expect(results.every(E.isRight)).toBe(true);
    expect(turns()).toHaveLength(12);
    const [firstTurn, ...others] = turns();
    expect(new Set(others).size).toBe(1);
    expect(others[0]).toBeGreaterThan(firstTurn as number);
    // In the order sent, each at the next position.
    const stored = await sqlite.readStream(USAGE);
    expect(stored.map((e) => (e.data as { requestId: string }).requestId)).toEqual(Array.from({ length: 12 }, (_, i) => `r-${i}`));
    await sqlite.close();
  });

  test('never pass the allowance (K4), and a requestId sent twice among them is applied once (K2)', async () => {
    const sqlite = new SqliteEventStore(join(dir, `hot-${files++}.db`));
    const { store, stop } = observed(sqlite);
    const handler = await withUser(store);
    // 40 distinct requestIds of 33.33 credits, r-7 sent twice: Pro's 1000 credits hold 30 of them.
    const ids = [...Array.from({ length: 40 }, (_, i) => `r-${i}`), 'r-7'];
    const results = await Promise.all(ids.map((id) => handler.execute(consume(id))));
    stop();
    const accepted = results.filter(E.isRight);
    const refused = results.filter(E.isLeft).map((r) => r.left.code);
    expect(refused).toEqual(Array.from({ length: 10 }, () => 'CREDITS_EXHAUSTED'));
    expect(accepted).toHaveLength(31);
    expect(accepted.filter((r) => r.right.duplicate)).toHaveLength(1);
    const twice = [results[7], results[40]].map((r) => (r !== undefined && E.isRight(r) ? r.right.events.map((e) => e.eventId) : []));
    expect(twice[0]).toEqual(twice[1]);
    const stored = (await sqlite.readStream(USAGE)).map((e) => (e.data as { requestId: string }).requestId);
    expect(stored).toHaveLength(30);
    expect(new Set(stored).size).toBe(30);
    await sqlite.close();
  });

  test('one whose append fails answers the failure alone; the others are decided again without it and land', async () => {
    const sqlite = new SqliteEventStore(join(dir, `hot-${files++}.db`));
    // The first append fails, and the third (the second of the group that waited for it).
    const { store, stop } = observed(sqlite, (n) => n === 1 || n === 3);
    const handler = await withUser(store);
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => handler.execute(consume(`r-${i}`, '100'))));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
    expect(failed).toEqual([0, 2]);
    expect(results.every((r) => r.status === 'rejected' || E.isRight(r.value))).toBe(true);
    // Nothing of the failed ones is in what the next decision reads: 4 × 100 stored, 600 left of 1000.
    expect(E.isRight(await handler.execute(consume('r-6', '600')))).toBe(true);
    expect(E.isLeft(await handler.execute(consume('r-7', '0.01')))).toBe(true);
    stop();
    const stored = (await sqlite.readStream(USAGE)).map((e) => (e.data as { requestId: string }).requestId);
    expect(stored).toEqual(['r-1', 'r-3', 'r-4', 'r-5', 'r-6']);
    await sqlite.close();
  });

  test('in a batch too, a requestId sent again after the allowance ran out is a retry (K2 before K4), and with other credits REQUEST_ID_REUSED', async () => {
    const sqlite = new SqliteEventStore(join(dir, `hot-${files++}.db`));
    const handler = await withUser(sqlite);
    const results = await handler.executeConsumptions([consume('r-0', '999'), consume('r-1', '2'), consume('r-0', '999'), consume('r-0', '1')]);
    expect(results.map((r) => (E.isLeft(r) ? r.left.code : r.right.duplicate ? 'RETRY' : 'OK'))).toEqual(['OK', 'CREDITS_EXHAUSTED', 'RETRY', 'REQUEST_ID_REUSED']);
    const [original, , retry] = results.map((r) => (E.isRight(r) ? r.right.events.map((e) => e.eventId) : []));
    expect(retry).toEqual(original);
    expect(await sqlite.readStream(USAGE)).toHaveLength(1);
    await sqlite.close();
  });
});

const subscribe = (userId: string) => ({ type: 'Subscribe', profileId: 'p-1', userId, tier: 'PRO', occurredAt: '2026-04-02T00:00:00Z' });

describe('commands on one profile sent together', () => {
  test('are appended together, in the order sent, and each answer is the one it would have alone', async () => {
    const sqlite = new SqliteEventStore(join(dir, `hot-${files++}.db`));
    const { store, turns, looks, stop } = observed(sqlite, () => false, LIFECYCLE);
    const handler = await withUser(store);
    const before = turns().length;
    const looksBefore = looks();
    const first = handler.execute(subscribe('u-0'));
    while (turns().length === before) await new Promise((resolve) => setImmediate(resolve));
    // u-3 twice: the second, decided on the group's state before either commits, is ALREADY_SUBSCRIBED as it would be alone.
    const rest = ['u-1', 'u-2', 'u-3', 'u-3', 'u-4'].map((u) => handler.execute(subscribe(u)));
    const results = await Promise.all([first, ...rest]);
    stop();
    expect(results.map((r) => (E.isLeft(r) ? r.left.code : 'OK'))).toEqual(['OK', 'OK', 'OK', 'OK', 'ALREADY_SUBSCRIBED', 'OK']);
    const [firstTurn, ...others] = turns().slice(before);
    expect(new Set(others).size).toBe(1);
    expect(others[0]).toBeGreaterThan(firstTurn as number);
    // One look for other writers for the group (a round trip on PostgreSQL), none for the first, alone.
    expect(looks() - looksBefore).toBe(1);
    const stored = (await sqlite.readStream(LIFECYCLE)).filter((e) => e.type === 'UserSubscribed').map((e) => (e.data as { userId: string }).userId);
    expect(stored).toEqual(['alice', 'u-0', 'u-1', 'u-2', 'u-3', 'u-4']);
    await sqlite.close();
  });

  test('one whose append fails answers the failure alone; the others are decided again without it and land', async () => {
    const sqlite = new SqliteEventStore(join(dir, `hot-${files++}.db`));
    // withUser's Subscribe is the first append to the lifecycle; then u-0's, then u-1's (the first of the group) fails.
    const { store, stop } = observed(sqlite, (n) => n === 3, LIFECYCLE);
    const handler = await withUser(store);
    const results = await Promise.allSettled(['u-0', 'u-1', 'u-2', 'u-3'].map((u) => handler.execute(subscribe(u))));
    stop();
    expect(results.map((r) => (r.status === 'rejected' ? 'FAILED' : E.isLeft(r.value) ? r.value.left.code : 'OK'))).toEqual(['OK', 'FAILED', 'OK', 'OK']);
    const stored = (await sqlite.readStream(LIFECYCLE)).filter((e) => e.type === 'UserSubscribed').map((e) => (e.data as { userId: string }).userId);
    expect(stored).toEqual(['alice', 'u-0', 'u-2', 'u-3']);
    // Nothing of the failed one is in what the next decision reads.
    expect(E.isRight(await handler.execute(subscribe('u-1')))).toBe(true);
    await sqlite.close();
  });

  test("a decision of another stream reads what is committed, never a group's appends before they commit", async () => {
    const sqlite = new SqliteEventStore(join(dir, `hot-${files++}.db`));
    const unsubscribe = { type: 'Unsubscribe', profileId: 'p-1', userId: 'alice', occurredAt: '2026-04-15T00:00:00Z' };
    const guarded: number[] = [];
    let usageAppends = 0;
    let handler: CommandHandler | undefined;
    let unsubscribed: ReturnType<CommandHandler['execute']> | undefined;
    const { store, turns, stop } = observed(sqlite, () => false, USAGE, (streamId, options) => {
      if (streamId === LIFECYCLE) {
        const guard = options.guards?.find((g) => g.streamId === USAGE)?.expectedRevision;
        if (guard?.kind === 'exact') guarded.push(guard.revision);
      }
      // As the group's last append is issued (none of the five committed), alice's Unsubscribe is sent.
      if (streamId === USAGE && ++usageAppends === 6) unsubscribed = handler?.execute(unsubscribe);
    });
    handler = await withUser(store);
    const first = handler.execute(consume('r-0', '1'));
    while (turns().length === 0) await new Promise((resolve) => setImmediate(resolve));
    const rest = Array.from({ length: 5 }, (_, i) => (handler as CommandHandler).execute(consume(`r-${i + 1}`, '1')));
    const results = await Promise.all([first, ...rest]);
    const last = await unsubscribed;
    stop();
    expect(results.every(E.isRight)).toBe(true);
    expect(last !== undefined && E.isRight(last)).toBe(true);
    // Decided first on r-0 alone (revision 0): the group's five were not committed. Its append then
    // found them committed before it in the same transaction, and it was decided again on all six.
    expect(guarded).toEqual([0, 5]);
    const lifecycle = await sqlite.readStream(LIFECYCLE);
    expect(lifecycle[lifecycle.length - 1]?.type).toBe('UserUnsubscribed');
    await sqlite.close();
  });
});
