import { randomUUID } from 'node:crypto';
import { citedEventsPage, citedSpans, listedEvents, pageOf } from '../../src/app/citedEvents';
import { InvariantViolation } from '../../src/domain/invariant';
import { ExpectedRevision } from '../../src/store/eventStore';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';

const spans = [
  { streamId: 'a', fromPosition: 3, count: 1 },
  { streamId: 'u', fromPosition: 0, count: 5 },
  { streamId: 'u', fromPosition: 10, count: 2 },
];

describe('the pages of the events a line cites', () => {
  test.each([
    [0, 2, [{ streamId: 'a', fromPosition: 3, count: 1 }, { streamId: 'u', fromPosition: 0, count: 1 }]],
    [2, 3, [{ streamId: 'u', fromPosition: 1, count: 3 }]],
    [4, 10, [{ streamId: 'u', fromPosition: 3, count: 2 }, { streamId: 'u', fromPosition: 10, count: 2 }]],
    [7, 5, [{ streamId: 'u', fromPosition: 11, count: 1 }]],
    [8, 5, []],
  ])('after %d, limit %d', (after, limit, expected) => expect(pageOf(spans, after, limit)).toEqual(expected));

  test('all pages together are every cited event once, in order', () => {
    for (const limit of [1, 2, 3, 7, 8, 100]) {
      const positions: string[] = [];
      for (let after = 0; after < 8; after += limit) {
        for (const s of pageOf(spans, after, limit)) for (let i = 0; i < s.count; i++) positions.push(`${s.streamId}@${s.fromPosition + i}`);
      }
      expect(positions).toEqual(['a@3', 'u@0', 'u@1', 'u@2', 'u@3', 'u@4', 'u@10', 'u@11']);
    }
  });

  test("a line's listed events come first, then its usage ranges", () => {
    const line = { events: [{ streamId: 'c', position: 2, eventId: 'x', type: 'TierDefined' }], usage: [{ streamId: 'u', fromPosition: 4, toPosition: 6, count: 3 }] };
    expect(citedSpans(line)).toEqual([
      { streamId: 'c', fromPosition: 2, count: 1 },
      { streamId: 'u', fromPosition: 4, count: 3 },
    ]);
  });

  describe('read from a store', () => {
    const store = new InMemoryEventStore();
    const line = { events: [], usage: [{ streamId: 'u', fromPosition: 0, toPosition: 24, count: 25 }] };
    const read = (after: number, limit: number) => citedEventsPage((id, o) => store.readStream(id, o), line, after, limit);
    beforeAll(async () => {
      const event = (n: number) => ({ eventId: randomUUID(), type: 'CreditsConsumed', data: { requestId: `r-${n}` }, metadata: { schemaVersion: 1 } });
      await store.append('u', Array.from({ length: 25 }, (_, n) => event(n)), { expectedRevision: ExpectedRevision.noStream });
    });

    test('paged with next until the end, every event once', async () => {
      const seen: string[] = [];
      let after: number | undefined = 0;
      while (after !== undefined) {
        const page = await read(after, 10);
        seen.push(...page.events.map((e) => (e.data as { requestId: string }).requestId));
        after = page.next;
      }
      expect(seen).toEqual(Array.from({ length: 25 }, (_, n) => `r-${n}`));
    });

    test("problem 5: a line's listed events come in log order, though the line lists its price last", async () => {
      const catalogEvent = { eventId: randomUUID(), type: 'TierDefined', data: {}, metadata: { schemaVersion: 1 } };
      const subscribe = { eventId: randomUUID(), type: 'UserSubscribed', data: {}, metadata: { schemaVersion: 1 } };
      const ordered = new InMemoryEventStore();
      await ordered.append('catalog', [catalogEvent], { expectedRevision: ExpectedRevision.noStream });
      await ordered.append('lifecycle', [subscribe], { expectedRevision: ExpectedRevision.noStream });
      const charge = {
        events: [
          { streamId: 'lifecycle', position: 0, eventId: subscribe.eventId, type: 'UserSubscribed' },
          { streamId: 'catalog', position: 0, eventId: catalogEvent.eventId, type: 'TierDefined' },
        ],
      };
      const types = async (after: number, limit: number) => (await citedEventsPage((id, o) => ordered.readStream(id, o), charge, after, limit)).events.map((e) => e.type);
      expect(await types(0, 10)).toEqual(['TierDefined', 'UserSubscribed']);
      expect(await types(1, 10)).toEqual(['UserSubscribed']);
      expect((await listedEvents((id, o) => ordered.readStream(id, o), charge)).map((e) => e.globalPosition)).toEqual([0, 1]);
    });

    test('past the end: no events, no next', async () => expect(await read(25, 10)).toEqual({ events: [], next: undefined }));

    test('a cited event missing from its stream is an InvariantViolation (L4), not a short page', async () => {
      const longer = { events: [], usage: [{ streamId: 'u', fromPosition: 20, toPosition: 29, count: 10 }] };
      await expect(citedEventsPage((id, o) => store.readStream(id, o), longer, 0, 10)).rejects.toThrow(InvariantViolation);
    });
  });
});
