import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { LedgerService } from '../../src/app/ledgerService';
import { FileSnapshotStore } from '../../src/app/snapshotStore';
import { EventStore, ReadAllOptions, RecordedEvent } from '../../src/store/eventStore';
import { SqliteEventStore } from '../../src/store/sqliteEventStore';

/** Counts what readAll yields, to tell a catch-up from a full replay. */
const counting = (store: EventStore) => {
  const counter = { read: 0 };
  const wrapped: EventStore = Object.assign(Object.create(store) as EventStore, {
    async *readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
      for await (const e of store.readAll(options)) {
        counter.read += 1;
        yield e;
      }
    },
  });
  return { store: wrapped, counter };
};

const clock = () => new Date('2026-04-15T00:00:00.000Z');
const ok = async (ledger: LedgerService, command: object) => expect(E.isRight(await ledger.execute(command))).toBe(true);

describe('read model snapshot with its checkpoint', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-snapshot-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const seed = async (file: string, snapshots: FileSnapshotStore) => {
    const ledger = await new LedgerService(new SqliteEventStore(file), { clock, snapshots }).open();
    await ok(ledger, { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1', occurredAt: '2026-04-01T00:00:00Z' });
    await ok(ledger, { type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO', occurredAt: '2026-04-01T01:00:00Z' });
    await ok(ledger, { type: 'SetOverage', profileId: 'p-1', enabled: true, occurredAt: '2026-04-01T02:00:00Z' });
    await ok(ledger, { type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '1200.50', requestId: 'r-1', occurredAt: '2026-04-02T00:00:00Z' });
    const statement = await ledger.statement('p-1', '2026-04');
    await ledger.close();
    return statement;
  };

  test('a restart resumes from the snapshot and reads only what came after it', async () => {
    const file = path.join(dir, 'ledger.db');
    const snapshots = new FileSnapshotStore(`${file}.view.json`);
    const before = await seed(file, snapshots);
    expect(before?.total).toBe('28.02');

    const store = new SqliteEventStore(file);
    const { store: watched, counter } = counting(store);
    const reopened = await new LedgerService(watched, { clock, snapshots }).open();
    const readOnOpen = counter.read;
    await ok(reopened, { type: 'Upgrade', profileId: 'p-1', userId: 'alice', tier: 'POWER', occurredAt: '2026-04-03T00:00:00Z' });
    const after = await reopened.statement('p-1', '2026-04');
    await reopened.close();

    expect(readOnOpen).toBe(1); // the checkpoint's own event, checked to belong to this log
    expect(after?.users[0]?.lines.map((l) => [l.kind, l.tier, l.amount])).toEqual([
      ['CHARGE', 'PRO', '20.00'],
      ['REFUND', 'PRO', '-20.00'],
      ['CHARGE', 'POWER', '200.00'],
    ]);
  });

  test('a snapshot of another log is ignored and the log is replayed', async () => {
    const snapshots = new FileSnapshotStore(path.join(dir, 'shared.view.json'));
    await seed(path.join(dir, 'first.db'), snapshots);
    const other = path.join(dir, 'second.db');
    const secondStatement = await seed(other, new FileSnapshotStore(path.join(dir, 'unused.view.json')));
    const ledger = await new LedgerService(new SqliteEventStore(other), { clock, snapshots }).open();
    expect(JSON.stringify(await ledger.statement('p-1', '2026-04'))).toBe(JSON.stringify(secondStatement));
    await ledger.close();
  });
});
