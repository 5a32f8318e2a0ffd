/**
 * The scenario clock of T2 (`ledger simulate`) and of `ledger serve --test-clock` (api.md "Test
 * clock"): "now" is the latest instant it has been sent, so that a scenario's history, dated in the
 * past, is played as if each command came at its own time. It starts at the epoch and never goes back.
 */
export class ScenarioClock {
  private latest = new Date(0);

  /** For the ledger's `clock` option. */
  readonly now = (): Date => this.latest;

  /** Moves "now" to `instant` (an ISO 8601 instant) if that is later. */
  observe(instant: string): void {
    const at = new Date(instant);
    if (Number.isNaN(at.getTime())) throw new Error(`scenario clock: not an instant: ${JSON.stringify(instant)}`);
    if (at > this.latest) this.latest = at;
  }
}
