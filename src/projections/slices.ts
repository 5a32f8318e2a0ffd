import { performance } from 'node:perf_hooks';

/**
 * A long pure computation written as a generator that yields (nothing) where it may pause: the
 * same code runs to the end at once (`whole`, for tests and the CLI) or in slices across turns of
 * the event loop (`inSlices`, for a server that must keep answering others meanwhile).
 */
export type Sliced<T> = Generator<void, T, void>;

/** How many items a sliced loop handles between two pauses: each pause costs a clock read at most. */
export const PAUSE_EVERY = 64;

export const whole = <T>(work: Sliced<T>): T => {
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
  }
};

/** A slice's length: well below the 50 ms a request may hold the loop, well above a turn's cost. */
export const SLICE_MS = 8;

/**
 * The event loop's turns, shared by every sliced work of the process. Works that pause resume
 * together in the next turn and share its one slice: two big requests at once (or a catch-up and
 * the consumption index it feeds) held the loop for a slice each, one after the other, in the same
 * turn. A work that finds the turn spent before it could run goes first in the next, so none starves.
 */
class Turns {
  private began = performance.now();
  private ran: Array<() => void> = [];
  private starved: Array<() => void> = [];
  private scheduled = false;

  /** When the current turn's slice began. */
  get start(): number {
    return this.began;
  }

  next(starved: boolean): Promise<void> {
    return new Promise((resolve) => {
      (starved ? this.starved : this.ran).push(resolve);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.turn);
      }
    });
  }

  // Resolved in order: the works continue, as microtasks, in that order, before the loop goes on.
  private readonly turn = (): void => {
    this.scheduled = false;
    this.began = performance.now();
    const queue = [...this.starved, ...this.ran];
    this.starved = [];
    this.ran = [];
    for (const resolve of queue) resolve();
  };
}

const turns = new Turns();

/** Waits for a turn of the event loop with time left in its slice (shared with the others resumed in it); returns when that slice began. */
export const nextTurn = async (sliceMs = SLICE_MS): Promise<number> => {
  await turns.next(false);
  while (performance.now() - turns.start >= sliceMs) await turns.next(true);
  return turns.start;
};

/** Runs `work`, giving the event loop a turn whenever it has held it for `sliceMs`. */
export const inSlices = async <T>(work: Sliced<T>, sliceMs = SLICE_MS): Promise<T> => {
  let started = performance.now();
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
    if (performance.now() - started >= sliceMs) started = await nextTurn(sliceMs);
  }
};

/** Maps `items` in order, pausing every PAUSE_EVERY items. */
export function* mapSliced<A, B>(items: Iterable<A>, f: (a: A) => B): Sliced<B[]> {
  const out: B[] = [];
  for (const a of items) {
    out.push(f(a));
    if (out.length % PAUSE_EVERY === 0) yield;
  }
  return out;
}

/** A map of `entries` (the last of a key wins, as `new Map`), pausing every PAUSE_EVERY entries: a big profile's 50,000 users in one `new Map` hold the loop for tens of milliseconds. */
export function* mapOfSliced<K, V>(entries: Iterable<readonly [K, V]>): Sliced<Map<K, V>> {
  const out = new Map<K, V>();
  let n = 0;
  for (const [k, v] of entries) {
    out.set(k, v);
    if (++n % PAUSE_EVERY === 0) yield;
  }
  return out;
}

/** The items `keep` admits, in order, pausing every PAUSE_EVERY items. */
export function* filterSliced<A>(items: Iterable<A>, keep: (a: A) => boolean): Sliced<A[]> {
  const out: A[] = [];
  let n = 0;
  for (const a of items) {
    if (keep(a)) out.push(a);
    if (++n % PAUSE_EVERY === 0) yield;
  }
  return out;
}

/**
 * For an async loop over many items (events read from a store): `if (clock.due()) await clock.pause()`
 * after each item gives the event loop a turn once the loop has held it for `sliceMs`; the clock is
 * read every `checkEvery` items only.
 */
export class SliceClock {
  private started = performance.now();
  private items = 0;

  constructor(
    private readonly checkEvery = 100,
    private readonly sliceMs = SLICE_MS,
  ) {}

  due(): boolean {
    this.items += 1;
    return this.items % this.checkEvery === 0 && performance.now() - this.started >= this.sliceMs;
  }

  async pause(): Promise<void> {
    this.started = await nextTurn(this.sliceMs);
  }
}

/** Folds `items` in order, pausing every PAUSE_EVERY items: a sum over a big profile's users. */
export function* reduceSliced<A, B>(items: Iterable<A>, f: (b: B, a: A) => B, initial: B): Sliced<B> {
  let b = initial;
  let n = 0;
  for (const a of items) {
    b = f(b, a);
    if (++n % PAUSE_EVERY === 0) yield;
  }
  return b;
}

/** How many items a run of `sortSliced` sorts at once: a few milliseconds of the native sort. */
const SORTED_RUN = 2048;

/**
 * `items` sorted by `compare` (stable), pausing between steps: runs of SORTED_RUN sorted natively,
 * then merged pairwise, pausing every PAUSE_EVERY items moved. The whole users of a big profile
 * sorted at once would hold the event loop for tens of milliseconds.
 */
export function* sortSliced<A>(items: ReadonlyArray<A>, compare: (a: A, b: A) => number): Sliced<A[]> {
  let runs: A[][] = [];
  for (let i = 0; i < items.length; i += SORTED_RUN) {
    runs.push(items.slice(i, i + SORTED_RUN).sort(compare));
    yield;
  }
  while (runs.length > 1) {
    const merged: A[][] = [];
    for (let r = 0; r < runs.length; r += 2) {
      const a = runs[r] as A[];
      const b = runs[r + 1];
      if (b === undefined) {
        merged.push(a);
        continue;
      }
      const out: A[] = new Array<A>(a.length + b.length);
      let i = 0;
      let j = 0;
      for (let k = 0; k < out.length; k++) {
        // Ties take from the earlier run: the sort stays stable, as Array.prototype.sort is.
        out[k] = j >= b.length || (i < a.length && compare(a[i] as A, b[j] as A) <= 0) ? (a[i++] as A) : (b[j++] as A);
        if (k % PAUSE_EVERY === PAUSE_EVERY - 1) yield;
      }
      merged.push(out);
    }
    runs = merged;
  }
  return runs[0] ?? [];
}
