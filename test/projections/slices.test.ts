import fc from 'fast-check';
import { filterSliced, mapOfSliced, PAUSE_EVERY, Sliced, sortSliced, whole } from '../../src/projections/slices';

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
