import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { LedgerService } from '../../src/app/ledgerService';
import { FileSnapshotStore } from '../../src/app/snapshotStore';
import { SqliteEventStore } from '../../src/store/sqliteEventStore';

/**
 * A credited final statement stays what it was sent as (T3, N4): replayed from the log before and
 * after its lines are credited, byte for byte; and the read model's snapshot holds the credit notes.
 */
describe('credit notes and the final statement', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-credit-notes-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const ok = async (ledger: LedgerService, command: object) => {
    const r = await ledger.execute(command, { actor: 'test' });
    if (E.isLeft(r)) throw new Error(r.left.message);
  };

  test('replayed before and after the credits, the credited statement is the same JSON; the credits are on April', async () => {
    const file = path.join(dir, 'ledger.db');
    const snapshots = new FileSnapshotStore(`${file}.view.json`);
    let now = new Date('2026-03-01T09:00:00Z');
    const clock = () => now;
    const writer = await new LedgerService(new SqliteEventStore(file), { clock }).open();
    for (const c of [
      { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1', occurredAt: '2026-03-01T09:00:00Z' },
      { type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO', occurredAt: '2026-03-01T09:05:00Z' },
      { type: 'Upgrade', profileId: 'p-1', userId: 'alice', tier: 'POWER', occurredAt: '2026-03-09T09:00:00Z' },
      { type: 'Subscribe', profileId: 'p-1', userId: 'bob', tier: 'PRO_PLUS', occurredAt: '2026-03-10T09:00:00Z' },
      { type: 'Unsubscribe', profileId: 'p-1', userId: 'bob', occurredAt: '2026-03-20T09:00:00Z' },
    ]) {
      now = new Date(c.occurredAt);
      await ok(writer, c);
    }
    now = new Date('2026-04-02T00:00:00Z');
    const replay = async (fromSnapshot = true) => {
      const ledger = await new LedgerService(new SqliteEventStore(file), { clock, ...(fromSnapshot ? { snapshots } : {}) }).open();
      const march = JSON.stringify(await ledger.statement('p-1', '2026-03'));
      const april = await ledger.statement('p-1', '2026-04');
      await ledger.close();
      return { march, april };
    };
    const before = await replay();
    expect(JSON.parse(before.march).status).toBe('final');

    await ok(writer, { type: 'IssueCredit', profileId: 'p-1', lineId: 'p-1~2026-03~alice~3', amount: '150', reason: 'Power by mistake' });
    await ok(writer, { type: 'IssueCredit', profileId: 'p-1', lineId: 'p-1~2026-03~bob~1', amount: '40.00', reason: 'never used it' });
    await writer.close();

    // The second replay restores the snapshot the first saved, then catches up on the credits.
    const after = await replay();
    expect(after.march).toBe(before.march);
    const fromScratch = await replay(false);
    expect(fromScratch.march).toBe(before.march);
    expect(after.april?.users.map((u) => [u.userId, u.billedTier, u.total, u.lines.map((l) => `${l.kind} ${l.amount} ${l.credits ?? ''}`.trim())])).toEqual([
      ['alice', 'POWER', '50.00', ['CHARGE 200.00', 'CREDIT -150.00 p-1~2026-03~alice~3']],
      ['bob', null, '-40.00', ['CREDIT -40.00 p-1~2026-03~bob~1']],
    ]);
    expect(after.april?.total).toBe('10.00');
    expect(fromScratch.april).toEqual(after.april);
  });
});
