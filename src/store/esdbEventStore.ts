import {
  AppendExpectedRevision,
  BACKWARDS,
  END,
  EventStoreDBClient,
  JSONType,
  jsonEvent,
  NO_STREAM,
  ANY,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import { createHash } from 'node:crypto';
import {
  AppendOptions,
  AppendResult,
  ConcurrencyError,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
} from './eventStore';

/**
 * ESDB has no secondary index, so each idempotent append is followed by one event in the
 * stream `command-<commandId>` pointing at the events it wrote (see docs/durability.md).
 */
const COMMAND_INDEX_PREFIX = 'command-';
const COMMAND_INDEX_TYPE = 'CommandAppended';

interface CommandIndex {
  readonly streamId: string;
  readonly firstRevision: number;
  readonly count: number;
  readonly nextExpectedRevision: number;
}

/** What an append wrote, whether this call or an earlier one of the same command wrote it. */
type Written = Omit<AppendResult, 'duplicate'>;

/** The port's event id travels in ESDB metadata: ESDB's own ids must be UUIDs and may be derived. */
type StoredMetadata = EventMetadata & { readonly eventId?: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A name-based UUID (SHA-1, version 5 layout): the same name always gives the same id. */
const uuidFrom = (name: string): string => {
  const hash = createHash('sha1').update('subscription-ledger:').update(name).digest().subarray(0, 16);
  hash.writeUInt8((hash.readUInt8(6) & 0x0f) | 0x50, 6);
  hash.writeUInt8((hash.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = hash.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

/**
 * Under a command id the ESDB ids depend only on the command and the event's place in it, so a
 * retry of the same command (even one that minted fresh event ids) writes the same ids and
 * ESDB's own idempotency recognises it.
 */
const esdbEventId = (event: NewEvent, index: number, commandId: string | undefined): string => {
  if (commandId !== undefined) return uuidFrom(`command:${commandId}:${index}`);
  return UUID.test(event.eventId) ? event.eventId : uuidFrom(`event:${event.eventId}`);
};

const toEsdbExpected = (expected: ExpectedRevision): AppendExpectedRevision => {
  switch (expected.kind) {
    case 'noStream':
      return NO_STREAM;
    case 'streamExists':
      return STREAM_EXISTS;
    case 'any':
      return ANY;
    case 'exact':
      return expected.revision < 0 ? NO_STREAM : BigInt(expected.revision);
  }
};

/** System streams and events (`$…`) and our command index are not part of the ledger's log. */
const isInternal = (e: EsdbRecordedEvent): boolean =>
  e.streamId.startsWith('$') ||
  e.type.startsWith('$') ||
  (e.streamId.startsWith(COMMAND_INDEX_PREFIX) && e.type === COMMAND_INDEX_TYPE);

/** What servers before 22.6 sent instead of a position on stream reads. */
const NO_POSITION = 2n ** 64n - 1n;

const globalPositionOf = (e: EsdbRecordedEvent): number => {
  if (e.position === undefined || e.position.commit === NO_POSITION) {
    throw new Error(`EventStoreDB returned ${e.streamId}@${e.revision} without its position: server 22.6 or later needed`);
  }
  return Number(e.position.commit);
};

const toRecorded = (e: EsdbRecordedEvent): RecordedEvent => {
  const { eventId, ...metadata } = (e.metadata ?? {}) as unknown as StoredMetadata;
  return {
    streamId: e.streamId,
    position: Number(e.revision),
    globalPosition: globalPositionOf(e),
    eventId: eventId ?? e.id,
    type: e.type,
    data: e.data,
    metadata,
    recordedAt: e.created.toISOString(),
  };
};

/** `kurrentdb://` is the newer name of `esdb://`; this client only parses the latter. */
export const toEsdbConnectionString = (url: string): string =>
  url.replace(/^kurrent(?:db)?(\+discover)?:\/\//, 'esdb$1://');

/**
 * EventStoreDB / KurrentDB adapter. globalPosition is the commit position in `$all` (unique per
 * event for ordinary appends, increasing in log order), so `readAll({ after })` resumes there.
 */
export class EsdbEventStore implements EventStore {
  private readonly commandsInFlight = new Map<string, Promise<AppendResult>>();

  constructor(private readonly client: EventStoreDBClient) {}

  /** `esdb://`, `esdb+discover://` or `kurrentdb://` connection string; connects lazily. */
  static connect(connectionString: string): EsdbEventStore {
    return new EsdbEventStore(EventStoreDBClient.connectionString(toEsdbConnectionString(connectionString)));
  }

  async append(streamId: string, events: ReadonlyArray<NewEvent>, options: AppendOptions): Promise<AppendResult> {
    if ((options.commandIds?.length ?? 0) > 1 || (options.guards?.length ?? 0) > 0) {
      // EventStoreDB appends to one stream at a time: several command ids or a guard cannot be atomic there.
      throw new Error('EsdbEventStore: several command ids and guards need an atomic multi-stream append, which this adapter lacks');
    }
    const commandId = options.commandIds?.[0];
    if (commandId === undefined) {
      return { ...(await this.write(streamId, events, options.expectedRevision)), duplicate: false };
    }
    // Appends of one command are serialised in this process: the later ones then find the index
    // instead of racing ESDB with a copy it may not yet recognise as idempotent.
    const earlier = this.commandsInFlight.get(commandId)?.catch(() => undefined) ?? Promise.resolve();
    const attempt = earlier.then(() => this.appendCommand(streamId, events, options.expectedRevision, commandId));
    this.commandsInFlight.set(commandId, attempt);
    try {
      return await attempt;
    } finally {
      if (this.commandsInFlight.get(commandId) === attempt) this.commandsInFlight.delete(commandId);
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<ReadonlyArray<RecordedEvent>> {
    return (await this.readRaw(streamId, options.fromRevision ?? 0, options.limit)).map(toRecorded);
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const after = options.after ?? -1;
    let remaining = options.limit ?? Infinity;
    if (remaining <= 0) return;
    // An event's position is inclusive as a start point: begin there and skip that event.
    const read = this.client.readAll({
      fromPosition: after < 0 ? START : { commit: BigInt(after), prepare: BigInt(after) },
    });
    try {
      for await (const { event } of read) {
        if (event === undefined || isInternal(event) || globalPositionOf(event) <= after) continue;
        // Reads of $all take no server-side filter in this client version: filter here.
        if (options.streamPrefix !== undefined && !event.streamId.startsWith(options.streamPrefix)) continue;
        yield toRecorded(event);
        if (--remaining === 0) return;
      }
    } finally {
      // Leaving early would otherwise keep the server-side read open.
      await read.cancel();
    }
  }

  async readCommand(commandId: string): Promise<ReadonlyArray<RecordedEvent> | undefined> {
    return (await this.commandResult(commandId))?.events;
  }

  async headPosition(): Promise<number> {
    const read = this.client.readAll({ fromPosition: END, direction: BACKWARDS });
    try {
      for await (const { event } of read) {
        if (event !== undefined && !isInternal(event)) return globalPositionOf(event);
      }
      return -1;
    } finally {
      await read.cancel();
    }
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }

  private async appendCommand(
    streamId: string,
    events: ReadonlyArray<NewEvent>,
    expected: ExpectedRevision,
    commandId: string,
  ): Promise<AppendResult> {
    const previous = await this.commandResult(commandId);
    if (previous !== undefined) return { ...previous, duplicate: true };
    const written = await this.write(streamId, events, expected, commandId);
    const winner = await this.recordCommand(commandId, streamId, written);
    return winner !== undefined ? { ...winner, duplicate: true } : { ...written, duplicate: false };
  }

  /** Appends and reads the events back (their global positions are only known to `$all`). */
  private async write(
    streamId: string,
    events: ReadonlyArray<NewEvent>,
    expected: ExpectedRevision,
    commandId?: string,
  ): Promise<Written> {
    const ids = events.map((e, i) => esdbEventId(e, i, commandId));
    const data = events.map((e, i) =>
      jsonEvent({
        id: ids[i] as string,
        type: e.type,
        data: e.data as JSONType,
        metadata: { ...e.metadata, eventId: e.eventId } satisfies StoredMetadata,
      }),
    );
    try {
      const result = await this.client.appendToStream(streamId, data, { expectedRevision: toEsdbExpected(expected) });
      const last = Number(result.nextExpectedRevision);
      const recorded = await this.readStream(streamId, { fromRevision: last - events.length + 1, limit: events.length });
      return { nextExpectedRevision: last, events: recorded };
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      const earlier = commandId !== undefined ? await this.earlierCopy(streamId, ids, expected) : undefined;
      if (earlier !== undefined) return earlier;
      const actual = error.actualVersion === NO_STREAM ? -1 : Number(error.actualVersion);
      throw new ConcurrencyError(streamId, expected, actual);
    }
  }

  /**
   * A conflict on a command's append may be that command's own earlier attempt (a crash before
   * its index was written, or a concurrent duplicate ESDB did not yet see as idempotent). With a
   * fixed expectation its events can only sit right after the expected revision: look there.
   */
  private async earlierCopy(
    streamId: string,
    ids: ReadonlyArray<string>,
    expected: ExpectedRevision,
  ): Promise<Written | undefined> {
    if (expected.kind !== 'noStream' && expected.kind !== 'exact') return undefined;
    const from = expected.kind === 'noStream' ? 0 : expected.revision + 1;
    const found = await this.readRaw(streamId, from, ids.length);
    const same = found.length === ids.length && found.every((e, i) => e.id.toLowerCase() === ids[i]?.toLowerCase());
    return same ? { nextExpectedRevision: from + ids.length - 1, events: found.map(toRecorded) } : undefined;
  }

  /** Writes the command's index; if another append of the same command got there first, returns its result. */
  private async recordCommand(
    commandId: string,
    streamId: string,
    written: Written,
  ): Promise<Written | undefined> {
    const index: CommandIndex = {
      streamId,
      firstRevision: written.nextExpectedRevision - written.events.length + 1,
      count: written.events.length,
      nextExpectedRevision: written.nextExpectedRevision,
    };
    try {
      // A random id: two racing duplicates must not both "succeed" through ESDB idempotency.
      await this.client.appendToStream(
        COMMAND_INDEX_PREFIX + commandId,
        jsonEvent({ type: COMMAND_INDEX_TYPE, data: { ...index } }),
        { expectedRevision: NO_STREAM },
      );
      return undefined;
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      return this.commandResult(commandId);
    }
  }

  private async commandResult(commandId: string): Promise<Written | undefined> {
    const [entry] = await this.readRaw(COMMAND_INDEX_PREFIX + commandId, 0, 1);
    if (entry === undefined) return undefined;
    const index = entry.data as unknown as CommandIndex;
    const events = await this.readStream(index.streamId, { fromRevision: index.firstRevision, limit: index.count });
    return { nextExpectedRevision: index.nextExpectedRevision, events };
  }

  private async readRaw(streamId: string, fromRevision: number, limit?: number): Promise<EsdbRecordedEvent[]> {
    if (limit === 0) return [];
    const events: EsdbRecordedEvent[] = [];
    try {
      const read = this.client.readStream(streamId, { fromRevision: BigInt(fromRevision), maxCount: limit });
      for await (const { event } of read) if (event !== undefined) events.push(event);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }
}
