import { genesisCatalog } from '../../src/domain/catalog';
import { SCHEMA_VERSION, Streams } from '../../src/domain/events';
import { RecordedEvent } from '../../src/store/eventStore';
import { Message, messagesOf, sourceOf } from '../../src/webhooks/messages';

/** A log as the store hands it out, raw JSON included: the projection decodes what it reads. */
const logOf = (events: ReadonlyArray<{ streamId: string; type: string; data: Record<string, unknown> }>): RecordedEvent[] =>
  events.map((e, i) => ({
    streamId: e.streamId,
    position: 0,
    globalPosition: i,
    eventId: `e-${i}`,
    type: e.type,
    data: e.data,
    metadata: { schemaVersion: SCHEMA_VERSION },
    recordedAt: '2026-04-01T00:00:00.000Z',
  }));

const P = 'p-1';
const ACCOUNT = '111122223333';
const at = (day: number, hour = 9) => `2026-04-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.000Z`;
const genesis = genesisCatalog.map((e) => ({ streamId: Streams.catalog, type: e.type, data: e.data }));
const created = { streamId: Streams.registry, type: 'ProfileCreated', data: { profileId: P, accountId: ACCOUNT, region: 'us-east-1', name: null, occurredAt: at(1, 8) } };
const subscribe = (userId: string, tier: string, occurredAt: string) => ({
  streamId: Streams.profile(P),
  type: 'UserSubscribed',
  data: { profileId: P, userId, groupId: null, tier, occurredAt },
});
const upgrade = (userId: string, fromTier: string, tier: string, occurredAt: string) => ({
  streamId: Streams.profile(P),
  type: 'SubscriptionUpgraded',
  data: { profileId: P, userId, groupId: null, fromTier, tier, occurredAt },
});
const overage = (enabled: boolean, occurredAt: string) => ({ streamId: Streams.profile(P), type: 'OverageSet', data: { profileId: P, enabled, occurredAt } });
let request = 0;
const consume = (userId: string, credits: string, occurredAt: string) => ({
  streamId: Streams.usage(P, userId, occurredAt.slice(0, 7)),
  type: 'CreditsConsumed',
  data: { profileId: P, userId, credits, requestId: `r-${++request}`, occurredAt },
});

const project = (log: RecordedEvent[]): ReadonlyArray<Message> =>
  messagesOf(log.flatMap((e) => {
    const s = sourceOf(e);
    return s === undefined ? [] : [s];
  }));
const summary = (m: Message) => {
  const body = JSON.parse(m.body) as { type: string; data: Record<string, unknown> };
  return { id: m.id, type: body.type, data: body.data };
};

describe('webhook messages, a projection of the log', () => {
  it('reports 80 % and 100 % of a PRO allowance (1000 credits) once each, and the first consumption past it', () => {
    const log = logOf([
      ...genesis,
      created,
      subscribe('alice', 'PRO', at(1)),
      overage(true, at(1, 10)),
      consume('alice', '799.99', at(2)),
      consume('alice', '0.01', at(3)), // exactly 80 %
      consume('alice', '100', at(4)),
      consume('alice', '100', at(5)), // exactly 100 %: reached, not past
      consume('alice', '0.5', at(6)), // past: overage starts
      consume('alice', '300', at(7)), // nothing new
    ]);
    const messages = project(log).map(summary);
    expect(messages).toEqual([
      {
        id: 'msg_e-7.credits.threshold.80',
        type: 'credits.threshold',
        data: { profileId: P, accountId: ACCOUNT, userId: 'alice', month: '2026-04', used: '800.00', allowance: '1000.00', percent: 80, eventId: 'e-7', occurredAt: at(3) },
      },
      {
        id: 'msg_e-9.credits.threshold.100',
        type: 'credits.threshold',
        data: { profileId: P, accountId: ACCOUNT, userId: 'alice', month: '2026-04', used: '1000.00', allowance: '1000.00', percent: 100, eventId: 'e-9', occurredAt: at(5) },
      },
      {
        id: 'msg_e-10.overage.started',
        type: 'overage.started',
        data: { profileId: P, accountId: ACCOUNT, userId: 'alice', month: '2026-04', used: '1000.50', allowance: '1000.00', overage: '0.50', eventId: 'e-10', occurredAt: at(6) },
      },
    ]);
  });

  it('one consumption that jumps past everything reports each fact once, in threshold order, with ids apart', () => {
    const log = logOf([...genesis, created, subscribe('bob', 'PRO', at(1)), overage(true, at(1, 10)), consume('bob', '1500', at(2))]);
    const messages = project(log);
    expect(messages.map((m) => [m.id, m.seq])).toEqual([
      ['msg_e-6.credits.threshold.80', 0],
      ['msg_e-6.credits.threshold.100', 1],
      ['msg_e-6.overage.started', 2],
    ]);
  });

  it('K1: an upgrade raises the allowance; a threshold already crossed is not crossed again, one not yet crossed counts against the new allowance', () => {
    const log = logOf([
      ...genesis,
      created,
      subscribe('carol', 'PRO', at(1)),
      consume('carol', '850', at(2)), // 85 % of 1000: 80 % reached
      upgrade('carol', 'PRO', 'PRO_PLUS', at(3)), // allowance 2000: 42.5 %
      consume('carol', '800', at(4)), // 1650 of 2000: 82.5 %, 80 % was reported already
      consume('carol', '350', at(5)), // 2000 of 2000
    ]);
    expect(project(log).map((m) => JSON.parse(m.body).data)).toEqual([
      expect.objectContaining({ percent: 80, used: '850.00', allowance: '1000.00' }),
      expect.objectContaining({ percent: 100, used: '2000.00', allowance: '2000.00' }),
    ]);
  });

  it('a new month starts again: thresholds are per user and month', () => {
    const log = logOf([
      ...genesis,
      created,
      subscribe('dave', 'PRO', at(1)),
      consume('dave', '900', at(2)),
      consume('dave', '900', '2026-05-02T09:00:00.000Z'),
    ]);
    expect(project(log).map((m) => [m.id, JSON.parse(m.body).data.month])).toEqual([
      ['msg_e-5.credits.threshold.80', '2026-04'],
      ['msg_e-6.credits.threshold.80', '2026-05'],
    ]);
  });

  it('credit notes and seals, in the shapes of contracts.md, become credit.issued and statement.sealed', () => {
    const log = logOf([
      ...genesis,
      created,
      {
        streamId: `profile/${P}/credits`,
        type: 'CreditIssued',
        data: { profileId: P, lineId: `${P}~2026-03~alice~1`, userId: 'alice', month: '2026-03', tier: 'PRO', amount: '20.00', reason: 'subscribed by mistake', occurredAt: at(2) },
      },
      {
        streamId: `profile/${P}/seal/2026-03`,
        type: 'StatementSealed',
        data: { profileId: P, month: '2026-03', total: '40.00', sha256: 'a'.repeat(64), logPosition: 4, chainHash: 'b'.repeat(64), occurredAt: at(1, 0) },
      },
    ]);
    expect(project(log).map(summary)).toEqual([
      {
        id: 'msg_e-4.credit.issued',
        type: 'credit.issued',
        data: {
          profileId: P,
          accountId: ACCOUNT,
          userId: 'alice',
          lineId: `${P}~2026-03~alice~1`,
          month: '2026-03',
          tier: 'PRO',
          amount: '20.00',
          reason: 'subscribed by mistake',
          eventId: 'e-4',
          occurredAt: at(2),
        },
      },
      {
        id: 'msg_e-5.statement.sealed',
        type: 'statement.sealed',
        data: { profileId: P, accountId: ACCOUNT, month: '2026-03', total: '40.00', sha256: 'a'.repeat(64), logPosition: 4, chainHash: 'b'.repeat(64), eventId: 'e-5', occurredAt: at(1, 0) },
      },
    ]);
  });

  it('is the same on every replay: same ids, same bytes; the shell’s own streams are not read', () => {
    const log = logOf([
      ...genesis,
      created,
      { streamId: 'meta/tokens', type: 'TokenCreated', data: { anything: true } },
      subscribe('frank', 'PRO', at(1)),
      consume('frank', '999', at(2)),
    ]);
    expect(project(log)).toEqual(project(log));
    expect(project(log)).toHaveLength(1);
  });

  it('a stored event that does not decode stops the projection rather than being skipped', () => {
    const log = logOf([...genesis, { ...created, data: { ...created.data, accountId: 'nope' } }]);
    expect(() => project(log)).toThrow(/ProfileCreated/);
  });
});
