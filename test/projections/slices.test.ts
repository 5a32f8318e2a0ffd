import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { filterSliced, inSlices, mapOfSliced, PAUSE_EVERY, Sliced, sortSliced, whole } from '../../src/projections/slices';
import { loopTurns } from '../support/loopTurns';

describe('sortSliced', () => {
  test('sorts as the native stable sort does, ties in their order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.nat()), { maxLength: 5000 }), (items) => {
        const byKey = (a: [number, number], b: [number, number]) => a[0] - b[0];
        expect(whole(sortSliced(items, byKey))).toEqual([...items].sort(byKey));
      }),
      { numRuns: 60 },
    );
  });

  test('pauses while it merges: no stretch between two pauses compares more than a run sort does', () => {
    const items = Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 50_021);
    let compares = 0;
    let most = 0;
    const work = sortSliced(items, (a, b) => {
      compares += 1;
      return a - b;
    });
    let step = work.next();
    for (; !step.done; step = work.next()) {
      most = Math.max(most, compares);
      compares = 0;
    }
    expect(step.value).toEqual([...items].sort((a, b) => a - b));
    // A run of 2,048 sorted natively compares about n log n times, a merge step at most 64
    // times; the whole sorted at once would compare some 800,000 times.
    expect(most).toBeLessThan(2048 * 12);
  });
});

/** The most items `work` consumed from its input between two pauses, and its result. */
const longestStretch = <T>(work: (items: Iterable<number>) => Sliced<T>, items: ReadonlyArray<number>): { most: number; value: T } => {
  let taken = 0;
  let most = 0;
  const counted = function* () {
    for (const i of items) {
      taken += 1;
      yield i;
    }
  };
  const gen = work(counted());
  let step = gen.next();
  for (; !step.done; step = gen.next()) {
    most = Math.max(most, taken);
    taken = 0;
  }
  return { most: Math.max(most, taken), value: step.value };
};

describe('mapOfSliced and filterSliced', () => {
  test('give what new Map and Array.prototype.filter give (a repeated key: the last wins)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.nat()), { maxLength: 2000 }), (entries) => {
        expect(whole(mapOfSliced(entries))).toEqual(new Map(entries));
        expect(whole(filterSliced(entries, ([k]) => k % 3 === 0))).toEqual(entries.filter(([k]) => k % 3 === 0));
      }),
      { numRuns: 60 },
    );
  });

  test('pause every PAUSE_EVERY items of a big profile, not once at the end', () => {
    const items = Array.from({ length: 50_000 }, (_, i) => i);
    const mapped = longestStretch((xs) => mapOfSliced((function* () { for (const x of xs) yield [x, x] as const; })()), items);
    expect(mapped.value.size).toBe(50_000);
    expect(mapped.most).toBeLessThanOrEqual(PAUSE_EVERY);
    const kept = longestStretch((xs) => filterSliced(xs, (x) => x % 2 === 0), items);
    expect(kept.value).toHaveLength(25_000);
    expect(kept.most).toBeLessThanOrEqual(PAUSE_EVERY);
  });
});

describe('inSlices: works at once share the turns of the event loop', () => {
  /** Holds the loop for `ms`, as a step of a big fold does. */
  const hold = (ms: number) => {
    for (const end = performance.now() + ms; performance.now() < end; );
  };
  /** A work of `steps` steps of `stepMs` each, pausing after each, recording the loop turn (`turn()`) each step ran in. */
  function* busy(steps: number, stepMs: number, turn: () => number, ran: number[]): Sliced<number> {
    for (let i = 0; i < steps; i++) {
      hold(stepMs);
      ran.push(turn());
      yield;
    }
    return steps;
  }

  test('two works resumed in one turn hold the loop for one slice between them, in turns, neither waiting for the other to end', async () => {
    const loop = loopTurns();
    const [a, b]: [number[], number[]] = [[], []];
    const sliceMs = 4;
    const done = await Promise.all([inSlices(busy(30, 1, loop.current, a), sliceMs), inSlices(busy(30, 1, loop.current, b), sliceMs)]);
    loop.stop();
    expect(done).toEqual([30, 30]);
    // Each started in the caller's turn (turn 0) on its own clock; in every later turn, steps of 1 ms
    // stop once the turn's 4 ms are spent: 4 at most, where a slice each would make 8.
    const perTurn = new Map<number, number>();
    for (const t of [...a, ...b].filter((t) => t > 0)) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(sliceMs + 1);
    // Round robin: each ran while the other still had steps to go.
    const later = (xs: number[]) => xs.filter((t) => t > 0);
    expect(Math.min(...later(b))).toBeLessThan(Math.max(...a));
    expect(Math.min(...later(a))).toBeLessThan(Math.max(...b));
  });
});
