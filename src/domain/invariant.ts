/**
 * A rule the code itself guarantees was found broken: a defect, never a client's mistake. It is
 * thrown, not returned, so that nothing built on the broken state is answered or saved; the shell
 * turns it into a 500 and a loud log line.
 */
export class InvariantViolation extends Error {
  constructor(
    /** The rule of billing-rules.md (or the module's own) that does not hold, e.g. `L5`. */
    readonly rule: string,
    message: string,
  ) {
    super(`invariant ${rule} violated: ${message}`);
    this.name = 'InvariantViolation';
  }
}

/** Throws InvariantViolation unless `holds`; the message is built only when it does not. */
export function assertInvariant(holds: boolean, rule: string, message: () => string): asserts holds {
  if (!holds) throw new InvariantViolation(rule, message());
}
