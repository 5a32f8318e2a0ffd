import { Dec } from '../../src/domain/money';
import { UsageAggregate } from '../../src/projections/usageOfMonth';

const ref = (streamId: string, position: number) => ({ streamId, position, eventId: `${streamId}#${position}`, type: 'CreditsConsumed' });

/** Feeds consumptions (stream, position, credits, occurredAt) to a fresh aggregate. */
const aggregate = (events: ReadonlyArray<readonly [string, number, string, string]>): UsageAggregate => {
  const [first, ...rest] = events;
  if (first === undefined) throw new Error('no events');
  const a = UsageAggregate.of(ref(first[0], first[1]), new Dec(first[2]), first[3]);
  for (const [s, p, c, at] of rest) a.add(ref(s, p), new Dec(c), at);
  return a;
};

describe("a user-month's usage aggregate", () => {
  test('sums the credits exactly and extends one range while positions follow each other', () => {
    const u = aggregate([
      ['s', 0, '0.10', '2026-04-01T00:00:00.000Z'],
      ['s', 1, '0.20', '2026-04-02T00:00:00.000Z'],
      ['s', 2, '1.05', '2026-04-03T00:00:00.000Z'],
    ]).read();
    expect(u.credits.toFixed(2)).toBe('1.35');
    expect(u.count).toBe(3);
    expect(u.ranges).toEqual([{ streamId: 's', fromPosition: 0, toPosition: 2, count: 3 }]);
  });

  test('starts a new range at a gap, and keeps one set of ranges per stream', () => {
    const u = aggregate([
      ['a', 0, '1', '2026-04-01T00:00:00.000Z'],
      ['b', 0, '1', '2026-04-01T00:00:01.000Z'],
      ['a', 1, '1', '2026-04-01T00:00:02.000Z'],
      ['a', 5, '1', '2026-04-01T00:00:03.000Z'],
      ['b', 1, '1', '2026-04-01T00:00:04.000Z'],
    ]).read();
    expect(u.ranges).toEqual([
      { streamId: 'a', fromPosition: 0, toPosition: 1, count: 2 },
      { streamId: 'b', fromPosition: 0, toPosition: 1, count: 2 },
      { streamId: 'a', fromPosition: 5, toPosition: 5, count: 1 },
    ]);
    expect(u.count).toBe(5);
  });

  test('lastAt is the latest consumption, whatever order they arrived in (T2)', () => {
    const u = aggregate([
      ['s', 0, '1', '2026-04-20T00:00:00.000Z'],
      ['s', 1, '1', '2026-04-10T00:00:00.000Z'],
      ['s', 2, '1', '2026-04-15T00:00:00Z'],
    ]).read();
    expect(u.lastAt).toBe('2026-04-20T00:00:00.000Z');
  });

  test('a read is a copy: later events do not change what was read (a cached statement holds it)', () => {
    const a = aggregate([['s', 0, '1', '2026-04-01T00:00:00.000Z']]);
    const before = a.read();
    a.add(ref('s', 1), new Dec('2'), '2026-04-02T00:00:00.000Z');
    expect(before.ranges).toEqual([{ streamId: 's', fromPosition: 0, toPosition: 0, count: 1 }]);
    expect(before.credits.toFixed(2)).toBe('1.00');
    expect(a.read().ranges).toEqual([{ streamId: 's', fromPosition: 0, toPosition: 1, count: 2 }]);
  });

  test('restored from what it read, it goes on extending the same ranges', () => {
    const original = aggregate([
      ['s', 0, '1', '2026-04-01T00:00:00.000Z'],
      ['s', 1, '1', '2026-04-02T00:00:00.000Z'],
    ]);
    const restored = UsageAggregate.restore(original.read());
    for (const a of [original, restored]) a.add(ref('s', 2), new Dec('0.5'), '2026-04-03T00:00:00.000Z');
    expect(restored.read()).toEqual(original.read());
    expect(restored.read().ranges).toEqual([{ streamId: 's', fromPosition: 0, toPosition: 2, count: 3 }]);
  });
});
