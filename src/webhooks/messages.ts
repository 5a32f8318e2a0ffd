import * as t from 'io-ts';
import { Catalog, emptyCatalog } from '../domain/catalog';
import { evolveCatalog } from '../domain/catalogDecider';
import { CreditsConsumed, isLedgerStream, Recorded } from '../domain/events';
import { decodeOrThrow } from '../commands/decodeRecorded';
import { Dec, format2, ZERO } from '../domain/money';
import { evolveProfile, initialProfileState, ProfileState } from '../domain/profileDecider';
import { monthOf } from '../domain/time';
import { factsOf } from '../domain/usageDecider';
import { RecordedEvent } from '../store/eventStore';

/**
 * Webhook messages as a projection of the log (api.md "Webhooks"): the events in global order in,
 * the messages they cause out. No I/O and no clock: a replay, a restart or another node folding the
 * same log makes the same messages, with the same ids, in the same order.
 */

export const MESSAGE_TYPES = ['statement.sealed', 'credit.issued', 'credits.threshold', 'overage.started'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];
export const MessageTypeC = t.keyof(Object.fromEntries(MESSAGE_TYPES.map((m) => [m, null])) as Record<MessageType, null>, `one of ${MESSAGE_TYPES.join(', ')}`);

/** Where a message sits in the order of all messages: its event's global position, then its rank among that event's messages. */
export interface MessagePlace {
  readonly position: number;
  readonly seq: number;
}

export const isAfter = (m: MessagePlace, cursor: MessagePlace): boolean => m.position > cursor.position || (m.position === cursor.position && m.seq > cursor.seq);

export interface Message extends MessagePlace {
  /** `webhook-id`: the causing event's id and what the message says of it, so that it is the same wherever it is made. */
  readonly id: string;
  readonly type: MessageType;
  /** The account of the profile the message is about: an endpoint of another account never gets it. */
  readonly accountId: string;
  /** The body, made once: the signature covers these exact bytes, on every attempt. */
  readonly body: string;
}

/** A ledger event with its place in the log, as the projection reads it. */
export type Source = Recorded;

/** A stored event as the projection reads it; undefined for the shell's own records (`meta/`). A ledger event that does not decode is corruption. */
export const sourceOf = (e: RecordedEvent): Source | undefined => (isLedgerStream(e.streamId) ? decodeOrThrow(e) : undefined);

/** The thresholds of a user's month, in the order they are reached, with their share of the allowance. */
const THRESHOLDS: ReadonlyArray<readonly [number, Dec]> = [
  [80, new Dec('0.8')],
  [100, new Dec(1)],
];

interface UserMonth {
  used: Dec;
  /** The thresholds already reported: each once per user and month, even when the allowance rises past them again (K1). */
  readonly reported: Set<number>;
  overageStarted: boolean;
  /** K1's allowance as last worked out, and the (immutable) states it was worked out from: a consumption between two changes reuses it. */
  known?: { readonly catalog: Catalog; readonly profile: ProfileState; readonly allowance: Dec | undefined };
}

/**
 * K1's allowance when a consumption is decided, from issue 16's single fold of a user's month
 * (`factsOf`, the very function the usage decider checks K4 and K5 with), so that the messages and
 * the decisions cannot disagree. Undefined where the decider would have refused (nothing held).
 */
const allowanceAt = (catalog: Catalog, profile: ProfileState, userId: string, occurredAt: string): Dec | undefined => {
  const { billing, holds } = factsOf(catalog, profile, userId, occurredAt, ZERO);
  return holds ? billing?.allowance : undefined;
};

/**
 * The projection's state, kept in one object and changed in place (a log of millions of events is
 * folded once per process): what a message needs of the log before it, and nothing else.
 */
export class MessageProjection {
  private catalog: Catalog = emptyCatalog;
  private readonly profiles = new Map<string, ProfileState>();
  /** `profileId\0userId\0month` */
  private readonly months = new Map<string, UserMonth>();

  /** The messages `source` causes, folding it in. Sources must come in global order. */
  apply(source: Source): ReadonlyArray<Message> {
    const e = source.event;
    switch (e.type) {
      case 'TierDefined':
        this.catalog = evolveCatalog(this.catalog, e);
        return [];
      case 'ProfileCreated':
      case 'UserSubscribed':
      case 'UserUnsubscribed':
      case 'SubscriptionUpgraded':
      case 'SubscriptionDowngraded':
      case 'OverageSet':
        this.profiles.set(e.data.profileId, evolveProfile(this.profiles.get(e.data.profileId) ?? initialProfileState, e));
        return [];
      case 'CreditsConsumed':
        return this.consumed(source, e);
      case 'CreditIssued':
        return this.messages(source, e.data.profileId, [
          [
            'credit.issued',
            'credit.issued',
            { userId: e.data.userId, lineId: e.data.lineId, month: e.data.month, tier: e.data.tier, amount: e.data.amount, reason: e.data.reason },
          ],
        ]);
      case 'StatementSealed':
        return this.messages(source, e.data.profileId, [
          [
            'statement.sealed',
            'statement.sealed',
            { month: e.data.month, total: e.data.total, sha256: e.data.sha256, logPosition: e.data.logPosition, chainHash: e.data.chainHash },
          ],
        ]);
    }
  }

  private consumed(source: Source, e: CreditsConsumed): ReadonlyArray<Message> {
    const { profileId, userId, occurredAt } = e.data;
    const month = monthOf(occurredAt);
    const key = `${profileId}\u0000${userId}\u0000${month}`;
    let um = this.months.get(key);
    if (um === undefined) {
      um = { used: ZERO, reported: new Set<number>(), overageStarted: false };
      this.months.set(key, um);
    }
    um.used = um.used.plus(new Dec(e.data.credits));
    // Most consumptions of a month come before its first threshold or after its overage started: nothing more to work out.
    if (um.overageStarted) return [];
    const profile = this.profiles.get(profileId) ?? initialProfileState;
    if (um.known?.catalog !== this.catalog || um.known.profile !== profile) {
      um.known = { catalog: this.catalog, profile, allowance: allowanceAt(this.catalog, profile, userId, occurredAt) };
    }
    const { allowance } = um.known;
    // The decider accepted it, so the user held a tier (K5); a log where none is held reports nothing rather than guessing.
    if (allowance === undefined) return [];
    const facts: Array<[string, MessageType, Record<string, unknown>]> = [];
    const figures = () => ({ userId, month, used: format2((um as UserMonth).used), allowance: format2(allowance) });
    for (const [percent, share] of THRESHOLDS) {
      if (!um.reported.has(percent) && um.used.greaterThanOrEqualTo(allowance.times(share))) {
        um.reported.add(percent);
        facts.push([`credits.threshold.${percent}`, 'credits.threshold', { ...figures(), percent }]);
      }
    }
    if (um.used.greaterThan(allowance)) {
      um.overageStarted = true;
      facts.push(['overage.started', 'overage.started', { ...figures(), overage: format2(um.used.minus(allowance)) }]);
    }
    return facts.length === 0 ? [] : this.messages(source, profileId, facts);
  }

  /** The messages of one event's facts, each tagged so that its id differs from its siblings'. */
  private messages(source: Source, profileId: string, facts: ReadonlyArray<readonly [string, MessageType, Record<string, unknown>]>): ReadonlyArray<Message> {
    const accountId = this.profiles.get(profileId)?.profile?.accountId;
    if (accountId === undefined) throw new Error(`event ${source.ref.eventId} at ${source.globalPosition} concerns profile ${profileId}, which the log has not created`);
    const timestamp = source.event.data.occurredAt;
    return facts.map(([tag, type, data], seq) => ({
      id: `msg_${source.ref.eventId}.${tag}`,
      type,
      accountId,
      position: source.globalPosition,
      seq,
      body: JSON.stringify({ type, timestamp, data: { profileId, accountId, ...data, eventId: source.ref.eventId, occurredAt: timestamp } }),
    }));
  }
}

/** Every message of a log, in order: the projection in one call. */
export const messagesOf = (sources: Iterable<Source>): ReadonlyArray<Message> => {
  const projection = new MessageProjection();
  const out: Message[] = [];
  for (const s of sources) out.push(...projection.apply(s));
  return out;
};
