import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { LOAD_PAGE, StreamStateCache } from '../../src/commands/streamStateCache';
import { ExpectedRevision, ReadStreamOptions, RecordedEvent } from '../../src/store/eventStore';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';

/**
 * Issue 18 item 5: a long stream (a big profile's lifecycle after a start) is loaded in pages, the
 * event loop gets turns between them, and concurrent loads of one stream read it once.
 */

const STREAM = 'counter';
/** Two full pages and a part of one. */
const EVENTS = 2 * LOAD_PAGE + LOAD_PAGE / 2;

/** The reference store, counting the reads of streams. */
class CountingStore extends InMemoryEventStore {
  readonly reads: ReadStreamOptions[] = [];

  override readStream(streamId: string, options: ReadStreamOptions = {}): Promise<ReadonlyArray<RecordedEvent>> {
    this.reads.push(options);
    return super.readStream(streamId, options);
  }
}

/** A store holding `EVENTS` events of one stream, each numbered. */
const counterStore = async (): Promise<CountingStore> => {
  const store = new CountingStore();
  const metadata = { schemaVersion: 1, commandId: 'c', correlationId: 'c', actor: 'test' };
  const events = Array.from({ length: EVENTS }, (_, n) => ({ eventId: `e-${n}`, type: 'Counted', data: { n }, metadata }));
  await store.append(STREAM, events, { expectedRevision: ExpectedRevision.noStream });
  return store;
};

const decode = (e: RecordedEvent): number => (e.data as { n: number }).n;
/** The numbers seen, in order: the state tells whether every event was folded once, in order. */
const evolve = (seen: ReadonlyArray<number>, n: number): ReadonlyArray<number> => [...seen, n];
const everyEvent = Array.from({ length: EVENTS }, (_, n) => n);

describe('stream state cache: long streams', () => {
  test('a load reads pages of at most LOAD_PAGE events and folds every event once, in order', async () => {
    const store = await counterStore();
    const loaded = await new StreamStateCache(store, decode).load(STREAM, evolve, [] as ReadonlyArray<number>);
    expect(loaded).toEqual({ state: everyEvent, revision: EVENTS - 1 });
    expect(store.reads.map((r) => r.fromRevision)).toEqual([0, LOAD_PAGE, 2 * LOAD_PAGE]);
    expect(store.reads.every((r) => r.limit === LOAD_PAGE)).toBe(true);
  });

  test('concurrent loads of one stream read it once, and the later one goes on from the first', async () => {
    const store = await counterStore();
    const cache = new StreamStateCache(store, decode);
    const [a, b] = await Promise.all([cache.load(STREAM, evolve, [] as ReadonlyArray<number>), cache.load(STREAM, evolve, [] as ReadonlyArray<number>)]);
    expect(a).toEqual({ state: everyEvent, revision: EVENTS - 1 });
    expect(b.state).toBe(a.state);
    // The first load's three pages, then the second's look past the end.
    expect(store.reads.map((r) => r.fromRevision)).toEqual([0, LOAD_PAGE, 2 * LOAD_PAGE, EVENTS]);
  });

  test('a load that holds the event loop for longer than a slice lets others in between pages', async () => {
    const store = await counterStore();
    // Each event holds the loop 0.1 ms: a page of LOAD_PAGE holds it well past a slice (8 ms).
    const slow = (seen: ReadonlyArray<number>, n: number) => {
      const until = performance.now() + 0.1;
      while (performance.now() < until);
      return evolve(seen, n);
    };
    let loaded = false;
    const load = new StreamStateCache(store, decode).load(STREAM, slow, [] as ReadonlyArray<number>).then((l) => {
      loaded = true;
      return l;
    });
    await nextTurn();
    expect(loaded).toBe(false);
    expect((await load).revision).toBe(EVENTS - 1);
  });
});
