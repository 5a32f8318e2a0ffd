import { SliceClock } from '../projections/slices';
import { EventStore, RecordedEvent } from '../store/eventStore';

export interface Loaded<S> {
  readonly state: S;
  /** Revision of the stream's last event folded into `state`; -1: none. */
  readonly revision: number;
}

/** Events read per call: a store reads a page in one synchronous call (SQLite), which must stay short. */
export const LOAD_PAGE = 200;

/**
 * Decider states by stream, kept between commands: a load reads only the events appended since the
 * cached revision, so a busy stream is not replayed for every command. Bounded, least recently used
 * first out. States are immutable, so a cached one is never changed by a rejected decision.
 * `Ev` is the family of events its streams hold (ledger events, API tokens), read with `decode`.
 *
 * A long stream (a 50,000-user profile's lifecycle, after a start) is read in pages, giving the
 * event loop a turn every few ms so that other requests are answered meanwhile; a load of a stream
 * that another load is reading waits for it and goes on from where it ended, so the stream is read once.
 */
export class StreamStateCache<Ev> {
  private readonly entries = new Map<string, Loaded<unknown>>();
  /** Streams being read, each until its read ends, failed or not (a failed read is its caller's to report). */
  private readonly reading = new Map<string, Promise<void>>();
  /** From the store's last look for other writers (`refresh`): streams known to have no events from a revision on. */
  private knownEnd: (streamId: string) => number | undefined = () => undefined;
  /** Streams an append found moved by another writer: their next load reads past what is cached, whatever `knownEnd` says. */
  private readonly movedStreams = new Set<string>();

  constructor(
    private readonly store: EventStore,
    private readonly decode: (e: RecordedEvent) => Ev,
    private readonly capacity = 10_000,
  ) {}

  /**
   * Asks the store, once, what it knows of streams' ends, so that the loads that follow skip the
   * streams that are known not to have moved. Those loads then read the streams as of this instant
   * (and this process's appends since); a decision made on them is checked at its append anyway.
   */
  async refresh(): Promise<void> {
    this.knownEnd = (await this.store.streamEnds?.()) ?? (() => undefined);
  }

  load<S, E extends Ev>(streamId: string, evolve: (s: S, e: E) => S, initial: S): Promise<Loaded<S>> {
    const reading = this.reading.get(streamId);
    return reading === undefined ? this.loadNow(streamId, evolve, initial) : reading.then(() => this.loadNow(streamId, evolve, initial));
  }

  /** Marks the stream as being read before its first pause, so that a load called meanwhile waits for it. */
  private async loadNow<S, E extends Ev>(streamId: string, evolve: (s: S, e: E) => S, initial: S): Promise<Loaded<S>> {
    const cached = this.entries.get(streamId) as Loaded<S> | undefined;
    const from = cached ?? { state: initial, revision: -1 };
    const end = this.movedStreams.delete(streamId) ? undefined : this.knownEnd(streamId);
    if (end !== undefined && end <= from.revision + 1) return this.remember(streamId, from);
    const read = this.readOn(streamId, from, evolve);
    const done = read.then(
      () => undefined,
      () => undefined,
    );
    this.reading.set(streamId, done);
    try {
      return await read;
    } finally {
      if (this.reading.get(streamId) === done) this.reading.delete(streamId);
    }
  }

  /** Folds the stream's events after `from` into it, page by page, remembering each page's state. */
  private async readOn<S, E extends Ev>(streamId: string, from: Loaded<S>, evolve: (s: S, e: E) => S): Promise<Loaded<S>> {
    const clock = new SliceClock(1);
    let loaded = from;
    for (;;) {
      const page = await this.store.readStream(streamId, { fromRevision: loaded.revision + 1, limit: LOAD_PAGE });
      const folded = this.foldIn(loaded, page, evolve);
      const gap = folded.revision !== loaded.revision + page.length;
      loaded = this.remember(streamId, folded);
      if (page.length < LOAD_PAGE || gap) return loaded;
      if (clock.due()) await clock.pause();
    }
  }

  /**
   * Folds the events an append just wrote right after `before`, as the caller decided them (what the
   * codecs read back is the same: events are checked to read back as written before they are
   * appended), saving the read and the decoding the next load would make.
   */
  appended<S, E extends Ev>(streamId: string, before: Loaded<S>, events: ReadonlyArray<E>, evolve: (s: S, e: E) => S): void {
    this.remember(streamId, { state: events.reduce(evolve, before.state), revision: before.revision + events.length });
  }

  /** A stream's state after an append, as its caller folded it already (a decision of a group, for the ones after it). */
  keep<S>(streamId: string, after: Loaded<S>): void {
    this.remember(streamId, after);
  }

  /**
   * A state of a stream folded elsewhere (the read model's running sum of a usage stream), taken
   * when nothing is cached for it: the next load reads only the events after its revision.
   */
  seed<S>(streamId: string, known: () => Loaded<S> | undefined): void {
    if (this.entries.has(streamId)) return;
    const loaded = known();
    if (loaded !== undefined) this.remember(streamId, loaded);
  }

  /**
   * Another writer moved the stream (an append's Conflict names it): its next load reads what follows
   * the cached state, without a look at every stream (a retry then costs one read, not one per stream).
   */
  markMoved(streamId: string): void {
    this.movedStreams.add(streamId);
  }

  /** Drops what is known of a stream: the next load reads it from the start. */
  forget(streamId: string): void {
    this.entries.delete(streamId);
  }

  private foldIn<S, E extends Ev>(from: Loaded<S>, events: ReadonlyArray<RecordedEvent>, evolve: (s: S, e: E) => S): Loaded<S> {
    let { state, revision } = from;
    for (const e of events) {
      if (e.position !== revision + 1) return from; // not contiguous: leave it to the next load
      state = evolve(state, this.decode(e) as E);
      revision = e.position;
    }
    return { state, revision };
  }

  /** Concurrent loads of one stream fold prefixes of it: the longer one is kept, and returned. */
  private remember<S>(streamId: string, loaded: Loaded<S>): Loaded<S> {
    const cached = this.entries.get(streamId) as Loaded<S> | undefined;
    if (cached !== undefined && cached.revision > loaded.revision) return cached;
    this.entries.delete(streamId);
    this.entries.set(streamId, loaded);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return loaded;
  }
}
