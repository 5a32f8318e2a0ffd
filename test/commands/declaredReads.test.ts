import * as E from 'fp-ts/Either';
import { CommandHandler } from '../../src/commands/commandHandler';
import { Command } from '../../src/domain/commands';
import { Streams } from '../../src/domain/events';
import { guardedStreams, readsOf } from '../../src/domain/reads';
import { AppendOptions, EventStore, NewEvent } from '../../src/store/eventStore';
import { InMemoryEventStore } from '../../src/store/inMemoryEventStore';

/**
 * Issue 16 item 3: each command declares its reads in the domain (T2's table, domain/reads.ts), and
 * the shell appends to the declared stream and guards exactly the declared streams, no more, no fewer.
 */

const NOW = '2026-04-30T23:58:00.000Z';

/** The store, recording every append's stream and options. */
const recording = (store: EventStore, appends: { streamId: string; options: AppendOptions }[]): EventStore =>
  new Proxy(store, {
    get(target, prop) {
      if (prop === 'append') {
        return (streamId: string, events: ReadonlyArray<NewEvent>, options: AppendOptions) => {
          appends.push({ streamId, options });
          return target.append(streamId, events, options);
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

describe('declared reads (domain/reads.ts)', () => {
  test("T2's table: what each command writes and guards", () => {
    const at = '2026-04-30T23:58:00.000Z';
    const subscribe: Command = { type: 'Subscribe', profileId: 'p-1', userId: 'alice', groupId: null, tier: 'PRO', occurredAt: at };
    expect(readsOf(subscribe).writes).toBe('profile/p-1/lifecycle');
    expect(guardedStreams(readsOf(subscribe))).toEqual(['catalog', 'profile/p-1/usage/alice/2026-04', 'profile/p-1/usage/alice/2026-05']);
    const overage: Command = { type: 'SetOverage', profileId: 'p-1', enabled: true, occurredAt: at };
    // No read grows with the profile's users: the latest consumption is one value, guarded by a prefix.
    expect(guardedStreams(readsOf(overage))).toEqual(['catalog']);
    const consume: Command = { type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '1', requestId: 'r-1', occurredAt: '2026-05-01T00:02:00.000Z' };
    expect(readsOf(consume)).toMatchObject({ writes: 'profile/p-1/usage/alice/2026-05', requestId: 'ConsumeCredits/p-1/r-1' });
    expect(guardedStreams(readsOf(consume))).toEqual(['catalog', 'profile/p-1/lifecycle']);
    const credit: Command = { type: 'IssueCredit', profileId: 'p-1', lineId: 'p-1~2026-03~alice~1', amount: '1', reason: 'goodwill', occurredAt: at };
    expect(readsOf(credit).writes).toBe('profile/p-1/credits');
    expect(guardedStreams(readsOf(credit))).toEqual(['catalog', 'profile/p-1/lifecycle', 'profile/p-1/usage/alice/2026-03']);
    expect(guardedStreams(readsOf({ type: 'CreateProfile', profileId: 'p-2', accountId: '111122223333', region: 'us-east-1', occurredAt: at }))).toEqual([]);
  });

  test('the shell appends to the declared stream and guards exactly the declared streams', async () => {
    const appends: { streamId: string; options: AppendOptions }[] = [];
    const handler = new CommandHandler({ store: recording(new InMemoryEventStore(), appends), clock: () => new Date(NOW) });
    const commands: ReadonlyArray<Command> = [
      { type: 'CreateProfile', profileId: 'p-1', accountId: '111122223333', region: 'us-east-1', occurredAt: '2026-04-01T00:00:00.000Z' },
      { type: 'Subscribe', profileId: 'p-1', userId: 'alice', groupId: null, tier: 'POWER', occurredAt: '2026-04-02T00:00:00.000Z' },
      { type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '5', requestId: 'r-1', occurredAt: '2026-04-30T23:57:00.000Z' },
      // Dated in May's lead: it reads and writes May's stream.
      { type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '5', requestId: 'r-2', occurredAt: '2026-05-01T00:01:00.000Z' },
      { type: 'Downgrade', profileId: 'p-1', userId: 'alice', groupId: null, tier: 'PRO', occurredAt: '2026-05-01T00:02:00.000Z' },
      { type: 'SetOverage', profileId: 'p-1', enabled: true, occurredAt: '2026-05-01T00:02:00.000Z' },
    ];
    for (const command of commands) {
      const { groupId: _group, ...input } = command as Command & { groupId?: string | null };
      expect(await handler.execute(input)).toMatchObject(E.right({ duplicate: false }));
      const append = appends[appends.length - 1];
      const reads = readsOf(command);
      expect(append?.streamId).toBe(reads.writes);
      expect(append?.options.guards?.map((g) => g.streamId) ?? []).toEqual(guardedStreams(reads));
      expect(append?.options.prefixGuards?.map((g) => g.streamPrefix) ?? []).toEqual(command.type === 'SetOverage' ? [`${Streams.ofProfile('p-1')}usage/`] : []);
    }
  });
});
