import * as E from 'fp-ts/Either';
import Decimal from 'decimal.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerService } from '../../src/app/ledgerService';
import { EventStore } from '../../src/store/eventStore';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';
import { SqliteEventStore } from '../../src/store/sqliteEventStore';

const dir = mkdtempSync(join(tmpdir(), 'ledger-concurrent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** The stores of two ledger instances: one store object for both, or (SQLite) one connection each to one file, as two processes have. */
const setups: ReadonlyArray<readonly [string, () => readonly [EventStore, EventStore]]> = [
  ['one in-memory store', () => {
    const store = new InMemoryEventStore();
    return [store, store];
  }],
  ['one SQLite store object', () => {
    const store = new SqliteEventStore(join(dir, `shared-${files++}.db`));
    return [store, store];
  }],
  ['two SQLite connections to one file', () => {
    const file = join(dir, `two-${files++}.db`);
    return [new SqliteEventStore(file), new SqliteEventStore(file)];
  }],
];

const clock = () => new Date('2026-04-15T00:00:00.000Z');

/**
 * K4 under concurrency: two ledger instances (as two server processes would) race 60 consumption
 * requests for one user. Only the store's revision check stands between them.
 */
describe.each(setups)('two handlers on %s', (_, stores) => {
  test('concurrent requests never overspend the allowance', async () => {
    const [storeA, storeB] = stores();
    const a = await new LedgerService(storeA, { clock }).open();
    const b = await new LedgerService(storeB, { clock }).open();
    expect(E.isRight(await a.execute({ type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1', occurredAt: '2026-04-01T00:00:00Z' }))).toBe(true);
    expect(E.isRight(await a.execute({ type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO', occurredAt: '2026-04-01T00:00:00Z' }))).toBe(true);

    const requests = Array.from({ length: 60 }, (_, i) =>
      (i % 2 === 0 ? a : b).execute({ type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '33.33', requestId: `r-${i}`, occurredAt: '2026-04-10T00:00:00Z' }),
    );
    const results = await Promise.all(requests);
    const accepted = results.filter(E.isRight).length;
    const codes = results.filter(E.isLeft).map((r) => r.left.code);
    const conflicts = codes.filter((c) => c === 'CONFLICT').length;

    // 30 × 33.33 = 999.90 fits in Pro's 1000 credits; a 31st would not. Conflicts are retried (with a
    // random pause) until decided, so exactly 30 are accepted: never more (K4), and none lost to a race.
    expect(conflicts).toBe(0);
    expect(accepted).toBe(30);
    expect(codes.every((c) => c === 'CREDITS_EXHAUSTED')).toBe(true);
    const statement = await a.statement('p-1', '2026-04');
    expect(statement?.users[0]?.creditsUsed).toBe(new Decimal('33.33').times(accepted).toFixed(2));
    await Promise.all([...new Set([storeA, storeB])].map((s) => s.close()));
  });

  test('batches from one handler racing single requests from the other never overspend (K4) nor apply a requestId twice (K2)', async () => {
    const [storeA, storeB] = stores();
    const a = await new LedgerService(storeA, { clock }).open();
    const b = await new LedgerService(storeB, { clock }).open();
    expect(E.isRight(await a.execute({ type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1', occurredAt: '2026-04-01T00:00:00Z' }))).toBe(true);
    expect(E.isRight(await a.execute({ type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO', occurredAt: '2026-04-01T00:00:00Z' }))).toBe(true);
    // 90 distinct requestIds of 33.33 credits, sent twice each: once in a batch on A, once alone on B.
    const consume = (i: number) => ({ type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '33.33', requestId: `r-${i}`, occurredAt: '2026-04-10T00:00:00Z' });
    const ids = Array.from({ length: 90 }, (_, i) => i);
    // The singles first: their appends land between the batch's decisions and its appends, so the
    // batch's optimistic decisions are refused at the append and decided again.
    const singles = ids.map((i) => b.execute(consume(89 - i)));
    const batches = [a.handler.executeConsumptions(ids.slice(0, 45).map(consume)), a.handler.executeConsumptions(ids.slice(45).map(consume))];
    const all = [...(await Promise.all(batches)).flat(), ...(await Promise.all(singles))] as ReadonlyArray<E.Either<{ code: string }, unknown>>;
    expect(all.filter(E.isLeft).every((r) => r.left.code === 'CREDITS_EXHAUSTED')).toBe(true);
    const stored = (await a.store.readStream('profile/p-1/usage/alice/2026-04')).map((e) => (e.data as { requestId: string }).requestId);
    expect(stored).toHaveLength(30);
    expect(new Set(stored).size).toBe(30);
    const statement = await a.statement('p-1', '2026-04');
    expect(statement?.users[0]?.creditsUsed).toBe('999.90');
    await Promise.all([...new Set([storeA, storeB])].map((s) => s.close()));
  });

  test('a handler that cached what it read sees what the other wrote since, also in streams no append of its own checks', async () => {
    const [storeA, storeB] = stores();
    const a = await new LedgerService(storeA, { clock }).open();
    const b = await new LedgerService(storeB, { clock }).open();
    // a has read (and cached) the registry without p-2 in it.
    expect(await a.execute({ type: 'Subscribe', profileId: 'p-2', userId: 'bob', tier: 'PRO' })).toMatchObject(E.left({ code: 'PROFILE_NOT_FOUND' }));
    expect(E.isRight(await b.execute({ type: 'CreateProfile', profileId: 'p-2', accountId: '111122223333', region: 'us-east-1' }))).toBe(true);
    expect(E.isRight(await a.execute({ type: 'Subscribe', profileId: 'p-2', userId: 'bob', tier: 'PRO' }))).toBe(true);
    // And a retry sent to the other handler is recognised by its requestId, with what a recorded.
    const consume = { type: 'ConsumeCredits', profileId: 'p-2', userId: 'bob', credits: '999.99', requestId: 'r-1' };
    expect(E.isRight(await a.execute(consume))).toBe(true);
    expect(await b.execute(consume)).toMatchObject(E.right({ duplicate: true }));
    expect(await b.execute({ ...consume, credits: '1' })).toMatchObject(E.left({ code: 'REQUEST_ID_REUSED' }));
    await Promise.all([...new Set([storeA, storeB])].map((s) => s.close()));
  });
});
