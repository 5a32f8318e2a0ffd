import { decodeOrThrow } from './decodeRecorded';
import { LedgerEvent } from '../domain/events';
import { EventStore, RecordedEvent } from '../store/eventStore';

export interface Loaded<S> {
  readonly state: S;
  /** Revision of the stream's last event folded into `state`; -1: none. */
  readonly revision: number;
}

/**
 * Decider states by stream, kept between commands: a load reads only the events appended since the
 * cached revision, so a busy stream is not replayed for every command. Bounded, least recently used
 * first out. States are immutable, so a cached one is never changed by a rejected decision.
 */
export class StreamStateCache {
  private readonly entries = new Map<string, Loaded<unknown>>();

  constructor(
    private readonly store: EventStore,
    private readonly capacity = 10_000,
  ) {}

  async load<S, Ev extends LedgerEvent>(streamId: string, evolve: (s: S, e: Ev) => S, initial: S): Promise<Loaded<S>> {
    const cached = this.entries.get(streamId) as Loaded<S> | undefined;
    const from = cached ?? { state: initial, revision: -1 };
    const fresh = await this.store.readStream(streamId, { fromRevision: from.revision + 1 });
    return this.remember(streamId, this.foldIn(from, fresh, evolve));
  }

  /** Folds the events an append just wrote, saving the read the next load would make. */
  appended<S, Ev extends LedgerEvent>(streamId: string, before: Loaded<S>, events: ReadonlyArray<RecordedEvent>, evolve: (s: S, e: Ev) => S): void {
    this.remember(streamId, this.foldIn(before, events, evolve));
  }

  private foldIn<S, Ev extends LedgerEvent>(from: Loaded<S>, events: ReadonlyArray<RecordedEvent>, evolve: (s: S, e: Ev) => S): Loaded<S> {
    let { state, revision } = from;
    for (const e of events) {
      if (e.position !== revision + 1) return from; // not contiguous: leave it to the next load
      state = evolve(state, decodeOrThrow(e).event as Ev);
      revision = e.position;
    }
    return { state, revision };
  }

  private remember<S>(streamId: string, loaded: Loaded<S>): Loaded<S> {
    this.entries.delete(streamId);
    this.entries.set(streamId, loaded);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return loaded;
  }
}
