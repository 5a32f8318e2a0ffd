import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/Either';
import { LedgerService } from '../../src/app/ledgerService';
import { FileSnapshotStore, SnapshotStore } from '../../src/app/snapshotStore';
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

  test('a catch-up waits while a snapshot is being saved: the text, made in slices, is of one state of the view', async () => {
    const file = path.join(dir, 'ledger.db');
    let started: () => void = () => undefined;
    let release: () => void = () => undefined;
    let holding = true;
    const saving = new Promise<void>((resolve) => (started = resolve));
    const held: SnapshotStore = {
      name: 'held',
      load: async () => undefined,
      save: async () => {
        if (!holding) return;
        started();
        await new Promise<void>((resolve) => (release = resolve));
      },
    };
    const ledger = await new LedgerService(new SqliteEventStore(file), { clock, snapshots: held }).open();
    await ok(ledger, { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1', occurredAt: '2026-04-01T00:00:00Z' });
    const other = await new LedgerService(new SqliteEventStore(file), { clock }).open();
    const save = ledger.saveSnapshot();
    await saving;
    const before = ledger.eventsApplied;
    await ok(other, { type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO', occurredAt: '2026-04-01T01:00:00Z' });
    const caughtUp = ledger.catchUp();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ledger.eventsApplied).toBe(before);
    holding = false;
    release();
    await save;
    await caughtUp;
    expect(ledger.eventsApplied).toBe(before + 1);
    await other.close();
    await ledger.close();
  });

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

  /** The snapshot file edited in place, its seal line and checkpoint kept. */
  const edit = (file: string, change: (body: { events: Array<{ event: { type: string; data: Record<string, unknown> } }>; usage: Array<{ credits: string }> }) => void) => {
    const [seal, body] = fs.readFileSync(file, 'utf8').split(/\n(.*)/s) as [string, string];
    const snapshot = JSON.parse(body);
    change(snapshot);
    fs.writeFileSync(file, `${seal}\n${JSON.stringify(snapshot)}`);
  };

  const edits: ReadonlyArray<[string, Parameters<typeof edit>[1]]> = [
    ['a credit sum', (s) => ((s.usage[0] as { credits: string }).credits = '1.00')],
    [
      'a tier price',
      (s) => {
        const pro = s.events.find((e) => e.event.type === 'TierDefined' && e.event.data.tier === 'PRO');
        if (pro === undefined) throw new Error('no PRO in the snapshot');
        pro.event.data.price = '99.00';
      },
    ],
  ];

  test.each(edits)('a snapshot with %s edited is discarded with one warning, and the bills come from the log', async (_what, change) => {
    const file = path.join(dir, 'ledger.db');
    const snapshots = new FileSnapshotStore(`${file}.view.json`);
    const truth = await seed(file, snapshots);
    edit(snapshots.file, change);

    const warnings: string[] = [];
    const ledger = await new LedgerService(new SqliteEventStore(file), { clock, snapshots, warn: (m) => warnings.push(m) }).open();
    expect(JSON.stringify(await ledger.statement('p-1', '2026-04'))).toBe(JSON.stringify(truth));
    await ledger.close();
    expect(warnings).toEqual([expect.stringContaining(snapshots.file)]);
    expect(warnings[0]).toContain('seal does not match');

    // The snapshot saved in its place verifies.
    const again: string[] = [];
    const reopened = await new LedgerService(new SqliteEventStore(file), { clock, snapshots, warn: (m) => again.push(m) }).open();
    expect(JSON.stringify(await reopened.statement('p-1', '2026-04'))).toBe(JSON.stringify(truth));
    await reopened.close();
    expect(again).toEqual([]);
  });

  test.each([
    ['a truncated', (text: string) => text.slice(0, Math.floor(text.length / 2))],
    ['an emptied', () => ''],
    ['an unsealed (the JSON of an older version)', (text: string) => text.slice(text.indexOf('\n') + 1)],
  ])('%s snapshot is discarded with one warning naming the file, and the ledger opens', async (_what, damage) => {
    const file = path.join(dir, 'ledger.db');
    const snapshots = new FileSnapshotStore(`${file}.view.json`);
    const truth = await seed(file, snapshots);
    fs.writeFileSync(snapshots.file, damage(fs.readFileSync(snapshots.file, 'utf8')));

    const warnings: string[] = [];
    const ledger = await new LedgerService(new SqliteEventStore(file), { clock, snapshots, warn: (m) => warnings.push(m) }).open();
    expect(JSON.stringify(await ledger.statement('p-1', '2026-04'))).toBe(JSON.stringify(truth));
    await ledger.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(snapshots.file);
  });

  test('temporary files that interrupted saves left behind are removed; a running process\'s is kept', async () => {
    const file = path.join(dir, 'ledger.db');
    const snapshots = new FileSnapshotStore(`${file}.view.json`);
    await seed(file, snapshots);
    // Pids above the kernel's limit (2^22 on Linux) belong to no process.
    const dead = `${snapshots.file}.${2 ** 22 + 17}.tmp`;
    const running = `${snapshots.file}.${process.ppid}.tmp`;
    const unrelated = path.join(dir, 'other.json.123.tmp');
    for (const f of [dead, running, unrelated]) fs.writeFileSync(f, '{"half": ');

    const ledger = await new LedgerService(new SqliteEventStore(file), { clock, snapshots }).open();
    await ledger.close();
    expect([dead, running, unrelated].map((f) => fs.existsSync(f))).toEqual([false, true, true]);
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
