import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { Catalog, emptyCatalog, tiersInEffect } from './catalog';
import { CommandOf } from './commands';
import { Decider, Issued } from './decider';
import { DomainError, domainError } from './errors';
import { CreditsConsumed } from './events';
import { Dec, format2, max, ZERO } from './money';
import { consumptionChecked, initialProfileState, profileNotFound, ProfileState, userMonthOfState } from './profileDecider';
import { monthOf } from './time';
import { monthOpen, notBefore } from './timeOrder';
import { MonthFacts, monthFacts } from './userMonth';

export type ConsumeCredits = CommandOf<'ConsumeCredits'>;

/** One user's usage in one month of one profile: a stream of its own (see docs/credits.md). */
export interface UsageState {
  readonly consumed: Dec;
  /** The latest occurredAt among them (consumptions arrive in any order): what the user's subscription changes are checked against (T2). */
  readonly lastAt: string | null;
}

export const initialUsageState: UsageState = { consumed: ZERO, lastAt: null };

/** What a consumption decision reads (domain/reads.ts, kind `usage`), loaded into one state. */
export interface ConsumptionState {
  /** The user's usage stream of the command's month, the one written. */
  readonly usage: UsageState;
  readonly catalog: Catalog;
  readonly lifecycle: ProfileState;
  /** The event recorded earlier under the same requestId in this profile, if any (K2). */
  readonly previous: CreditsConsumed | undefined;
}

export const initialConsumptionState: ConsumptionState = { usage: initialUsageState, catalog: emptyCatalog, lifecycle: initialProfileState, previous: undefined };

/** K1, K5 and the consumption so far of the user's month the instant is in: the one fold of domain/userMonth. */
export const factsOf = (catalog: Catalog, profile: ProfileState, userId: string, occurredAt: string, consumed: Dec): MonthFacts => {
  const month = monthOf(occurredAt);
  return monthFacts(userMonthOfState(profile, userId, month), tiersInEffect(catalog, month), consumed);
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

const decideNew = (c: Issued<ConsumeCredits>, { usage: state, lifecycle: profile, catalog }: ConsumptionState): E.Either<DomainError, ReadonlyArray<CreditsConsumed>> =>
  pipe(
    monthOpen(c.occurredAt, c.metadata.now),
    // Consumptions are not ordered among themselves: many callers meter one user at once (T2).
    E.chain(() => notBefore(c.occurredAt, consumptionChecked(profile, c.userId))),
    E.chain(() => {
      const month = monthOf(c.occurredAt);
      const { billing, holds } = factsOf(catalog, profile, c.userId, c.occurredAt, state.consumed);
      if (!holds || billing === undefined) {
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
          // Keys in RFC 8785 order, as the store writes them: its canonical JSON is then one JSON.stringify (chain.ts).
          data: { credits: c.credits, occurredAt: c.occurredAt, profileId: c.profileId, requestId: c.requestId, userId: c.userId },
        },
      ]);
    }),
  );

export const evolveUsage = (state: UsageState, e: CreditsConsumed): UsageState => ({
  consumed: state.consumed.plus(new Dec(e.data.credits)),
  lastAt: state.lastAt !== null && Date.parse(state.lastAt) >= Date.parse(e.data.occurredAt) ? state.lastAt : e.data.occurredAt,
});

/**
 * A user's usage stream for one month. T5: PROFILE_NOT_FOUND, the requestId checks of K2 (so a retry
 * succeeds even after its month closed), MONTH_CLOSED, OUT_OF_ORDER, then NOT_SUBSCRIBED and K4.
 * K4 holds because every append checks this stream's revision and guards the lifecycle stream read.
 */
export const usageDecider: Decider<Issued<ConsumeCredits>, CreditsConsumed, ConsumptionState> = {
  decide: (c, state) =>
    state.lifecycle.profile === null
      ? E.left(profileNotFound(c.profileId))
      : pipe(
          checkRequestId(c, state.previous),
          E.chain((kind) => (kind === 'retry' ? E.right([]) : decideNew(c, state))),
        ),
  evolve: (state, e) => ({ ...state, usage: evolveUsage(state.usage, e) }),
  initialState: initialConsumptionState,
};
