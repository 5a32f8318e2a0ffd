import * as t from 'io-ts';
import { LineId } from './lineId';
import { AccountId, CreditReason, DecimalString, Identifier, NewDisplayName, NewInstant, MonthString, PositiveDecimalString, Region, TierCode } from './fields';
import { show, strictObject } from './validation';

/**
 * The commands of section 7 as clients send them: every field checked, unknown fields rejected,
 * `occurredAt` optional (the shell fills it from its clock, T2).
 */
const at = { occurredAt: NewInstant };
const group = { groupId: Identifier };
const profileUser = { profileId: Identifier, userId: Identifier };

/** Field sets, shared with the HTTP layer, which takes the ids from the path instead of the body. */
export const CommandFields = {
  DefineTier: {
    required: { tier: TierCode, name: NewDisplayName, credits: DecimalString, price: DecimalString, fromMonth: MonthString },
    optional: at,
  },
  CreateProfile: {
    required: { profileId: Identifier, accountId: AccountId, region: Region },
    optional: { name: NewDisplayName, ...at },
  },
  Subscribe: { required: { ...profileUser, tier: TierCode }, optional: { ...group, ...at } },
  Unsubscribe: { required: profileUser, optional: { ...group, ...at } },
  Upgrade: { required: { ...profileUser, tier: TierCode }, optional: { ...group, ...at } },
  Downgrade: { required: { ...profileUser, tier: TierCode }, optional: { ...group, ...at } },
  SetOverage: { required: { profileId: Identifier, enabled: t.boolean }, optional: at },
  ConsumeCredits: {
    required: { ...profileUser, credits: PositiveDecimalString, requestId: Identifier },
    optional: at,
  },
  IssueCredit: {
    required: { profileId: Identifier, lineId: LineId, amount: PositiveDecimalString, reason: CreditReason },
    optional: at,
  },
} as const;

export type CommandType = keyof typeof CommandFields;
export const commandTypes = Object.keys(CommandFields) as ReadonlyArray<CommandType>;

type Fields<K extends CommandType> = t.TypeOf<t.TypeC<(typeof CommandFields)[K]['required']>> &
  Partial<t.TypeOf<t.TypeC<(typeof CommandFields)[K]['optional']>>>;

/** A command as received; `type` names it. */
export type CommandInput = { [K in CommandType]: { readonly type: K } & Fields<K> }[CommandType];

const codecs = Object.fromEntries(
  commandTypes.map((k) => [
    k,
    strictObject(k, { type: t.literal(k), ...CommandFields[k].required }, CommandFields[k].optional),
  ]),
) as { [K in CommandType]: t.Type<{ type: K } & Fields<K>, unknown, unknown> };

export const CommandInput = new t.Type<CommandInput, unknown, unknown>(
  'Command',
  (u): u is CommandInput => codecs[(u as { type?: CommandType })?.type as CommandType]?.is(u) ?? false,
  (u, c) => {
    const type = typeof u === 'object' && u !== null ? (u as Record<string, unknown>).type : undefined;
    if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(codecs, type)) {
      return t.failure(u, c, `type: must be one of ${commandTypes.join(', ')}, got ${show(type)}`);
    }
    return codecs[type as CommandType].validate(u, c);
  },
  t.identity,
);

/**
 * A command ready for a decider: its instant fixed (canonical ISO form) and an absent group made
 * explicit, since "no group" is an assignment of its own (P2).
 */
export type Command = { [K in CommandType]: Omit<Extract<CommandInput, { type: K }>, 'occurredAt' | 'groupId'> &
  { readonly occurredAt: string } &
  (K extends 'Subscribe' | 'Unsubscribe' | 'Upgrade' | 'Downgrade' ? { readonly groupId: string | null } : unknown) }[CommandType];

export type CommandOf<K extends CommandType> = Extract<Command, { type: K }>;
