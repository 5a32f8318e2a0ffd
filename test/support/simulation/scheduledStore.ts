import { AppendOptions, EventStore, NewEvent } from '../../../src/store/eventStore';
import { Scheduler } from './scheduler';

/** A fault the simulation injects: the process dies after the append's first step is durable. */
export class InjectedCrash extends Error {
  constructor(streamId: string) {
    super(`injected crash after the append to ${streamId} was written`);
    this.name = 'InjectedCrash';
  }
}

/**
 * Where a crash may fall between the steps of a write. Every adapter's append is one atomic step
 * (in-memory: synchronous; SQLite: one transaction) except EventStoreDB's idempotent append, which
 * writes the events and then the command's index event; the shell adds its own second step for a
 * keyed request (the command's events, then the `meta/idempotency` response record). The wrapper
 * can only crash between whole appends, which covers the shell's two steps; a crash inside the
 * ESDB adapter's append needs a hook inside that adapter.
 */
export interface Faults {
  /** True to let this append write and then fail as if the process had died before answering. */
  crashAfterWrite(streamId: string, events: ReadonlyArray<NewEvent>, options: AppendOptions): boolean;
}

export const noFaults: Faults = { crashAfterWrite: () => false };

/** The store as seen by one simulated process: every call waits for the scheduler's go, then delegates. */
export const scheduledStore = (store: EventStore, scheduler: Scheduler, process: string, faults: () => Faults): EventStore => ({
  async append(streamId, events, options) {
    await scheduler.turn(`${process} append ${streamId}`);
    const result = await store.append(streamId, events, options);
    if (!result.duplicate && faults().crashAfterWrite(streamId, events, options)) throw new InjectedCrash(streamId);
    return result;
  },
  async readStream(streamId, options) {
    await scheduler.turn(`${process} read ${streamId}`);
    return store.readStream(streamId, options);
  },
  async *readAll(options) {
    await scheduler.turn(`${process} readAll ${options?.streamPrefix ?? ''}`);
    yield* store.readAll(options);
  },
  async readCommand(commandId) {
    await scheduler.turn(`${process} readCommand ${commandId}`);
    return store.readCommand(commandId);
  },
  async headPosition() {
    await scheduler.turn(`${process} head`);
    return store.headPosition();
  },
  // The store is shared: only the simulation closes it.
  close: async () => undefined,
});
