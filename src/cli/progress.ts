import { SingleBar } from 'cli-progress';
import { CliIO } from './cliCommand';

/** Progress of a long CLI job, on stderr so that stdout stays the job's result. */
export interface Progress {
  /** `total` may grow when the first estimate was low. */
  update(done: number, total?: number): void;
  stop(): void;
}

/** Plain lines at every tenth of the way: what a log file or CI output can hold. */
const PLAIN_STEPS = 10;

/**
 * A bar redrawn in place when stderr is a terminal; otherwise a few plain lines, since a bar's
 * carriage returns would fill a log with thousands of redraws.
 */
export const progress = (label: string, total: number, io: CliIO, tty: boolean = process.stderr.isTTY === true): Progress => {
  if (tty) {
    const bar = new SingleBar({
      format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
    });
    bar.start(total, 0);
    return {
      update: (done, newTotal) => {
        if (newTotal !== undefined) bar.setTotal(newTotal);
        bar.update(done);
      },
      stop: () => bar.stop(),
    };
  }
  let expected = total;
  let reported = 0;
  return {
    update: (done, newTotal) => {
      expected = newTotal ?? expected;
      const step = expected <= 0 ? PLAIN_STEPS : Math.floor((done / expected) * PLAIN_STEPS);
      if (step > reported && step < PLAIN_STEPS) {
        reported = step;
        io.err(`${label}: ${done}/${expected} (${step * PLAIN_STEPS}%)`);
      }
    },
    stop: () => undefined,
  };
};
