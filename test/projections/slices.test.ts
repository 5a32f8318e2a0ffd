import fc from 'fast-check';
import { sortSliced, whole } from '../../src/projections/slices';

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
