import {
  AppendOptions,
  AppendResult,
  EventStore,
  conflictOf,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
} from './eventStore';
import { CHAIN_ALGORITHM, chainHash, EMPTY_HEAD, LogHead } from './chain';

/** The reference adapter: scratch ledgers (`ledger simulate`) and fast tests. Not durable. */
export class InMemoryEventStore implements EventStore {
  private readonly log: RecordedEvent[] = [];
  private readonly streams = new Map<string, RecordedEvent[]>();
  private readonly commands = new Map<string, RecordedEvent[]>();

  constructor(private readonly clock: () => Date = () => new Date()) {}

  async append(streamId: string, events: ReadonlyArray<NewEvent>, options: AppendOptions): Promise<AppendResult> {
    const commandIds = options.commandIds ?? [];
    const previous = commandIds.map((id) => this.commands.get(id)).find((events) => events !== undefined);
    if (previous !== undefined) {
      const last = previous[previous.length - 1];
      return { kind: 'duplicate', nextExpectedRevision: last === undefined ? -1 : last.position, events: previous };
    }
    const stream = this.streams.get(streamId) ?? [];
    const refused = conflictOf(streamId, options, {
      revisionOf: (id) => (this.streams.get(id)?.length ?? 0) - 1,
      firstUnder: (prefix, after) => this.log.slice(after + 1).find((e) => e.streamId.startsWith(prefix))?.globalPosition,
    });
    if (refused !== undefined) return refused;
    const recordedAt = this.clock().toISOString();
    let hash = this.log[this.log.length - 1]?.chainHash ?? EMPTY_HEAD.chainHash;
    const recorded = events.map((e, i): RecordedEvent => {
      const fields = { streamId, position: stream.length + i, globalPosition: this.log.length + i, eventId: e.eventId, type: e.type, data: e.data ?? null, metadata: e.metadata };
      hash = chainHash(hash, fields);
      return { ...fields, recordedAt, chainHash: hash, chainAlgorithm: CHAIN_ALGORITHM };
    });
    stream.push(...recorded);
    this.log.push(...recorded);
    this.streams.set(streamId, stream);
    for (const id of commandIds) this.commands.set(id, recorded);
    return { kind: 'appended', nextExpectedRevision: stream.length - 1, events: recorded };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<ReadonlyArray<RecordedEvent>> {
    const from = options.fromRevision ?? 0;
    const stream = this.streams.get(streamId) ?? [];
    return stream.slice(from, options.limit === undefined ? undefined : from + options.limit);
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const prefix = options.streamPrefix ?? '';
    let left = options.limit ?? Infinity;
    for (let i = options.after === undefined ? 0 : options.after + 1; i < this.log.length && left > 0; i++) {
      const e = this.log[i] as RecordedEvent;
      if (!e.streamId.startsWith(prefix)) continue;
      left -= 1;
      yield e;
    }
  }

  async readCommand(commandId: string): Promise<ReadonlyArray<RecordedEvent> | undefined> {
    return this.commands.get(commandId);
  }

  async headPosition(): Promise<number> {
    return this.log.length - 1;
  }

  async logHead(): Promise<LogHead> {
    const last = this.log[this.log.length - 1];
    return last === undefined ? EMPTY_HEAD : { position: last.globalPosition, chainHash: last.chainHash as string };
  }

  async close(): Promise<void> {}
}
