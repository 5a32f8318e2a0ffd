import { AppendOptions, AppendResult, EventStore, NewEvent } from '../../../src/store/eventStore';
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

/**
 * The store as seen by one simulated process: every call waits for the scheduler's go, then delegates.
 * A proxy rather than a copy of the port's methods, so that the methods the port gains are scheduled too;
 * only `readAll` (an async iterable: it waits before its first event) and `close` are told apart.
 */
export const scheduledStore = (store: EventStore, scheduler: Scheduler, process: string, faults: () => Faults): EventStore =>
  new Proxy(store, {
    get(target, name) {
      const member: unknown = Reflect.get(target, name);
      // The store is shared: only the simulation closes it.
      if (name === 'close') return async () => undefined;
      if (typeof member !== 'function') return member;
      const call = (args: unknown[]) => member.apply(target, args);
      const label = (args: unknown[]) => `${process} ${String(name)} ${typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0] ?? '')}`;
      if (name === 'readAll') {
        return async function* (...args: unknown[]) {
          await scheduler.turn(label(args));
          yield* call(args) as AsyncIterable<unknown>;
        };
      }
      return async (...args: unknown[]) => {
        await scheduler.turn(label(args));
        const result: unknown = await call(args);
        if (name === 'append') {
          const [streamId, events, options] = args as Parameters<EventStore['append']>;
          if ((result as AppendResult).kind === 'appended' && faults().crashAfterWrite(streamId, events, options)) throw new InjectedCrash(streamId);
        }
        return result;
      };
    },
  });
