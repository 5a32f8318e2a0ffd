import * as E from 'fp-ts/Either';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerService } from '../../src/app/ledgerService';
import { decodeOrThrow } from '../../src/commands/decodeRecorded';
import { isLedgerStream } from '../../src/domain/events';
import { EventStore } from '../../src/store/eventStore';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';
import { SqliteEventStore } from '../../src/store/sqliteEventStore';
import { collect } from '../store/contract';

/**
 * Issue 9's eight ways a final bill could change, each reproduced as it was reported; the ledger must
 * refuse every one and leave the bills as they were. (Problem 7, the read-model snapshot, is in
 * viewSnapshot.test.ts; problem 8, the allowance, in the statement tests and scenario 24.)
 */

/** A ledger whose clock the test moves, as time passes between the commands of a report. */
const ledgerAt = async (store: EventStore = new InMemoryEventStore()) => {
  let now = new Date('2026-03-01T09:00:00Z');
  const ledger = await new LedgerService(store, { clock: () => now }).open();
  const run = async (at: string, command: Record<string, unknown>, occurredAt: string | undefined = at) => {
    now = new Date(Math.max(now.getTime(), Date.parse(at)));
    return ledger.execute(occurredAt === undefined ? command : { ...command, occurredAt });
  };
  const ok = async (at: string, command: Record<string, unknown>) => {
    const r = await run(at, command);
    if (E.isLeft(r)) throw new Error(`${command.type} at ${at}: ${r.left.code} ${r.left.message}`);
    return r.right;
  };
  const refused = async (at: string, command: Record<string, unknown>, occurredAt?: string) => {
    const r = await run(at, command, occurredAt);
    return E.isLeft(r) ? r.left.code : 'accepted';
  };
  return { ledger, ok, refused, setNow: (d: string) => (now = new Date(d)) };
};

const profile = { type: 'CreateProfile', profileId: 'p-iad', accountId: '111122223333', region: 'us-east-1' };
const consume = (credits: string, requestId: string, userId = 'alice') => ({ type: 'ConsumeCredits', profileId: 'p-iad', userId, credits, requestId });

describe('a final bill stays final', () => {
  test('1. an unsubscribe dated before a consumption is refused, and the consumption stays on the bill', async () => {
    const { ledger, ok, refused } = await ledgerAt();
    await ok('2026-03-01T09:00:00Z', profile);
    await ok('2026-03-01T09:05:00Z', { type: 'Subscribe', profileId: 'p-iad', userId: 'alice', tier: 'PRO' });
    await ok('2026-05-02T10:00:00Z', consume('500', 'r1'));
    // Dated in April, a closed month by now.
    expect(await refused('2026-05-02T10:01:00Z', { type: 'Unsubscribe', profileId: 'p-iad', userId: 'alice' }, '2026-04-30T12:00:00Z')).toBe('MONTH_CLOSED');
    // Dated in the open month, but before the consumption.
    expect(await refused('2026-05-02T10:02:00Z', { type: 'Unsubscribe', profileId: 'p-iad', userId: 'alice' }, '2026-05-02T09:00:00Z')).toBe('OUT_OF_ORDER');
    const may = await ledger.statement('p-iad', '2026-05');
    expect(may?.total).toBe('20.00');
    expect(may?.users.map((u) => [u.userId, u.creditsUsed])).toEqual([['alice', '500.00']]);
  });

  test('2. a consumption dated in a closed month is refused: the final statement does not move', async () => {
    const { ledger, ok, refused } = await ledgerAt();
    await ok('2026-03-01T09:00:00Z', profile);
    await ok('2026-03-01T09:05:00Z', { type: 'Subscribe', profileId: 'p-iad', userId: 'alice', tier: 'PRO' });
    await ok('2026-05-10T00:00:00Z', consume('10', 'late-may'));
    const before = JSON.stringify(await ledger.statement('p-iad', '2026-04'));
    expect(await refused('2026-05-10T00:01:00Z', { ...consume('1000', 'r-april'), type: 'ConsumeCredits' }, '2026-04-20T00:00:00Z')).toBe('MONTH_CLOSED');
    const after = await ledger.statement('p-iad', '2026-04');
    expect(JSON.stringify(after)).toBe(before);
    expect(after?.status).toBe('final');
  });

  test('3. a catalog change dated in a closed month is refused: no final statement is re-priced', async () => {
    const { ledger, ok, refused } = await ledgerAt();
    await ok('2026-03-01T09:00:00Z', profile);
    await ok('2026-03-01T09:05:00Z', { type: 'Subscribe', profileId: 'p-iad', userId: 'alice', tier: 'PRO' });
    await ok('2026-05-10T00:00:00Z', consume('1', 'r1'));
    const define = { type: 'DefineTier', tier: 'PRO', name: 'Pro', credits: '1000', price: '99.00', fromMonth: '2026-02' };
    expect(await refused('2026-05-10T00:01:00Z', define, '2026-01-15T00:00:00Z')).toBe('MONTH_CLOSED');
    // Dated now, a month that has started (by the clock) is never re-priced either.
    expect(await refused('2026-05-10T00:02:00Z', { ...define, fromMonth: '2026-05' })).toBe('PERIOD_STARTED');
    expect((await ledger.statement('p-iad', '2026-04'))?.total).toBe('20.00');
    expect((await ledger.statement('p-iad', '2026-05'))?.total).toBe('20.00');
  });

  test('6. server-dated commands are dated at their turn, never before what they are checked against', async () => {
    const { ledger, ok, setNow } = await ledgerAt();
    await ok('2026-03-01T09:00:00Z', profile);
    // A command dated 4 minutes ahead of the clock (allowed: within 5).
    await ok('2026-03-01T09:04:00Z', { type: 'Subscribe', profileId: 'p-iad', userId: 'ahead', tier: 'PRO' });
    setNow('2026-03-01T09:00:30Z');
    const r = await ledger.execute({ type: 'Subscribe', profileId: 'p-iad', userId: 'bob', tier: 'PRO' });
    expect(E.isRight(r)).toBe(true);
    if (E.isRight(r)) expect((r.right.events[0]?.data as { occurredAt: string }).occurredAt).toBe('2026-03-01T09:04:00.000Z');
  });
});

describe('several processes on one SQLite file', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'ledger-final-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('6. server-dated commands from two processes whose clocks disagree are all accepted, in time order', async () => {
    const file = join(dir, 'skew.db');
    const [storeA, storeB] = [new SqliteEventStore(file), new SqliteEventStore(file)];
    const base = Date.parse('2026-04-10T12:00:00Z');
    let tick = 0;
    // B's clock runs 3 seconds behind A's: each of B's commands checks against events A dated later.
    const a = await new LedgerService(storeA, { clock: () => new Date(base + 10 * tick++) }).open();
    const b = await new LedgerService(storeB, { clock: () => new Date(base - 3000 + 10 * tick++) }).open();
    expect(E.isRight(await a.execute({ ...profile, occurredAt: '2026-04-10T11:00:00Z' }))).toBe(true);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).execute({ type: 'Subscribe', profileId: 'p-iad', userId: `u${i}`, tier: 'PRO' })),
    );
    expect(results.filter(E.isLeft).map((r) => r.left)).toEqual([]);
    const lifecycle = (await storeA.readStream('profile/p-iad/lifecycle')).map((e) => Date.parse((e.data as { occurredAt: string }).occurredAt));
    expect(lifecycle).toHaveLength(50);
    lifecycle.slice(1).forEach((t, i) => expect(t).toBeGreaterThanOrEqual(lifecycle[i] as number));
    await Promise.all([a.close(), b.close()]);
  });

  test('4. SetOverage(false) racing a consumption past the allowance: the log never shows the consumption after the switch', async () => {
    const file = join(dir, 'overage.db');
    const [storeA, storeB] = [new SqliteEventStore(file), new SqliteEventStore(file)];
    const clock = () => new Date('2026-04-12T00:00:00Z');
    const a = await new LedgerService(storeA, { clock }).open();
    const b = await new LedgerService(storeB, { clock }).open();
    const rounds = 30;
    for (let i = 0; i < rounds; i++) {
      const profileId = `p-${i}`;
      const setUp = [
        { type: 'CreateProfile', profileId, accountId: String(100000000000 + i), region: 'us-east-1', occurredAt: '2026-04-01T00:00:00Z' },
        { type: 'Subscribe', profileId, userId: 'alice', tier: 'PRO', occurredAt: '2026-04-01T00:00:00Z' },
        { type: 'SetOverage', profileId, enabled: true, occurredAt: '2026-04-01T00:00:00Z' },
        { type: 'ConsumeCredits', profileId, userId: 'alice', credits: '1000', requestId: 'fill', occurredAt: '2026-04-05T00:00:00Z' },
      ];
      for (const c of setUp) expect(E.isRight(await a.execute(c))).toBe(true);
      const [off, past] = await Promise.all([
        (i % 2 === 0 ? a : b).execute({ type: 'SetOverage', profileId, enabled: false, occurredAt: '2026-04-10T00:00:00Z' }),
        (i % 2 === 0 ? b : a).execute({ type: 'ConsumeCredits', profileId, userId: 'alice', credits: '5', requestId: 'past', occurredAt: '2026-04-11T00:00:00Z' }),
      ]);
      // Whichever is decided second sees the first: the switch first refuses the consumption (K4); the
      // consumption first makes the switch, dated before it, out of order (T2). Never both, never neither.
      const outcome = [E.isRight(off) ? 'ok' : off.left.code, E.isRight(past) ? 'ok' : past.left.code];
      expect([['ok', 'CREDITS_EXHAUSTED'], ['OUT_OF_ORDER', 'ok']]).toContainEqual(outcome);
      const log = (await collect(storeA.readAll({ streamPrefix: `profile/${profileId}/` }))).filter((e) => isLedgerStream(e.streamId)).map(decodeOrThrow);
      const types = log.map((r) => (r.event.type === 'OverageSet' ? `OverageSet(${r.event.data.enabled})` : r.event.type));
      expect(types.filter((t) => t === 'CreditsConsumed')).toHaveLength(E.isRight(past) ? 2 : 1);
      if (E.isRight(off)) expect(types.indexOf('OverageSet(false)')).toBeGreaterThan(types.lastIndexOf('CreditsConsumed'));
    }
    await Promise.all([a.close(), b.close()]);
  });
});
