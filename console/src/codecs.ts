import * as t from 'io-ts';

/**
 * The API's answers as the console reads them (api.md). Decoded at the boundary like every input of
 * the ledger, so a change of the wire format fails at the fetch that met it, not deep in a page.
 */

/** Amounts and credits travel as exact decimal strings with 2 places; the console shows them as they come. */
const Decimal2 = new t.Type<string, string, unknown>(
  'a decimal with 2 places',
  (u): u is string => typeof u === 'string' && /^-?[0-9]+\.[0-9]{2}$/.test(u),
  (u, c) => (typeof u === 'string' && /^-?[0-9]+\.[0-9]{2}$/.test(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);
const Status = t.keyof({ open: null, final: null });

export const ApiErrorBody = t.type({ error: t.type({ code: t.string, message: t.string }) });

export const ProfileSummary = t.type({ profileId: t.string, accountId: t.string, region: t.string, name: t.union([t.string, t.null]) });
export const AccountList = t.type({ accounts: t.array(t.type({ accountId: t.string, profiles: t.array(ProfileSummary) })) });
export type AccountList = t.TypeOf<typeof AccountList>;

export const AccountStatement = t.type({
  accountId: t.string,
  month: t.string,
  currency: t.string,
  status: Status,
  total: Decimal2,
  profiles: t.array(t.type({ profileId: t.string, region: t.string, total: Decimal2 })),
  usersInSeveralProfiles: t.array(t.type({ userId: t.string, profiles: t.array(t.string) })),
});
export type AccountStatement = t.TypeOf<typeof AccountStatement>;

/** A line's cited events are not decoded here: the console reads them through the line's events route, a page at a time. */
export const Line = t.intersection([
  t.type({ lineId: t.string, kind: t.string, tier: t.string, amount: Decimal2, description: t.string, at: t.string }),
  t.partial({ reverses: t.string, credits: t.string }),
]);
export type Line = t.TypeOf<typeof Line>;

export const UserStatement = t.type({
  userId: t.string,
  /** Null for a user whose only lines are credit notes. */
  billedTier: t.union([t.string, t.null]),
  creditsIncluded: Decimal2,
  creditsUsed: Decimal2,
  overageCredits: Decimal2,
  total: Decimal2,
  lines: t.array(Line),
});
export type UserStatement = t.TypeOf<typeof UserStatement>;

/** A sealed month's seal (billing-rules F2): the digest of the statement and the log head it was built from. */
export const Seal = t.type({ eventId: t.string, sha256: t.string, logPosition: t.number, chainHash: t.string, sealedAt: t.string });
export type Seal = t.TypeOf<typeof Seal>;

export const Statement = t.intersection([
  t.type({
    profileId: t.string,
    accountId: t.string,
    region: t.string,
    month: t.string,
    currency: t.string,
    status: Status,
    total: Decimal2,
    users: t.array(UserStatement),
  }),
  t.partial({ seal: Seal }),
]);
export type Statement = t.TypeOf<typeof Statement>;

/** A page of a statement's users (`?after=USER&limit=N`): the totals are the whole profile's. */
export const StatementPage = t.intersection([Statement, t.type({ userCount: t.number, next: t.union([t.string, t.null]) })]);
export type StatementPage = t.TypeOf<typeof StatementPage>;

export const RecordedEvent = t.type({
  streamId: t.string,
  position: t.number,
  globalPosition: t.number,
  eventId: t.string,
  type: t.string,
  occurredAt: t.string,
  metadata: t.partial({ actor: t.string, correlationId: t.string }),
});
export type RecordedEvent = t.TypeOf<typeof RecordedEvent>;
export const EventPage = t.type({ events: t.array(RecordedEvent), next: t.union([t.number, t.null]) });
export type EventPage = t.TypeOf<typeof EventPage>;

/** The credit notes of a line and what is left of it to credit (billing-rules N4). */
export const LineCredits = t.type({
  lineId: t.string,
  amount: Decimal2,
  credited: Decimal2,
  left: Decimal2,
  credits: t.array(t.type({ lineId: t.union([t.string, t.null]), month: t.string, amount: Decimal2, reason: t.string, eventId: t.string })),
});
export type LineCredits = t.TypeOf<typeof LineCredits>;

/** `GET /v1/me`: the caller and what its role may do; the console offers only those actions (the API checks each anyway). */
export const Caller = t.type({ actor: t.string, role: t.string, actions: t.array(t.string) });
export type Caller = t.TypeOf<typeof Caller>;

/** `GET /v1/profiles/{id}`: the profile now, its overage switch, and every user's active assignments. */
export const ProfileNow = t.type({
  profileId: t.string,
  overage: t.boolean,
  users: t.array(t.type({ userId: t.string, assignments: t.array(t.type({ groupId: t.union([t.string, t.null]), tier: t.string })), effectiveTier: t.string })),
});
export type ProfileNow = t.TypeOf<typeof ProfileNow>;

/** `GET /v1/catalog`: the tiers of the clock's month, in tier order (C4); its `month` is the month commands are dated in now. */
export const Catalog = t.type({ month: t.string, tiers: t.array(t.type({ tier: t.string, name: t.string, credits: Decimal2, price: Decimal2 })) });
export type Catalog = t.TypeOf<typeof Catalog>;

const AppendedEvent = t.type({ streamId: t.string, position: t.number, eventId: t.string, type: t.string, occurredAt: t.string });
/** A command's answer: the events it appended. */
export const CommandResult = t.type({ events: t.array(AppendedEvent) });
export type CommandResult = t.TypeOf<typeof CommandResult>;
/** A command's preview (`?preview=true`): the events it would append and the statement of its month as it would then read. */
export const Preview = t.type({ events: t.array(AppendedEvent), statement: t.union([Statement, t.null]) });
export type Preview = t.TypeOf<typeof Preview>;

/** A webhook endpoint and its recent deliveries, as `GET /v1/webhooks/{id}/deliveries` answers (never a secret). */
const WebhookFields = {
  id: t.string,
  url: t.string,
  events: t.array(t.string),
  accountId: t.union([t.string, t.null]),
  createdAt: t.string,
  status: t.keyof({ active: null, disabled: null }),
  disabledAt: t.union([t.string, t.null]),
};
export const WebhookList = t.type({ webhooks: t.array(t.type(WebhookFields)) });
export type WebhookList = t.TypeOf<typeof WebhookList>;
export const Delivery = t.type({
  messageId: t.string,
  type: t.string,
  status: t.keyof({ sending: null, retrying: null, delivered: null, failed: null }),
  attempts: t.number,
  lastStatus: t.union([t.number, t.null]),
  lastError: t.union([t.string, t.null]),
  lastAttemptAt: t.string,
  nextAt: t.union([t.string, t.null]),
});
export type Delivery = t.TypeOf<typeof Delivery>;
export const WebhookDeliveries = t.type({ ...WebhookFields, deliveries: t.array(Delivery) });
export type WebhookDeliveries = t.TypeOf<typeof WebhookDeliveries>;
