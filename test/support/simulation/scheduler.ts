import { Prng } from '../../../src/simulation/prng';

/** One store operation waiting for its turn. */
interface Waiting {
  readonly label: string;
  readonly proceed: () => void;
}

/** Lets the callbacks that are ready run (promise jobs, and the immediates a SQLite group commit uses). */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A deterministic scheduler for concurrent tasks that meet only at the event store: each store
 * operation waits in `turn` until the scheduler, once every task is blocked, picks one waiting
 * operation with the PRNG and lets it proceed. The same seed therefore replays the same interleaving.
 */
export class Scheduler {
  private readonly waiting: Waiting[] = [];
  /** The labels of the operations let through, in order: the interleaving, for a failure report. */
  readonly trace: string[] = [];

  constructor(
    private readonly random: Prng,
    /** Called each time an operation proceeds: the simulated clock advances with the schedule. */
    private readonly onStep: () => void = () => undefined,
  ) {}

  turn(label: string): Promise<void> {
    return new Promise((proceed) => this.waiting.push({ label, proceed }));
  }

  /** Runs the tasks to the end, one store operation at a time. */
  async run<T>(tasks: ReadonlyArray<() => Promise<T>>): Promise<ReadonlyArray<PromiseSettledResult<T>>> {
    let finished = false;
    const all = Promise.allSettled(tasks.map((task) => task())).finally(() => {
      finished = true;
    });
    for (;;) {
      await this.quiesce(() => finished);
      if (finished) return all;
      if (this.waiting.length === 0) throw new Error('simulation stuck: no task waits on the store, yet not all have finished');
      const [next] = this.waiting.splice(this.random.int(this.waiting.length), 1) as [Waiting];
      this.trace.push(next.label);
      this.onStep();
      next.proceed();
    }
  }

  /** Ticks until a tick changes nothing: every task is waiting for its turn, or done. */
  private async quiesce(finished: () => boolean): Promise<void> {
    let before = -1;
    for (let stable = 0; stable < 2; ) {
      await tick();
      const now = this.waiting.length + (finished() ? 1_000_000 : 0);
      stable = now === before ? stable + 1 : 0;
      before = now;
    }
  }
}
