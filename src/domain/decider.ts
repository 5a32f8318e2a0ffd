import * as E from 'fp-ts/Either';
import { DomainError } from './errors';

/**
 * One stream's rules: `decide` turns a command and the stream's state into new events or a rule
 * violation; `evolve` folds an event into the state. Pure, so a rule is tested with no I/O.
 * The shell's own streams (API tokens) have rule violations of their own, hence `Err`.
 */
export interface Decider<C, Ev, S, Err = DomainError> {
  readonly decide: (command: C, state: S) => E.Either<Err, ReadonlyArray<Ev>>;
  readonly evolve: (state: S, event: Ev) => S;
  readonly initialState: S;
}

export const fold = <C, Ev, S, Err>(decider: Decider<C, Ev, S, Err>, events: ReadonlyArray<Ev>, from: S = decider.initialState): S =>
  events.reduce(decider.evolve, from);
