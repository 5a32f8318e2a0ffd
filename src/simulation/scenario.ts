import * as t from 'io-ts';
import { AccountId, Identifier, MonthString, NewInstant } from '../domain/fields';

/** A scenario file (shared/scenarios/README.md), decoded like any other input. */
const Line = t.tuple([t.string, t.string, t.string]);

export const ExpectedUser = t.intersection([
  t.type({ billedTier: t.union([t.string, t.null]), total: t.string }),
  t.partial({ creditsIncluded: t.string, creditsUsed: t.string, overageCredits: t.string, lines: t.array(Line) }),
]);

export const ExpectedStatement = t.type({
  profileId: Identifier,
  month: MonthString,
  total: t.string,
  users: t.record(t.string, ExpectedUser),
});

export const ExpectedAccount = t.intersection([
  t.type({ accountId: AccountId, month: MonthString, total: t.string }),
  t.partial({ usersInSeveralProfiles: t.record(t.string, t.array(t.string)) }),
]);

/** `now`: the clock when the step is sent; `at` may then be up to 5 minutes ahead of it (T2, README). */
export const Step = t.intersection([t.type({ at: NewInstant, command: t.unknown }), t.partial({ now: NewInstant, expectError: t.string })]);

export const Scenario = t.intersection([
  t.type({ steps: t.array(Step) }),
  t.partial({
    name: t.string,
    rules: t.array(t.string),
    expect: t.array(ExpectedStatement),
    expectAccount: t.array(ExpectedAccount),
  }),
]);

export type Scenario = t.TypeOf<typeof Scenario>;
export type ExpectedStatement = t.TypeOf<typeof ExpectedStatement>;
export type ExpectedAccount = t.TypeOf<typeof ExpectedAccount>;
