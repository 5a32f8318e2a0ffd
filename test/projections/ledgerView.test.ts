import { Recorded } from '../../src/domain/events';
import { LedgerView } from '../../src/projections/ledgerView';
import { whole } from '../../src/projections/slices';
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
    const decoded = ViewSnapshot.decode(JSON.parse(whole(saved.snapshotText()).join('')));
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

describe('a statement input copied in slices', () => {
  const USERS = 300;
  const userId = (i: number) => `u-${String(i).padStart(3, '0')}`;
  const usageStream = (user: string) => `profile/p-2/usage/${user}/2026-04`;
  const positions = new Map<string, number>();
  const consumption = (user: string, credits: string): Recorded => {
    const position = positions.get(user) ?? 0;
    positions.set(user, position + 1);
    return at(position, usageStream(user), {
      type: 'CreditsConsumed',
      data: { profileId: 'p-2', userId: user, credits, requestId: `${user}-${position}`, occurredAt: '2026-04-03T00:00:00.000Z' },
    });
  };
  const month = (view: LedgerView) => view.statementInput('p-2', '2026-04', '2026-04-10T00:00:00.000Z');

  test('is the view as it stood when the copy began, whatever the view applies between its slices', () => {
    const view = new LedgerView();
    view.apply(at(0, 'profiles', profileCreated('p-2', '2026-03-01T00:00:00.000Z')));
    for (let i = 0; i < USERS; i++) view.apply(consumption(userId(i), '1'));
    const expected = month(view);
    const copy = view.readStatementInput('p-2', '2026-04', '2026-04-10T00:00:00.000Z');
    let slices = 0;
    for (let step = copy.next(); ; step = copy.next(), slices++) {
      if (step.done) {
        expect(step.value?.usage).toEqual(expected?.usage);
        break;
      }
      // Between two slices: a user copied already, one not copied yet (changed twice), and a new one.
      view.apply(consumption(userId(0), '5'));
      view.apply(consumption(userId(USERS - 1), '7'));
      view.apply(consumption(userId(USERS - 1), '7'));
      view.apply(consumption(`new-${slices}`, '9'));
    }
    expect(slices).toBeGreaterThan(1);
    // The view itself moved on, and a copy taken now sees all of it.
    const now = month(view);
    expect(now?.usage.get(userId(USERS - 1))?.credits.toFixed()).toBe(String(1 + 14 * slices));
    expect(now?.usage.size).toBe(USERS + slices);
  });

  test("the snapshot's text is made in slices and restores the same view", () => {
    const view = new LedgerView();
    view.apply(at(0, 'profiles', profileCreated('p-2', '2026-03-01T00:00:00.000Z')));
    for (let i = 0; i < USERS; i++) view.apply(consumption(userId(i), '2'));
    const text = view.snapshotText();
    let slices = 0;
    let step = text.next();
    for (; !step.done; step = text.next()) slices += 1;
    expect(slices).toBe(Math.floor(USERS / 64));
    const decoded = ViewSnapshot.decode(JSON.parse(step.value.join('')));
    if (decoded._tag === 'Left') throw new Error('the snapshot does not decode');
    expect(month(LedgerView.restore(decoded.right))).toEqual(month(view));
  });
});
