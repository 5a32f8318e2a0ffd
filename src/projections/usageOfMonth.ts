import { EventRef } from '../domain/events';
import { Dec } from '../domain/money';
import { toMillis } from '../domain/time';
import { UsageRange } from './statementTypes';

/** One user's consumption in one month of one profile, as the statement reads it (K6, L4, L6). */
export interface UsageOfMonth {
  readonly credits: Dec;
  /** Consumption events counted, one by one: L6 checks the ranges against it. */
  readonly count: number;
  /** The latest `occurredAt` among them (consumptions may arrive in any order, T2). */
  readonly lastAt: string;
  /** Every one of them, as contiguous runs of positions per stream, in the order the runs began. */
  readonly ranges: ReadonlyArray<UsageRange>;
}

interface Run {
  readonly streamId: string;
  readonly fromPosition: number;
  toPosition: number;
  count: number;
}

/** Same-length instants in the wire form compare as text; anything else by the clock. */
export const later = (a: string, b: string): string => ((a.length === b.length ? a >= b : toMillis(a) >= toMillis(b)) ? a : b);

/**
 * The running aggregate the read model keeps per user-month: updated as each consumption arrives,
 * so that a statement never folds a month of usage events (a heavy user makes hundreds of
 * thousands). It is the read model's own mutable state; `read()` hands out an immutable copy.
 */
export class UsageAggregate {
  private credits: Dec;
  private count = 0;
  private lastAt: string;
  private readonly runs: Run[] = [];

  private constructor(credits: Dec, lastAt: string) {
    this.credits = credits;
    this.lastAt = lastAt;
  }

  static of(ref: EventRef, credits: Dec, occurredAt: string): UsageAggregate {
    const a = new UsageAggregate(credits, occurredAt);
    a.extend(ref.streamId, ref.position);
    a.count = 1;
    return a;
  }

  /** As saved in a read-model snapshot. */
  static restore(u: UsageOfMonth): UsageAggregate {
    const a = new UsageAggregate(u.credits, u.lastAt);
    for (const r of u.ranges) a.runs.push({ ...r });
    a.count = u.count;
    return a;
  }

  add(ref: EventRef, credits: Dec, occurredAt: string): void {
    this.credits = this.credits.plus(credits);
    this.lastAt = later(occurredAt, this.lastAt);
    this.count += 1;
    this.extend(ref.streamId, ref.position);
  }

  /** How many consumption events it holds: the usage part of a statement's version. */
  get size(): number {
    return this.count;
  }

  /** The revision of `streamId` it has summed every event up to, when it holds exactly that stream's first events; else undefined. */
  revisionOf(streamId: string): number | undefined {
    const run = this.runs.length === 1 ? this.runs[0] : undefined;
    return run !== undefined && run.streamId === streamId && run.fromPosition === 0 && run.count === this.count ? run.toPosition : undefined;
  }

  /** The sum so far, and the latest instant. */
  get total(): { readonly credits: Dec; readonly lastAt: string } {
    return { credits: this.credits, lastAt: this.lastAt };
  }

  read(): UsageOfMonth {
    return { credits: this.credits, count: this.count, lastAt: this.lastAt, ranges: this.runs.map((r) => ({ ...r })) };
  }

  /**
   * The stream's last run takes the position if it follows on. Found by a scan from the end rather
   * than a map per aggregate: a user-month has a run or two, and a big profile's 50,000 aggregates
   * would otherwise be 50,000 more maps for the collector to trace.
   */
  private extend(streamId: string, position: number): void {
    for (let i = this.runs.length - 1; i >= 0; i--) {
      const run = this.runs[i] as Run;
      if (run.streamId !== streamId) continue;
      if (run.toPosition + 1 !== position) break;
      run.toPosition = position;
      run.count += 1;
      return;
    }
    this.runs.push({ streamId, fromPosition: position, toPosition: position, count: 1 });
  }
}

/**
 * A user-month's consumption as one usage stream holds it (positions 0 to `revision`, one run), from
 * its folded sum and latest date: what a decision that reads the stream through its cached state
 * hands the statement fold, as the read model would have summed it. Undefined: no consumption.
 */
export const usageOfStream = (streamId: string, revision: number, credits: Dec, lastAt: string | null): UsageOfMonth | undefined =>
  revision < 0 || lastAt === null ? undefined : { credits, count: revision + 1, lastAt, ranges: [{ streamId, fromPosition: 0, toPosition: revision, count: revision + 1 }] };
