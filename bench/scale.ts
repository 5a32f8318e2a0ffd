import { HistoryShape } from './bulkHistory';

/** How big each measurement is: `--quick` for a smoke run, the full one for docs/performance.md. */
export interface Scale {
  readonly name: 'quick' | 'full';
  /** Commands sent one at a time (figure 1). */
  readonly sequentialCommands: number;
  /** The replay and statement history (figures 2, 3, 5): one profile, the spec's 1,000 users over 12 months. */
  readonly history: HistoryShape;
  /** The same users and months with four times the usage (figure 5). */
  readonly largeHistory: HistoryShape;
  readonly statementRequests: number;
  /** Requests of the one heavy user in the heavy-user statement's month (issue 12: 1,000,000). */
  readonly heavyUserRequests: number;
  readonly httpSeconds: number;
  readonly httpConnections: number;
  /** Commands the 32 concurrent callers send in all (figure 6). */
  readonly concurrentCommands: number;
  /** Throughputs are the best of this many runs: the machine is shared, its noise only slows. */
  readonly repeats: number;
  /** Issue 18: each figure and its baseline run side by side this many times; the ratio is the median of theirs. */
  readonly pairs: number;
  /** HTTP batches of 1,000 consumptions measured per pair. */
  readonly batches: number;
  /** Users of the one big profile (issue 18 item 5: 50,000). */
  readonly bigProfileUsers: number;
}

const history = (users: number, usagePerUserMonth: number): HistoryShape => ({ profileId: 'p-bench', users, months: 12, usagePerUserMonth, start: '2025-01' });

export const SCALES: Readonly<Record<Scale['name'], Scale>> = {
  quick: {
    name: 'quick',
    sequentialCommands: 1_000,
    history: history(200, 21),
    largeHistory: history(200, 84),
    statementRequests: 200,
    // A tenth of the full figure, so that --quick stays quick; the JSON reports the count used.
    heavyUserRequests: 100_000,
    httpSeconds: 5,
    httpConnections: 16,
    concurrentCommands: 3_200,
    // Three, as the full run: one sample of an fsync-bound figure or of its baseline moved a ratio by 2× here.
    repeats: 3,
    pairs: 3,
    batches: 20,
    bigProfileUsers: 10_000,
  },
  full: {
    name: 'full',
    sequentialCommands: 5_000,
    // 1,000 users × 12 months × 84 requests: 1,008,000 usage events.
    history: history(1_000, 84),
    largeHistory: history(1_000, 334),
    statementRequests: 1_000,
    heavyUserRequests: 1_000_000,
    httpSeconds: 20,
    httpConnections: 16,
    concurrentCommands: 32_000,
    repeats: 3,
    pairs: 3,
    batches: 100,
    bigProfileUsers: 50_000,
  },
};
