import * as E from 'fp-ts/Either';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerService } from '../../src/app/ledgerService';
import { statementDigest } from '../../src/app/sealing';
import { EventStore } from '../../src/store/eventStore';
import { canonicalJson } from '../../src/store/chain';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';
import { SqliteEventStore } from '../../src/store/sqliteEventStore';
import { collect } from '../store/contract';

/** Sealing (billing-rules F2) on a clock the test moves. */
const dir = mkdtempSync(join(tmpdir(), 'ledger-sealing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MINUTE = 60_000;
const DELAY = 10 * MINUTE;

const history: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ['2026-03-05T09:00:00Z', { type: 'CreateProfile', profileId: 'p-iad', accountId: '111122223333', region: 'us-east-1' }],
  ['2026-03-05T09:01:00Z', { type: 'Subscribe', profileId: 'p-iad', userId: 'alice', tier: 'PRO' }],
  ['2026-04-02T09:00:00Z', { type: 'CreateProfile', profileId: 'p-fra', accountId: '111122223333', region: 'eu-central-1' }],
  ['2026-04-02T09:01:00Z', { type: 'Subscribe', profileId: 'p-fra', userId: 'bob', tier: 'POWER' }],
  ['2026-04-03T09:00:00Z', { type: 'ConsumeCredits', profileId: 'p-iad', userId: 'alice', credits: '12.5', requestId: 'r-1' }],
];

const ledgerWith = async (store: EventStore, start = '2026-03-05T09:00:00Z') => {
  let now = new Date(start);
  const ledger = await new LedgerService(store, { clock: () => now }).open();
  return { ledger, setNow: (instant: string) => (now = new Date(instant)) };
};

const written = async (store: EventStore) => {
  const { ledger, setNow } = await ledgerWith(store);
  for (const [at, command] of history) {
    setNow(at);
    const r = await ledger.execute({ ...command, occurredAt: at });
    if (E.isLeft(r)) throw new Error(`${command.type}: ${r.left.message}`);
  }
  return { ledger, setNow };
};

const seals = async (store: EventStore) => (await collect(store.readAll())).filter((e) => e.type === 'StatementSealed');

test("a month is sealed once the clock passes its end by the delay, each profile's, with the digest of the statement as served", async () => {
  const store = new InMemoryEventStore();
  const { ledger, setNow } = await written(store);

  setNow('2026-05-01T00:09:59.999Z');
  expect(await ledger.sealDue(DELAY)).toEqual({ sealed: 1, sealedElsewhere: 0 });
  // March only (p-iad; p-fra did not exist before March's end): April is inside its delay.
  expect((await seals(store)).map((e) => [(e.data as { profileId: string }).profileId, (e.data as { month: string }).month])).toEqual([['p-iad', '2026-03']]);

  const aprilBefore = await ledger.statement('p-iad', '2026-04');
  setNow('2026-05-01T00:10:00.000Z');
  expect(await ledger.sealDue(DELAY)).toEqual({ sealed: 2, sealedElsewhere: 0 });
  expect(await ledger.sealDue(DELAY)).toEqual({ sealed: 0, sealedElsewhere: 0 });

  const april = await ledger.statement('p-iad', '2026-04');
  const [, aprilSeal] = (await seals(store)).filter((e) => (e.data as { profileId: string }).profileId === 'p-iad');
  const { seal, ...served } = april ?? { seal: undefined };
  // The statement is what it was before the seal, plus its seal.
  expect(served).toEqual(aprilBefore);
  const digest = createHash('sha256').update(canonicalJson(served)).digest('hex');
  const head = await store.readAll({ after: (aprilSeal?.data as { logPosition: number }).logPosition - 1, limit: 1 });
  const [built] = await collect(head);
  expect(aprilSeal?.data).toEqual({
    profileId: 'p-iad',
    month: '2026-04',
    total: april?.total,
    sha256: digest,
    logPosition: built?.globalPosition,
    chainHash: built?.chainHash,
    occurredAt: '2026-05-01T00:10:00.000Z',
  });
  expect(seal).toEqual({ eventId: aprilSeal?.eventId, sha256: digest, logPosition: built?.globalPosition, chainHash: built?.chainHash, sealedAt: '2026-05-01T00:10:00.000Z' });
  expect(statementDigest(april as NonNullable<typeof april>)).toBe(digest);
  // An open month has no seal.
  expect((await ledger.statement('p-iad', '2026-05'))?.seal).toBeUndefined();
});

test('a ledger that was stopped seals the months it missed when it starts, oldest first', async () => {
  const store = new InMemoryEventStore();
  await written(store);
  const { ledger } = await ledgerWith(store, '2026-07-15T00:00:00Z');
  expect(await ledger.sealDue(DELAY)).toEqual({ sealed: 7, sealedElsewhere: 0 });
  expect((await seals(store)).map((e) => `${(e.data as { month: string }).month} ${(e.data as { profileId: string }).profileId}`)).toEqual([
    '2026-03 p-iad',
    '2026-04 p-fra',
    '2026-04 p-iad',
    '2026-05 p-fra',
    '2026-05 p-iad',
    '2026-06 p-fra',
    '2026-06 p-iad',
  ]);
});

test('two nodes sealing the same months at once write one seal per profile and month', async () => {
  const file = join(dir, 'two-nodes.db');
  await written(new SqliteEventStore(file));
  const nodes = await Promise.all([0, 1].map(() => ledgerWith(new SqliteEventStore(file), '2026-06-01T00:10:00Z')));
  const results = await Promise.all(nodes.map(({ ledger }) => ledger.sealDue(DELAY)));
  expect(results.reduce((n, r) => n + r.sealed, 0)).toBe(5);
  const keys = (await seals(nodes[0]?.ledger.store as EventStore)).map((e) => (e.streamId));
  expect(keys.sort()).toEqual(['profile/p-fra/seal/2026-04', 'profile/p-fra/seal/2026-05', 'profile/p-iad/seal/2026-03', 'profile/p-iad/seal/2026-04', 'profile/p-iad/seal/2026-05']);
  // Each node's read model serves the seal the log holds, whichever node wrote it.
  for (const { ledger } of nodes) {
    await ledger.catchUp();
    expect((await ledger.statement('p-iad', '2026-04'))?.seal?.eventId).toBe((await ledger.store.readStream('profile/p-iad/seal/2026-04'))[0]?.eventId);
  }
  await Promise.all(nodes.map(({ ledger }) => ledger.close()));
});
