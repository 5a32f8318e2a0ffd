import * as E from 'fp-ts/Either';
import { Decider, fold, issued, Issued } from '../../src/domain/decider';

/**
 * Given/when/then for a decider, after Emmett's DeciderSpecification: given past events (folded
 * from `from`, the decider's initial state unless the test gives the streams it reads beside),
 * when a command, then the new events or the rule it breaks. Pure: no store, no clock.
 */
export const deciderSpec = <C, Ev, S, Err extends { readonly code: string; readonly message: string }>(decider: Decider<C, Ev, S, Err>, from: S = decider.initialState) => ({
  given: (events: ReadonlyArray<Ev>) => ({
    when: (command: C) => {
      const result = () => decider.decide(command, fold(decider, events, from));
      return {
        then: (expected: ReadonlyArray<Ev>) => expect(result()).toEqual(E.right(expected)),
        thenFails: (code: Err['code'], message?: string | RegExp) => {
          const r = result();
          expect(r).toEqual(E.left(expect.objectContaining({ code })));
          if (message !== undefined && E.isLeft(r)) expect(r.left.message).toMatch(message);
        },
      };
    },
  }),
});

/** The same for a ledger decider: each command is issued at `now`; `read` gives the streams the decision reads beside the one it writes. */
export const issuedSpec = <C, Ev, S, Err extends { readonly code: string; readonly message: string }>(decider: Decider<Issued<C>, Ev, S, Err>, now: string, read?: Partial<S>) => {
  const spec = deciderSpec(decider, read === undefined ? decider.initialState : { ...decider.initialState, ...read });
  return { given: (events: ReadonlyArray<Ev>) => ({ when: (command: C) => spec.given(events).when(issued(command, now)) }) };
};
