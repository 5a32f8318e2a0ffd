import * as t from 'io-ts';
import { LineId } from './lineId';
import { AccountId, CreditReason, DecimalString, DisplayName, Identifier, Instant, MonthString, PositiveDecimalString, Region, TierCode } from './fields';

/**
 * The events of every stream, as stored. Each is written with `schemaVersion` in its metadata and
 * decoded with these codecs when read; a new shape gets a new version and an upcaster, never an edit.
 */
export const SCHEMA_VERSION = 1;

const GroupId = t.union([Identifier, t.null]);

const event = <T extends string, P extends t.Props>(type: T, props: P) =>
  t.type({ type: t.literal(type), data: t.type({ ...props, occurredAt: Instant }) }, type);

export const TierDefined = event('TierDefined', {
  tier: TierCode,
  name: DisplayName,
  credits: DecimalString,
  price: DecimalString,
  fromMonth: MonthString,
});
export const ProfileCreated = event('ProfileCreated', {
  profileId: Identifier,
  accountId: AccountId,
  region: Region,
  name: t.union([DisplayName, t.null]),
});
export const UserSubscribed = event('UserSubscribed', {
  profileId: Identifier,
  userId: Identifier,
  groupId: GroupId,
  tier: TierCode,
});
export const UserUnsubscribed = event('UserUnsubscribed', {
  profileId: Identifier,
  userId: Identifier,
  groupId: GroupId,
  tier: TierCode,
});
const tierChange = <T extends string>(type: T) =>
  event(type, { profileId: Identifier, userId: Identifier, groupId: GroupId, fromTier: TierCode, tier: TierCode });
export const SubscriptionUpgraded = tierChange('SubscriptionUpgraded');
export const SubscriptionDowngraded = tierChange('SubscriptionDowngraded');
export const OverageSet = event('OverageSet', { profileId: Identifier, enabled: t.boolean });
export const CreditsConsumed = event('CreditsConsumed', {
  profileId: Identifier,
  userId: Identifier,
  credits: PositiveDecimalString,
  requestId: Identifier,
});
/**
 * A profile's statement of a month, sealed (billing-rules F2): the SHA-256 of its RFC 8785 JSON as
 * the API served it (final, without its seal), and the log head it was built from.
 */
export const StatementSealed = event('StatementSealed', {
  profileId: Identifier,
  month: MonthString,
  total: DecimalString,
  sha256: t.string,
  logPosition: t.number,
  chainHash: t.string,
});

/**
 * N1–N3: a credit note against a line of a final statement. `lineId`, `month` and `tier` are the
 * credited line's; `amount` the credit, positive, with 2 places. The actor is in the metadata.
 */
export const CreditIssued = event('CreditIssued', {
  profileId: Identifier,
  lineId: LineId,
  userId: Identifier,
  month: MonthString,
  tier: TierCode,
  amount: PositiveDecimalString,
  reason: CreditReason,
});

export type TierDefined = t.TypeOf<typeof TierDefined>;
export type ProfileCreated = t.TypeOf<typeof ProfileCreated>;
export type UserSubscribed = t.TypeOf<typeof UserSubscribed>;
export type UserUnsubscribed = t.TypeOf<typeof UserUnsubscribed>;
export type SubscriptionUpgraded = t.TypeOf<typeof SubscriptionUpgraded>;
export type SubscriptionDowngraded = t.TypeOf<typeof SubscriptionDowngraded>;
export type OverageSet = t.TypeOf<typeof OverageSet>;
export type CreditsConsumed = t.TypeOf<typeof CreditsConsumed>;
export type CreditIssued = t.TypeOf<typeof CreditIssued>;
export type StatementSealed = t.TypeOf<typeof StatementSealed>;

export type CatalogEvent = TierDefined;
export type RegistryEvent = ProfileCreated;
export type ProfileEvent = UserSubscribed | UserUnsubscribed | SubscriptionUpgraded | SubscriptionDowngraded | OverageSet;
export type UsageEvent = CreditsConsumed;
export type CreditEvent = CreditIssued;
export type LedgerEvent = CatalogEvent | RegistryEvent | ProfileEvent | UsageEvent | CreditEvent | StatementSealed;

export const LedgerEvent = t.union([
  TierDefined,
  ProfileCreated,
  UserSubscribed,
  UserUnsubscribed,
  SubscriptionUpgraded,
  SubscriptionDowngraded,
  OverageSet,
  CreditsConsumed,
  CreditIssued,
  StatementSealed,
]);

/** Where an event sits in the log: what every statement line cites (L4). */
export interface EventRef {
  readonly streamId: string;
  readonly position: number;
  readonly eventId: string;
  readonly type: string;
}

/** A decoded event with its place in the log. */
export interface Recorded<E extends LedgerEvent = LedgerEvent> {
  readonly ref: EventRef;
  readonly globalPosition: number;
  readonly event: E;
}

/**
 * Stream names. Ids cannot contain `/` (section 7 formats), so names never collide, and every stream
 * of a profile starts with `profile/{id}/`: one prefix reads all of a profile's events.
 */
export const Streams = {
  catalog: 'catalog',
  registry: 'profiles',
  ofProfile: (profileId: string) => `profile/${profileId}/`,
  profile: (profileId: string) => `profile/${profileId}/lifecycle`,
  usage: (profileId: string, userId: string, month: string) => `profile/${profileId}/usage/${userId}/${month}`,
  /** One stream per profile: its expected revision keeps every line's credits within the line (N2). */
  credits: (profileId: string) => `profile/${profileId}/credits`,
  /** One stream per profile and month, appended once (expected revision "no stream"): a second seal is refused. */
  seal: (profileId: string, month: string) => `profile/${profileId}/seal/${month}`,
  /** Streams under `meta/` hold the shell's own records (idempotent responses, API tokens), not billing events. */
  metaPrefix: 'meta/',
} as const;

export const isLedgerStream = (streamId: string): boolean => !streamId.startsWith(Streams.metaPrefix);
