import * as E from 'fp-ts/Either';
import { DomainError } from './errors';

/**
 * One stream's rules: `decide` turns a command and the state the decision reads into new events or
 * a rule violation; `evolve` folds an event of the stream into that state. Pure, so a rule is
 * tested with no I/O. The shell's own streams (API tokens) have rule violations of their own, hence `Err`.
 */
export interface Decider<C, Ev, S, Err = DomainError> {
  readonly decide: (command: C, state: S) => E.Either<Err, ReadonlyArray<Ev>>;
  readonly evolve: (state: S, event: Ev) => S;
  readonly initialState: S;
}

/** What a command carries beside its fields: the clock it is decided at (T2, T4), as Emmett's commands carry `now`. */
export interface CommandMetadata {
  readonly now: string;
}

/** A ledger command as its decider receives it: everything the decision depends on is the command, its metadata and the state. */
export type Issued<C> = C & { readonly metadata: CommandMetadata };

export const issued = <C>(command: C, now: string): Issued<C> => ({ ...command, metadata: { now } });

export const fold = <C, Ev, S, Err>(decider: Decider<C, Ev, S, Err>, events: ReadonlyArray<Ev>, from: S = decider.initialState): S =>
  events.reduce(decider.evolve, from);
