import { randomUUID } from 'node:crypto';
import {
  Appended,
  AppendResult,
  EventStore,
  ExpectedRevision,
  Guard,
  NewEvent,
  PrefixGuard,
  RecordedEvent,
} from '../../src/store/eventStore';
import { CHAIN_ALGORITHM, chainHash, EMPTY_HEAD } from '../../src/store/chain';

/**
 * The behaviour every EventStore adapter must share. Written so that it also holds against a
 * server other tests have written to: every test uses fresh stream ids and reads `$all` only
 * after the head position it saw when it started.
 */
export interface ContractOptions {
  /** Registers the suite as skipped, with this reason in its name. */
  readonly skip?: string;
  /** Time allowed to each of the heavy tests, if the configured default is not enough. */
  readonly heavyTimeoutMs?: number;
  /**
   * Set (to the reason) when the store cannot check guards atomically with the write, as one
   * atomic multi-stream append would: the tests that need that are registered as skipped with it.
   */
  readonly noAtomicGuards?: string;
}

export const newEvent = (data: Record<string, unknown> = {}, type = 'ContractTested'): NewEvent => ({
  eventId: randomUUID(),
  type,
  data,
  metadata: { schemaVersion: 1, actor: 'contract', correlationId: randomUUID() },
});

export const collect = async <T>(iterable: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
};

const expectConflict = async (
  append: Promise<AppendResult>,
  streamId: string,
  expected: ExpectedRevision,
  actual: number,
): Promise<void> => {
  const result = await append;
  expect(result).toMatchObject({ kind: 'conflict', streamId, expected, actual });
  expect(result.kind === 'conflict' && result.message).toContain(streamId);
};

/** The append's answer, which the test expects to be a write. */
export const written = async (append: Promise<AppendResult>): Promise<Appended> => {
  const result = await append;
  if (result.kind !== 'appended') throw new Error(`expected the append to be written, got ${JSON.stringify(result)}`);
  return result;
};

/** Appends `count` events one append at a time, retrying on conflict from the revision the error reports. */
const appendWithRetry = async (store: EventStore, streamId: string, count: number): Promise<string[]> => {
  const acknowledged: string[] = [];
  let known = -1;
  for (let i = 0; i < count; i++) {
    const event = newEvent({ i });
    for (;;) {
      const result = await store.append(streamId, [event], { expectedRevision: ExpectedRevision.after(known) });
      if (result.kind === 'conflict') {
        known = result.actual;
        continue;
      }
      known = result.nextExpectedRevision;
      acknowledged.push(event.eventId);
      break;
    }
  }
  return acknowledged;
};

/**
 * For a store that applies appends in order (EventStore.appliesAppendsInOrder): `mine` and `other`
 * write one log. An append issued after a refused one to the same stream, without waiting, expecting
 * the revision the refused one would have made, is refused too, though another writer moved the
 * stream to that revision; one to another stream lands.
 */
export const expectRefusedOnTopOfRefused = async (mine: EventStore, other: EventStore): Promise<void> => {
  expect(mine.appliesAppendsInOrder).toBe(true);
  const user = `user-${randomUUID()}`;
  await written(mine.append(user, [newEvent({ n: 0 })], { expectedRevision: ExpectedRevision.noStream }));
  // The other writer appends one event: the stream is at revision 1, which the second append below expects.
  await written(other.append(user, [newEvent({ by: 'other' })], { expectedRevision: ExpectedRevision.exact(0) }));
  // Decided one on top of the other, issued without waiting (a batch's items of one user).
  const [first, second, elsewhere] = await Promise.all([
    mine.append(user, [newEvent({ n: 1 })], { expectedRevision: ExpectedRevision.exact(0) }),
    mine.append(user, [newEvent({ n: 2 })], { expectedRevision: ExpectedRevision.exact(1) }),
    mine.append(`other-user-${randomUUID()}`, [newEvent()], { expectedRevision: ExpectedRevision.noStream }),
  ]);
  expect(first).toMatchObject({ kind: 'conflict', actual: 1 });
  expect(second).toMatchObject({ kind: 'conflict', streamId: user, expected: ExpectedRevision.exact(1), actual: 1 });
  expect(elsewhere.kind).toBe('appended');
  expect((await mine.readStream(user)).map((e) => e.data)).toEqual([{ n: 0 }, { by: 'other' }]);
};

const expectStrictlyIncreasing = (positions: ReadonlyArray<number>): void => {
  positions.slice(1).forEach((p, i) => expect(p).toBeGreaterThan(positions[i] as number));
};

export const describeEventStoreContract = (
  name: string,
  makeStore: () => EventStore | Promise<EventStore>,
  options: ContractOptions = {},
): void => {
  const suite = options.skip === undefined ? describe : describe.skip;
  const title = `${name} event store contract${options.skip === undefined ? '' : ` — skipped: ${options.skip}`}`;
  const heavyTimeout = options.heavyTimeoutMs;
  const atomicTest = options.noAtomicGuards === undefined ? test : test.skip;
  const atomic = (title: string): string => (options.noAtomicGuards === undefined ? title : `${title} — skipped: ${options.noAtomicGuards}`);
  if (options.noAtomicGuards !== undefined && options.skip === undefined) {
    process.stderr.write(`[${name} contract] tests needing atomic guards skipped: ${options.noAtomicGuards}\n`);
  }

  suite(title, () => {
    let store: EventStore;
    let start: number;
    const stream = (label: string): string => `${label}-${randomUUID()}`;
    const readOwn = async (streams: ReadonlyArray<string>): Promise<RecordedEvent[]> =>
      (await collect(store.readAll({ after: start }))).filter((e) => streams.includes(e.streamId));

    beforeEach(async () => {
      store = await makeStore();
      start = await store.headPosition();
    });
    afterEach(() => store.close());
    const write = (...args: Parameters<EventStore['append']>): Promise<Appended> => written(store.append(...args));

    test('an append is read back exactly as recorded', async () => {
      const id = stream('account');
      const events = [newEvent({ amount: '12.50', lines: [1, 2] }, 'Charged'), newEvent({ n: 2 }), newEvent({ n: 3 })];

      const result = await write(id, events, { expectedRevision: ExpectedRevision.noStream });

      expect(result.nextExpectedRevision).toBe(2);
      expect(result.events.map((e) => e.position)).toEqual([0, 1, 2]);
      result.events.forEach((recorded, i) => {
        const sent = events[i] as NewEvent;
        const { eventId, type, data, metadata } = sent;
        expect(recorded).toMatchObject({ streamId: id, eventId, type, data, metadata });
        expect(new Date(recorded.recordedAt).toISOString()).toBe(recorded.recordedAt);
        expect(recorded.globalPosition).toBeGreaterThan(start);
      });
      expectStrictlyIncreasing(result.events.map((e) => e.globalPosition));
      expect(await store.readStream(id)).toEqual(result.events);
      expect(await store.headPosition()).toBe(result.events[2]?.globalPosition);
    });

    test('a stream that was never written reads as empty', async () => {
      expect(await store.readStream(stream('nothing'))).toEqual([]);
    });

    describe('expected revision', () => {
      const seeded = async (events = 2): Promise<string> => {
        const id = stream('seeded');
        const batch = Array.from({ length: events }, (_, i) => newEvent({ i }));
        await write(id, batch, { expectedRevision: ExpectedRevision.noStream });
        return id;
      };

      test('noStream succeeds on a new stream', async () => {
        const id = stream('new');
        const result = await write(id, [newEvent()], { expectedRevision: ExpectedRevision.noStream });
        expect(result.nextExpectedRevision).toBe(0);
      });

      test('noStream fails on an existing stream and writes nothing', async () => {
        const id = await seeded();
        const expected = ExpectedRevision.noStream;
        await expectConflict(store.append(id, [newEvent()], { expectedRevision: expected }), id, expected, 1);
        expect(await store.readStream(id)).toHaveLength(2);
      });

      test('streamExists succeeds on an existing stream', async () => {
        const id = await seeded();
        const result = await write(id, [newEvent()], { expectedRevision: ExpectedRevision.streamExists });
        expect(result.nextExpectedRevision).toBe(2);
        expect(result.events.map((e) => e.position)).toEqual([2]);
      });

      test('streamExists fails on a missing stream and writes nothing', async () => {
        const id = stream('missing');
        const expected = ExpectedRevision.streamExists;
        await expectConflict(store.append(id, [newEvent()], { expectedRevision: expected }), id, expected, -1);
        expect(await store.readStream(id)).toEqual([]);
      });

      test('exact succeeds at the current revision', async () => {
        const id = await seeded();
        const result = await write(id, [newEvent(), newEvent()], { expectedRevision: ExpectedRevision.exact(1) });
        expect(result.nextExpectedRevision).toBe(3);
        expect((await store.readStream(id)).map((e) => e.position)).toEqual([0, 1, 2, 3]);
      });

      test('exact fails behind or ahead of the current revision and writes nothing', async () => {
        const id = await seeded(3);
        const behind = ExpectedRevision.exact(1);
        const ahead = ExpectedRevision.exact(5);
        await expectConflict(store.append(id, [newEvent()], { expectedRevision: behind }), id, behind, 2);
        await expectConflict(store.append(id, [newEvent()], { expectedRevision: ahead }), id, ahead, 2);
        expect(await store.readStream(id)).toHaveLength(3);
      });

      test('any succeeds whether or not the stream exists', async () => {
        const id = stream('any');
        const first = await write(id, [newEvent()], { expectedRevision: ExpectedRevision.any });
        const second = await write(id, [newEvent()], { expectedRevision: ExpectedRevision.any });
        expect([first.nextExpectedRevision, second.nextExpectedRevision]).toEqual([0, 1]);
      });

      test('a conflict is a value that names the stream, the expectation and the actual revision', async () => {
        const id = await seeded(1);
        const result = await store.append(id, [newEvent()], { expectedRevision: ExpectedRevision.exact(7) });
        expect(result).toEqual({ kind: 'conflict', streamId: id, expected: { kind: 'exact', revision: 7 }, actual: 0, message: `stream ${id}: expected revision 7, actual revision 0` });
      });
    });

    test('readAll returns every stream in one global order', async () => {
      const [a, b, c] = [stream('a'), stream('b'), stream('c')];
      const appended: RecordedEvent[] = [];
      for (const id of [a, b, a, c, b]) {
        const result = await write(id, [newEvent({ id })], { expectedRevision: ExpectedRevision.any });
        appended.push(...result.events);
      }

      const all = await readOwn([a, b, c]);

      expect(all).toEqual(appended);
      expectStrictlyIncreasing(all.map((e) => e.globalPosition));
      expect(await store.headPosition()).toBe(appended[appended.length - 1]?.globalPosition);
    });

    test('readAll resumes after a position and honours a limit', async () => {
      const id = stream('paged');
      await write(id, Array.from({ length: 5 }, (_, i) => newEvent({ i })), { expectedRevision: ExpectedRevision.noStream });
      const all = await readOwn([id]);
      const at = (i: number): number => (all[i] as RecordedEvent).globalPosition;

      expect(all.map((e) => e.data)).toEqual([0, 1, 2, 3, 4].map((i) => ({ i })));
      expect(await collect(store.readAll({ after: at(1) }))).toEqual(all.slice(2));
      expect(await collect(store.readAll({ after: at(4) }))).toEqual([]);
      expect(await collect(store.readAll({ after: start, limit: 2 }))).toEqual(all.slice(0, 2));
      expect(await collect(store.readAll({ after: at(0), limit: 3 }))).toEqual(all.slice(1, 4));
      const [first] = await collect(store.readAll({ limit: 1 }));
      expect(first?.globalPosition).toBeLessThanOrEqual(at(0));
    });

    test('readAll with a stream prefix returns only those streams, in global order', async () => {
      const base = stream('prefixed');
      // `_` must not act as a wildcard and a longer sibling (`…-x1` vs `…-x10`) must not match.
      const [a, b, other, sibling] = [`${base}/x1/a`, `${base}/x1/b`, `${base}/x2/a`, `${base}/x10/a`];
      for (const id of [a, other, b, sibling, a]) await write(id, [newEvent({ id })], { expectedRevision: ExpectedRevision.any });
      const mine = await collect(store.readAll({ after: start, streamPrefix: `${base}/x1/` }));
      expect(mine.map((e) => e.streamId)).toEqual([a, b, a]);
      expectStrictlyIncreasing(mine.map((e) => e.globalPosition));
      const page = await collect(store.readAll({ after: mine[0]?.globalPosition, streamPrefix: `${base}/x1/`, limit: 1 }));
      expect(page.map((e) => e.streamId)).toEqual([b]);
      expect(await collect(store.readAll({ after: start, streamPrefix: `${base.replace(/-/g, '_')}/` }))).toEqual([]);
    });

    test('a reader that stops early leaves the store usable', async () => {
      const id = stream('early');
      await write(id, [newEvent(), newEvent(), newEvent()], { expectedRevision: ExpectedRevision.noStream });
      for await (const event of store.readAll({ after: start })) {
        expect(event.streamId).toBe(id);
        break;
      }
      const next = await write(id, [newEvent()], { expectedRevision: ExpectedRevision.exact(2) });
      expect(next.nextExpectedRevision).toBe(3);
    });

    test('readStream reads from a revision and up to a limit', async () => {
      const id = stream('ranged');
      await write(id, Array.from({ length: 5 }, (_, i) => newEvent({ i })), { expectedRevision: ExpectedRevision.noStream });
      const positions = async (fromRevision?: number, limit?: number): Promise<number[]> =>
        (await store.readStream(id, { fromRevision, limit })).map((e) => e.position);

      expect(await positions(2)).toEqual([2, 3, 4]);
      expect(await positions(undefined, 2)).toEqual([0, 1]);
      expect(await positions(1, 2)).toEqual([1, 2]);
      expect(await positions(3, 10)).toEqual([3, 4]);
      expect(await positions(5)).toEqual([]);
    });

    describe('command ids', () => {
      test('a command appended twice is stored once and answers with the original result', async () => {
        const id = stream('idempotent');
        const commandId = randomUUID();
        const options = { expectedRevision: ExpectedRevision.noStream, commandIds: [commandId] };
        const first = await write(id, [newEvent({ n: 1 }), newEvent({ n: 2 })], options);
        // A retry mints fresh event ids; the command id alone identifies it.
        const retry = await store.append(id, [newEvent({ n: 1 }), newEvent({ n: 2 })], options);

        expect(retry).toEqual({ ...first, kind: 'duplicate' });
        expect(await store.readStream(id)).toEqual(first.events);
        expect(await store.readCommand(commandId)).toEqual(first.events);
        // Whatever the adapter keeps to remember commands stays out of the log.
        expect(await collect(store.readAll({ after: start }))).toEqual(first.events);
        expect(await store.headPosition()).toBe(first.events[1]?.globalPosition);
      });

      test('a command id is recognised whatever stream or expectation the retry names', async () => {
        const id = stream('idempotent');
        const commandId = randomUUID();
        const first = await write(id, [newEvent()], { expectedRevision: ExpectedRevision.any, commandIds: [commandId] });
        const elsewhere = await store.append(stream('other'), [newEvent()], {
          expectedRevision: ExpectedRevision.exact(41),
          commandIds: [commandId],
        });
        expect(elsewhere).toEqual({ ...first, kind: 'duplicate' });
      });

      test('concurrent appends of one command store it once', async () => {
        const id = stream('racing');
        const commandId = randomUUID();
        const results = await Promise.all(
          [1, 2, 3].map(() => store.append(id, [newEvent(), newEvent()], { expectedRevision: ExpectedRevision.noStream, commandIds: [commandId] })),
        );
        const stored = await store.readStream(id);
        expect(stored).toHaveLength(2);
        expect(results.filter((r) => r.kind === 'appended')).toHaveLength(1);
        results.forEach((r) => expect(r).toMatchObject({ events: stored }));
      });

      test('an unknown command id reads as undefined', async () => {
        expect(await store.readCommand(randomUUID())).toBeUndefined();
      });
    });

    describe('guards: streams read but not written', () => {
      test('a stream guard commits the append only while the guarded stream is where the decision saw it', async () => {
        const [target, read] = [stream('target'), stream('read')];
        await write(read, [newEvent()], { expectedRevision: ExpectedRevision.noStream });
        const ok = await write(target, [newEvent()], { expectedRevision: ExpectedRevision.noStream, guards: [Guard.stream(read, 0)] });
        expect(ok.events).toHaveLength(1);

        await write(read, [newEvent()], { expectedRevision: ExpectedRevision.exact(0) });
        const refused = await store.append(target, [newEvent()], { expectedRevision: ExpectedRevision.exact(0), guards: [Guard.stream(read, 0)] });
        expect(refused).toMatchObject({ kind: 'conflict', streamId: read, expected: ExpectedRevision.exact(0), actual: 1 });
        expect(await store.readStream(target)).toHaveLength(1);
      });

      test('a guard on a stream that must not exist yet', async () => {
        const [target, read] = [stream('target'), stream('read')];
        await write(target, [newEvent()], { expectedRevision: ExpectedRevision.noStream, guards: [Guard.stream(read, -1)] });
        await write(read, [newEvent()], { expectedRevision: ExpectedRevision.noStream });
        const refused = await store.append(target, [newEvent()], { expectedRevision: ExpectedRevision.exact(0), guards: [Guard.stream(read, -1)] });
        expect(refused).toMatchObject({ kind: 'conflict', streamId: read, actual: 0 });
      });

      test('a prefix guard fails on any event under the prefix above its position, and only there', async () => {
        const base = stream('profile');
        const [target, under1, under2, beside] = [`${base}/lifecycle`, `${base}/usage/a`, `${base}/usage/b`, `${base}/usage-not`];
        await write(under1, [newEvent()], { expectedRevision: ExpectedRevision.noStream });
        const seen = await store.headPosition();
        // Above the position but outside the prefix (`usage-not` shares the characters, not the prefix).
        await write(beside, [newEvent()], { expectedRevision: ExpectedRevision.noStream });
        await write(target, [newEvent()], { expectedRevision: ExpectedRevision.noStream, prefixGuards: [PrefixGuard.quietAfter(`${base}/usage/`, seen)] });

        const late = await write(under2, [newEvent(), newEvent()], { expectedRevision: ExpectedRevision.noStream });
        const guarded = { expectedRevision: ExpectedRevision.exact(0), prefixGuards: [PrefixGuard.quietAfter(`${base}/usage/`, seen)], commandIds: [randomUUID()] };
        const refused = await store.append(target, [newEvent()], guarded);
        expect(refused).toMatchObject({ kind: 'conflict', streamId: `${base}/usage/`, expected: { kind: 'nothingAfter', position: seen }, actual: late.events[0]?.globalPosition });
        expect(await store.readStream(target)).toHaveLength(1);
        // Refused: its command id is not claimed, and a guard from the latest position holds.
        expect(await store.readCommand(guarded.commandIds[0] as string)).toBeUndefined();
        const now = await store.headPosition();
        await write(target, [newEvent()], { ...guarded, prefixGuards: [PrefixGuard.quietAfter(`${base}/usage/`, now)] });
        expect(await store.readStream(target)).toHaveLength(2);
      });

      atomicTest(atomic('a prefix guard and a write under its prefix, issued together: the guarded append never lands after the write'), async () => {
        for (let round = 0; round < 10; round++) {
          const base = stream(`race${round}`);
          const seen = await store.headPosition();
          const [guarded, underPrefix] = await Promise.all([
            store.append(`${base}/lifecycle`, [newEvent()], { expectedRevision: ExpectedRevision.noStream, prefixGuards: [PrefixGuard.quietAfter(`${base}/usage/`, seen)] }),
            write(`${base}/usage/a`, [newEvent()], { expectedRevision: ExpectedRevision.noStream }),
          ]);
          const last = (underPrefix.events[0] as RecordedEvent).globalPosition;
          expect(guarded.kind === 'conflict' ? guarded.actual : guarded.kind === 'appended' && (guarded.events[0] as RecordedEvent).globalPosition < last).toBe(
            guarded.kind === 'conflict' ? last : true,
          );
        }
      });

      test('an append refused by a guard claims none of its command ids', async () => {
        const [target, read] = [stream('target'), stream('read')];
        await write(read, [newEvent()], { expectedRevision: ExpectedRevision.noStream });
        const commandId = randomUUID();
        const refused = await store.append(target, [newEvent()], { expectedRevision: ExpectedRevision.any, commandIds: [commandId], guards: [Guard.stream(read, -1)] });
        expect(refused.kind).toBe('conflict');
        expect(await store.readCommand(commandId)).toBeUndefined();
        await write(target, [newEvent()], { expectedRevision: ExpectedRevision.any, commandIds: [commandId], guards: [Guard.stream(read, 0)] });
      });

      atomicTest(atomic('write skew is impossible: of two appends each guarding the stream the other writes, at most one commits'), async () => {
        for (let round = 0; round < 10; round++) {
          const [a, b] = [stream('a'), stream('b')];
          const outcomes = await Promise.all([
            store.append(a, [newEvent()], { expectedRevision: ExpectedRevision.noStream, guards: [Guard.stream(b, -1)] }),
            store.append(b, [newEvent()], { expectedRevision: ExpectedRevision.noStream, guards: [Guard.stream(a, -1)] }),
          ]);
          const committed = outcomes.filter((o) => o.kind === 'appended').length;
          expect(committed).toBeGreaterThanOrEqual(1);
          expect(committed).toBeLessThanOrEqual(1);
          expect((await store.readStream(a)).length + (await store.readStream(b)).length).toBe(1);
        }
      }, heavyTimeout);
    });

    describe('several command ids per append', () => {
      test('are claimed together: a later append naming any one of them is a duplicate of the first', async () => {
        const [requestId, key] = [randomUUID(), randomUUID()];
        const first = await write(stream('usage'), [newEvent()], { expectedRevision: ExpectedRevision.any, commandIds: [requestId, key] });
        expect(await store.readCommand(requestId)).toEqual(first.events);
        expect(await store.readCommand(key)).toEqual(first.events);

        const reused = await store.append(stream('other'), [newEvent()], { expectedRevision: ExpectedRevision.any, commandIds: [randomUUID(), key] });
        expect(reused).toEqual({ kind: 'duplicate', nextExpectedRevision: first.nextExpectedRevision, events: first.events });
      });

      test('racing appends sharing one of their ids: exactly one is written', async () => {
        const key = randomUUID();
        const ids = [stream('u1'), stream('u2'), stream('u3'), stream('u4')];
        const results = await Promise.all(
          ids.map((id) => store.append(id, [newEvent()], { expectedRevision: ExpectedRevision.noStream, commandIds: [randomUUID(), key] })),
        );
        expect(results.filter((r) => r.kind === 'appended')).toHaveLength(1);
        const stored = (await Promise.all(ids.map((id) => store.readStream(id)))).flat();
        expect(stored).toHaveLength(1);
        results.forEach((r) => expect(r).toMatchObject({ events: stored }));
      });
    });

    describe('concurrency', () => {
      // Outcomes that do not depend on the order a server happens to process them in.
      test('appends issued together succeed or fail each on their own', async () => {
        const [a, b] = [stream('a'), stream('b')];
        const outcomes = await Promise.all([
          store.append(a, [newEvent()], { expectedRevision: ExpectedRevision.noStream }),
          store.append(a, [newEvent()], { expectedRevision: ExpectedRevision.noStream }),
          store.append(b, [newEvent()], { expectedRevision: ExpectedRevision.exact(5) }),
          store.append(b, [newEvent()], { expectedRevision: ExpectedRevision.noStream }),
        ]);
        expect(outcomes.map((o) => o.kind).sort()).toEqual(['appended', 'appended', 'conflict', 'conflict']);
        expect(await store.readStream(a)).toHaveLength(1);
        expect(await store.readStream(b)).toHaveLength(1);
      });

      test('20 writers racing on one stream: every acknowledged append once, revisions without gaps', async () => {
        const id = stream('contended');
        const acknowledged = (await Promise.all(Array.from({ length: 20 }, () => appendWithRetry(store, id, 3)))).flat();

        const stored = await store.readStream(id);
        expect(stored.map((e) => e.position)).toEqual(Array.from({ length: 60 }, (_, i) => i));
        expect(stored.map((e) => e.eventId).sort()).toEqual([...acknowledged].sort());
      }, heavyTimeout);

      test('20 writers on 20 streams keep each stream in order within the global order', async () => {
        const ids = Array.from({ length: 20 }, (_, w) => stream(`writer${w}`));
        await Promise.all(
          ids.map(async (id) => {
            for (let i = 0; i < 5; i++) await write(id, [newEvent({ i })], { expectedRevision: ExpectedRevision.after(i - 1) });
          }),
        );

        const all = await readOwn(ids);
        expect(all).toHaveLength(100);
        expectStrictlyIncreasing(all.map((e) => e.globalPosition));
        for (const id of ids) {
          const own = all.filter((e) => e.streamId === id);
          expect(own.map((e) => [e.position, e.data])).toEqual([0, 1, 2, 3, 4].map((i) => [i, { i }]));
        }
      }, heavyTimeout);
    });

    describe('the hash chain (billing-rules F1)', () => {
      /** The chain recomputed over the whole log; each stored hash must be it, and the head its last. */
      const expectChainHolds = async (): Promise<void> => {
        let head = EMPTY_HEAD;
        for await (const e of store.readAll()) {
          head = { position: e.globalPosition, chainHash: chainHash(head.chainHash, e) };
          if (e.chainHash !== undefined && (e.chainHash !== head.chainHash || e.chainAlgorithm !== CHAIN_ALGORITHM)) {
            throw new Error(`event at ${e.globalPosition} stores ${e.chainAlgorithm}:${e.chainHash}, the chain gives ${head.chainHash}`);
          }
        }
        expect(await store.logHead()).toEqual(head);
      };

      test('every event carries the chain over the log before it, and the head is the last', async () => {
        const id = stream('chained');
        const result = await write(id, [newEvent({ amount: '1.50', nested: { b: [1, 'x'], a: null } }), newEvent({ occurredAt: '2026-01-01T00:00:00.000Z' })], {
          expectedRevision: ExpectedRevision.noStream,
        });
        const last = result.events[1] as RecordedEvent;
        expect(await store.logHead()).toEqual({ position: last.globalPosition, chainHash: last.chainHash ?? expect.stringMatching(/^[0-9a-f]{64}$/) });
        await expectChainHolds();
      });

      test('appends racing from many callers make one chain in the global order', async () => {
        const ids = Array.from({ length: 10 }, (_, w) => stream(`chain${w}`));
        await Promise.all(
          ids.map(async (id) => {
            for (let i = 0; i < 4; i++) await write(id, [newEvent({ i }), newEvent({ i })], { expectedRevision: ExpectedRevision.after(2 * i - 1) });
          }),
        );
        await expectChainHolds();
      }, heavyTimeout);
    });

    test('a 100,000-event stream reads back complete and in order', async () => {
      const id = stream('long');
      const total = 100_000;
      const batch = 2_000;
      for (let from = 0; from < total; from += batch) {
        const events = Array.from({ length: batch }, (_, i) => newEvent({ i: from + i }));
        await write(id, events, { expectedRevision: ExpectedRevision.after(from - 1) });
      }

      const stored = await store.readStream(id);
      expect(stored).toHaveLength(total);
      stored.forEach((e, i) => {
        // One expect per event would dominate the run time: fail with the first mismatch instead.
        if (e.position !== i || (e.data as { i: number }).i !== i) {
          throw new Error(`event ${i} read as ${e.position}: ${JSON.stringify(e.data)}`);
        }
      });

      let expected = 0;
      let previous = start;
      for await (const e of store.readAll({ after: start })) {
        if (e.streamId !== id) continue;
        if (e.position !== expected || e.globalPosition <= previous) {
          throw new Error(`readAll gave ${e.position} at ${e.globalPosition} after ${expected - 1} at ${previous}`);
        }
        previous = e.globalPosition;
        expected++;
      }
      expect(expected).toBe(total);
    }, heavyTimeout);
  });
};
