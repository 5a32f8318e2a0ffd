import * as E from 'fp-ts/Either';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandHandler } from '../../src/commands/commandHandler';
import { EventStore } from '../../src/store/eventStore';
import { SqliteEventStore } from '../../src/store/sqliteEventStore';

/**
 * Commands one at a time here: on SQLite commands on one stream sent together are decided in groups
 * (decideInOrder), after one look a group, which costs a pragma there. The first decision of a command trusts what its process knows of the streams it reads, without
 * asking the store whether another process wrote since (a round trip per command on PostgreSQL):
 * an acceptance is checked by its append, a refusal is answered only after a fresh look.
 */

const dir = mkdtempSync(join(tmpdir(), 'ledger-fresh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = '2026-04-15T12:00:00.000Z';

/** The store, counting its looks for other writers. */
const counting = (store: EventStore): { store: EventStore; looks: () => number } => {
  let looks = 0;
  const wrapped = new Proxy(store, {
    get(target, prop) {
      if (prop === 'streamEnds') {
        return () => {
          looks += 1;
          return target.streamEnds?.();
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: wrapped, looks: () => looks };
};

test('two processes on one file: no look for others before an acceptance; a refusal on stale knowledge is decided again on a fresh look', async () => {
  const file = join(dir, 'ledger.db');
  const a = counting(new SqliteEventStore(file));
  const b = new SqliteEventStore(file);
  const [nodeA, nodeB] = [a.store, b].map((store) => new CommandHandler({ store, clock: () => new Date(NOW), backoff: async () => undefined }));
  try {
    const ok = async (handler: CommandHandler | undefined, command: object) => expect(await handler?.execute(command)).toMatchObject(E.right({ duplicate: false }));
    await ok(nodeA, { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1' });
    await ok(nodeA, { type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO' });
    const before = a.looks();
    await ok(nodeA, { type: 'Upgrade', profileId: 'p-1', userId: 'alice', tier: 'POWER' });
    expect(a.looks()).toBe(before);

    // Node B subscribes bob: node A's knowledge of the lifecycle is stale, and would refuse bob's upgrade (NOT_SUBSCRIBED).
    await ok(nodeB, { type: 'Subscribe', profileId: 'p-1', userId: 'bob', tier: 'PRO' });
    await ok(nodeA, { type: 'Upgrade', profileId: 'p-1', userId: 'bob', tier: 'POWER' });
    expect(a.looks()).toBeGreaterThan(before);

    // And a refusal that stands is still given, after its fresh look.
    expect(await nodeA?.execute({ type: 'Upgrade', profileId: 'p-1', userId: 'carol', tier: 'POWER' })).toMatchObject(E.left({ code: 'NOT_SUBSCRIBED' }));
  } finally {
    await Promise.all([a.store.close(), b.close()]);
  }
});
