import * as E from 'fp-ts/Either';
import { LedgerService } from '../../src/app/ledgerService';
import { EventStore, RecordedEvent } from '../../src/store/eventStore';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';

/**
 * `GET /v1/catalog` on a ledger whose read model lags another process's writes: it answers from the
 * catalog stream's state, without waiting for the view to catch up on the others (a burst of usage),
 * and still sees a catalog change the other process made.
 */
describe('the catalog while the read model lags', () => {
  const now = new Date('2026-05-10T00:00:00.000Z');
  const shared = new InMemoryEventStore();
  /** Closed: the reader's catch-up waits at its first read of the log, as a long one would. */
  let gate: Promise<void> = Promise.resolve();
  let open = () => undefined as void;
  let waitingReads = 0;
  const close = () => {
    gate = new Promise((resolve) => (open = resolve));
  };
  const gated = new Proxy<EventStore>(shared, {
    get(target, key) {
      if (key === 'readAll')
        return async function* (...args: Parameters<EventStore['readAll']>): AsyncIterable<RecordedEvent> {
          waitingReads += 1;
          await gate;
          waitingReads -= 1;
          yield* target.readAll(...args);
        };
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  let writer: LedgerService;
  let reader: LedgerService;
  const ok = async (command: object) => expect(E.isRight(await writer.execute(command))).toBe(true);
  /** Lets every ready job run: a catch-up that was not gated would end meanwhile. */
  const turns = async (n: number) => {
    for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  beforeAll(async () => {
    writer = await new LedgerService(shared, { clock: () => now }).open();
    reader = await new LedgerService(gated, { clock: () => now }).open();
  });

  test('usage written elsewhere: the catalog is answered with the catch-up still waiting', async () => {
    const before = await reader.catalog('2026-05');
    await ok({ type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1', occurredAt: '2026-05-01T00:00:00Z' });
    await ok({ type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO', occurredAt: '2026-05-02T00:00:00Z' });
    await ok({ type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '1.5', requestId: 'r-1', occurredAt: '2026-05-03T00:00:00Z' });
    close();
    // A statement asks for the catch-up, which waits at the gate.
    const statement = reader.statement('p-1', '2026-05');
    await turns(5);
    expect(waitingReads).toBe(1);
    const answer = await Promise.race([reader.catalog('2026-05'), turns(50).then(() => 'still waiting')]);
    open();
    expect(answer).toEqual(before);
    expect((await statement)?.users.map((u) => u.userId)).toEqual(['alice']);
  });

  test('a catalog change written elsewhere: the answer waits for it to be read, and shows it', async () => {
    await ok({ type: 'DefineTier', tier: 'PRO', name: 'Pro', credits: '1000', price: '300.00', fromMonth: '2026-06', occurredAt: '2026-05-04T00:00:00Z' });
    close();
    let answered = false;
    const offer = reader.catalog('2026-06').then((o) => {
      answered = true;
      return o;
    });
    await turns(5);
    expect(waitingReads).toBe(1);
    expect(answered).toBe(false);
    open();
    expect((await offer).tiers.find((t) => t.tier === 'PRO')?.price).toBe('300.00');
  });
});
