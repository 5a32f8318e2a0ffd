import * as E from 'fp-ts/Either';
import { Decider, fold } from '../../src/domain/decider';

/**
 * Given/when/then for a decider, after Emmett's DeciderSpecification: given past events, when a
 * command, then the new events or the rule it breaks. Pure: no store, no clock.
 */
export const deciderSpec = <C, Ev, S, Err extends { readonly code: string; readonly message: string }>(decider: Decider<C, Ev, S, Err>) => ({
  given: (events: ReadonlyArray<Ev>) => ({
    when: (command: C) => {
      const result = () => decider.decide(command, fold(decider, events));
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
