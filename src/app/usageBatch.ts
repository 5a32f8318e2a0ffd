import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { CommandContext, CommandFailure, CommandHandler, CommandOutcome } from '../commands/commandHandler';
import { CommandFields } from '../domain/commands';
import { decode, show, strictObject } from '../domain/validation';

/** api.md, batch usage: at most this many ConsumeCredits in one call. */
export const MAX_BATCH = 1000;

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/** The list itself: 1 to MAX_BATCH objects. What is wrong inside an object is that item's answer, not the call's. */
const Requests = new t.Type<ReadonlyArray<Record<string, unknown>>, ReadonlyArray<Record<string, unknown>>, unknown>(
  `a list of 1 to ${MAX_BATCH} requests`,
  (u): u is ReadonlyArray<Record<string, unknown>> => Array.isArray(u) && u.every(isObject),
  (u, c) => {
    if (!Array.isArray(u)) return t.failure(u, c, `requests: must be a list of 1 to ${MAX_BATCH} requests, got ${show(u)}`);
    if (u.length === 0 || u.length > MAX_BATCH) return t.failure(u, c, `requests: must be a list of 1 to ${MAX_BATCH} requests, got ${u.length}`);
    const bad = u.findIndex((item) => !isObject(item));
    if (bad >= 0) return t.failure(u, c, `requests[${bad}]: must be an object {userId, credits, requestId, occurredAt?}, got ${show(u[bad])}`);
    return t.success(u as ReadonlyArray<Record<string, unknown>>);
  },
  t.identity,
);

/** `POST /v1/profiles/{profileId}/usage/batch`: `{"requests": [...]}`. */
export const UsageBatchBody = strictObject('body', { requests: Requests }, {});

const { profileId: _profileId, ...itemRequired } = CommandFields.ConsumeCredits.required;
/** An item's fields: a ConsumeCredits body, as `POST /v1/profiles/{profileId}/usage` takes it (the path names the profile). */
export const usageItemFields = { required: itemRequired, optional: CommandFields.ConsumeCredits.optional };
export const UsageItem = strictObject('request', usageItemFields.required, usageItemFields.optional);

export type ItemResult = E.Either<CommandFailure, CommandOutcome>;

/**
 * Each request decided as its own ConsumeCredits of the profile, with every rule of a single one;
 * results in the order given. A malformed item is that item's VALIDATION (its own strict codec
 * first, so that no field may name another profile or command; then the command's, by `decideAll`).
 * `decideAll` gets the well-formed ones, in order, and answers for each.
 */
export const decideBatch = async <R>(
  profileId: string,
  requests: ReadonlyArray<unknown>,
  decideAll: (commands: ReadonlyArray<unknown>) => Promise<ReadonlyArray<E.Either<CommandFailure, R>>>,
): Promise<ReadonlyArray<E.Either<CommandFailure, R>>> => {
  const items = requests.map((r) => decode(UsageItem, r));
  const valid = items.flatMap((item) => (E.isRight(item) ? [{ ...item.right, profileId, type: 'ConsumeCredits' }] : []));
  const decided = await decideAll(valid);
  // The decided ones come back in the order of the valid ones.
  let next = 0;
  return items.map((item) => (E.isLeft(item) ? item : (decided[next++] as E.Either<CommandFailure, R>)));
};

export const consumeBatch = (handler: CommandHandler, profileId: string, requests: ReadonlyArray<unknown>, context: CommandContext): Promise<ReadonlyArray<ItemResult>> =>
  decideBatch(profileId, requests, (commands) => handler.executeConsumptions(commands, context));
