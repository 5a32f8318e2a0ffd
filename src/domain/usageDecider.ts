import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { Billing, billingAfter } from './allowance';
import { tiersInEffect } from './catalog';
import { Catalog } from './catalog';
import { CommandOf } from './commands';
import { Decider } from './decider';
import { DomainError, domainError } from './errors';
import { CreditsConsumed } from './events';
import { Dec, format2, max, ZERO } from './money';
import { checkOrder, holdingsIn, profileNotFound, ProfileState } from './profileDecider';
import { monthOf } from './time';

export type ConsumeCredits = CommandOf<'ConsumeCredits'>;

/** One user's usage in one month of one profile: a stream of its own (see docs/credits.md). */
export interface UsageState {
  readonly consumed: Dec;
  readonly lastAt: string | null;
}

export const initialUsageState: UsageState = { consumed: ZERO, lastAt: null };

/** What a consumption decision reads beside its own stream. */
export interface UsageContext {
  readonly catalog: Catalog;
  readonly profile: ProfileState;
  /** The event recorded earlier under the same requestId in this profile, if any (K2). */
  readonly previous: CreditsConsumed | undefined;
}

/** K1: what the user's month is billed at so far, with its allowance; undefined if nothing was held. */
export const billingOf = (catalog: Catalog, profile: ProfileState, userId: string, occurredAt: string): Billing | undefined => {
  const month = monthOf(occurredAt);
  return billingAfter(holdingsIn(profile, userId, month), tiersInEffect(catalog, month));
};

/** K2: a retry of an applied request succeeds and changes nothing; a reuse with other values is refused. */
const checkRequestId = (c: ConsumeCredits, previous: CreditsConsumed | undefined): E.Either<DomainError, 'new' | 'retry'> => {
  if (previous === undefined) return E.right('new');
  const same = previous.data.userId === c.userId && new Dec(previous.data.credits).equals(new Dec(c.credits));
  return same
    ? E.right('retry')
    : E.left(
        domainError(
          'REQUEST_ID_REUSED',
          `requestId ${c.requestId} was applied in profile ${c.profileId} to user ${previous.data.userId} for ${format2(new Dec(previous.data.credits))} credits`,
        ),
      );
};

const decideNew = (ctx: UsageContext, c: ConsumeCredits, state: UsageState): E.Either<DomainError, ReadonlyArray<CreditsConsumed>> => {
  const { profile, catalog } = ctx;
  if (profile.profile === null) return E.left(profileNotFound(c.profileId));
  return pipe(
    checkOrder(profile.lastAt, c.occurredAt, `profile ${c.profileId}`),
    E.chain(() => checkOrder(state.lastAt, c.occurredAt, `the usage of user ${c.userId}`)),
    E.chain(() => {
      const month = monthOf(c.occurredAt);
      const billing = billingOf(catalog, profile, c.userId, c.occurredAt);
      if (billing === undefined) {
        return E.left(domainError('NOT_SUBSCRIBED', `user ${c.userId} holds no subscription in profile ${c.profileId} in ${month}`));
      }
      const after = state.consumed.plus(new Dec(c.credits));
      const { allowance } = billing;
      if (!profile.overage && after.greaterThan(allowance)) {
        return E.left(
          domainError(
            'CREDITS_EXHAUSTED',
            `user ${c.userId} has ${format2(max(ZERO, allowance.minus(state.consumed)))} of ${format2(allowance)} credits left in ${month} (billed at ${billing.tier.tier}), asked for ${format2(new Dec(c.credits))}, and overage is off in profile ${c.profileId}`,
          ),
        );
      }
      return E.right([
        {
          type: 'CreditsConsumed' as const,
          data: { profileId: c.profileId, userId: c.userId, credits: c.credits, requestId: c.requestId, occurredAt: c.occurredAt },
        },
      ]);
    }),
  );
};

/** A user's usage stream for one month; K4 holds because every append checks this stream's revision. */
export const usageDecider = (ctx: UsageContext): Decider<ConsumeCredits, CreditsConsumed, UsageState> => ({
  decide: (c, state) =>
    pipe(
      checkRequestId(c, ctx.previous),
      E.chain((kind) => (kind === 'retry' ? E.right([]) : decideNew(ctx, c, state))),
    ),
  evolve: (state, e) => ({ consumed: state.consumed.plus(new Dec(e.data.credits)), lastAt: e.data.occurredAt }),
  initialState: initialUsageState,
});
