import { Recorded } from '../../src/domain/events';
import { LedgerView } from '../../src/projections/ledgerView';
import { ViewSnapshot } from '../../src/projections/viewSnapshot';
import { profileCreated } from '../support/fixtures';

let nextGlobal = 0;
const at = (position: number, streamId: string, event: Recorded['event']): Recorded => ({
  ref: { streamId, position, eventId: `ev-${nextGlobal}`, type: event.type },
  globalPosition: nextGlobal++,
  event,
});
const USAGE = 'profile/p-1/usage/alice/2026-04';
const consumed = (position: number, credits: string, day: number): Recorded =>
  at(position, USAGE, { type: 'CreditsConsumed', data: { profileId: 'p-1', userId: 'alice', credits, requestId: `r-${position}`, occurredAt: `2026-04-${String(day).padStart(2, '0')}T00:00:00.000Z` } });

describe("the read model's usage aggregates", () => {
  const history: Recorded[] = [
    at(0, 'profiles', profileCreated('p-1', '2026-03-01T00:00:00.000Z')),
    at(0, 'profile/p-1/lifecycle', { type: 'UserSubscribed', data: { profileId: 'p-1', userId: 'alice', groupId: null, tier: 'PRO', occurredAt: '2026-03-02T00:00:00.000Z' } }),
    consumed(0, '10.50', 3),
    consumed(1, '0.25', 4),
  ];
  const later = [consumed(2, '1', 5), consumed(3, '2', 6)];
  const usageOf = (view: LedgerView) => view.statementInput('p-1', '2026-04', '2026-04-10T00:00:00.000Z')?.usage.get('alice');

  test('are kept as events arrive: sum, count, latest instant, ranges', () => {
    const view = new LedgerView();
    for (const r of [...history, ...later]) view.apply(r);
    const u = usageOf(view);
    expect([u?.credits.toFixed(2), u?.count, u?.lastAt]).toEqual(['13.75', 4, '2026-04-06T00:00:00.000Z']);
    expect(u?.ranges).toEqual([{ streamId: USAGE, fromPosition: 0, toPosition: 3, count: 4 }]);
  });

  test('restored from a snapshot (as JSON), they go on as if replayed', () => {
    const replayed = new LedgerView();
    const saved = new LedgerView();
    for (const r of history) {
      replayed.apply(r);
      saved.apply(r);
    }
    const decoded = ViewSnapshot.decode(JSON.parse(JSON.stringify(saved.snapshot())));
    if (decoded._tag === 'Left') throw new Error('the snapshot does not decode');
    const restored = LedgerView.restore(decoded.right);
    for (const r of later) {
      replayed.apply(r);
      restored.apply(r);
    }
    expect(usageOf(restored)).toEqual(usageOf(replayed));
    expect(restored.statementVersion('p-1', '2026-04')).toBe(replayed.statementVersion('p-1', '2026-04'));
  });
});
