/**
 * A broken invariant: a defect of the ledger, never a client's mistake. Thrown where it is detected
 * (before an append, after a fold) so that nothing wrong is written or served; the shell answers it
 * with a 500 carrying the request id and logs it loudly.
 */
export class InvariantViolation extends Error {
  constructor(message: string) {
    super(`invariant violated: ${message}`);
    this.name = 'InvariantViolation';
  }
}

export function invariant(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new InvariantViolation(message());
}
