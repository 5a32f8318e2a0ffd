import {
  AllStreamResolvedEvent,
  AppendExpectedRevision,
  AppendResult as EsdbAppendResult,
  AppendToStreamOptions,
  ANY,
  BACKWARDS,
  Credentials,
  END,
  EventData,
  EventStoreDBClient,
  JSONType,
  jsonEvent,
  NO_STREAM,
  Position,
  ReadAllOptions as EsdbReadAllOptions,
  ReadStreamOptions as EsdbReadStreamOptions,
  ResolvedEvent,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import {
  AppendOptions,
  AppendResult,
  AppendChecks,
  conflictOf,
  EventMetadata,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
} from './eventStore';
import { chainHash, EMPTY_HEAD, LogHead } from './chain';

/**
 * The parts of EventStoreDBClient this adapter uses (the client satisfies it; tests pass an
 * in-memory fake, test/store/fakeEsdbClient.ts).
 */
export interface EsdbClient {
  appendToStream(streamName: string, events: EventData | EventData[], options?: AppendToStreamOptions): Promise<EsdbAppendResult>;
  readStream(streamName: string, options?: EsdbReadStreamOptions): AsyncIterable<ResolvedEvent> & { cancel(): Promise<void> };
  readAll(options?: EsdbReadAllOptions): AsyncIterable<AllStreamResolvedEvent> & { cancel(): Promise<void> };
  dispose(): Promise<void>;
}

/**
 * ESDB appends to one stream at a time, so what the port does atomically is done here in steps
 * that stay correct when interrupted (docs/stores.md, "EventStoreDB"):
 * - a command id is claimed BEFORE the events are written: an attempt event in `command-<id>`
 *   names the stream, the exact revision the events must follow and their ESDB ids. The attempt
 *   has landed iff those ids are at that place; an attempt can land only there (the write uses
 *   that exact expected revision), so a retry checks one place, never a scan;
 * - a new stream is listed under each `/`-prefix of its id (`directory-<prefix>`) before it is
 *   created, so that a profile's events are read from its own streams, not by scanning $all.
 */
const COMMAND_PREFIX = 'command-';
const ATTEMPT_TYPE = 'CommandAttempted';
const DIRECTORY_PREFIX = 'directory-';
const LISTED_TYPE = 'StreamListed';

interface Attempt {
  readonly streamId: string;
  /** The revision the events follow (-1: a new stream). */
  readonly after: number;
  readonly eventIds: ReadonlyArray<string>;
}

/** A claim stream's attempts, and its revision (for the next attempt's expected revision). */
interface Claims {
  readonly attempts: ReadonlyArray<Attempt>;
  readonly revision: number;
}

/** The port's event id travels in ESDB metadata: ESDB's own ids must be UUIDs. */
type StoredMetadata = EventMetadata & { readonly eventId?: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const toEsdbExpected = (after: number): AppendExpectedRevision => (after < 0 ? NO_STREAM : BigInt(after));

/** Our bookkeeping streams and ESDB's system streams (`$…`) are not part of the ledger's log. */
const isInternal = (e: EsdbRecordedEvent): boolean =>
  e.streamId.startsWith('$') ||
  e.type.startsWith('$') ||
  (e.streamId.startsWith(COMMAND_PREFIX) && e.type === ATTEMPT_TYPE) ||
  (e.streamId.startsWith(DIRECTORY_PREFIX) && e.type === LISTED_TYPE);

/** What servers before 22.6 sent instead of a position on stream reads. */
const NO_POSITION = 2n ** 64n - 1n;

const positionOf = (e: EsdbRecordedEvent): Position => {
  if (e.position === undefined || e.position.commit === NO_POSITION) {
    throw new Error(`EventStoreDB returned ${e.streamId}@${e.revision} without its position: server 22.6 or later needed`);
  }
  return e.position;
};

/** The commit position as the port's number; beyond 2^53 it would silently round. */
const globalPositionOf = (e: EsdbRecordedEvent): number => {
  const commit = positionOf(e).commit;
  if (commit > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`EventStoreDB position ${commit} of ${e.streamId}@${e.revision} is not a safe integer`);
  return Number(commit);
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

/** Every non-empty `/`-terminated prefix of a stream id: the directories a new stream is listed in. */
const slashPrefixes = (streamId: string): string[] => {
  const out: string[] = [];
  for (let i = streamId.indexOf('/'); i >= 0; i = streamId.indexOf('/', i + 1)) out.push(streamId.slice(0, i + 1));
  return out;
};

/** `kurrentdb://` is the newer name of `esdb://`; this client only parses the latter. */
export const toEsdbConnectionString = (url: string): string => url.replace(/^kurrent(?:db)?(\+discover)?:\/\//, 'esdb$1://');

/** The user and password of a connection string, passed explicitly with every call (undefined: none given). */
export const credentialsOf = (url: string): Credentials | undefined => {
  const match = /^[a-z+]+:\/\/([^:@/]+):([^@/]*)@/.exec(url);
  return match === null ? undefined : { username: decodeURIComponent(match[1] as string), password: decodeURIComponent(match[2] as string) };
};

/** Known record boundaries kept for `readAll({ after })` (see `startOf`). */
const MAX_KNOWN_POSITIONS = 100_000;

export interface EsdbEventStoreOptions {
  readonly credentials?: Credentials;
  /** How long an append waits for another append holding one of its command ids on another stream. */
  readonly claimWaitMs?: number;
}

/**
 * EventStoreDB / KurrentDB adapter. globalPosition is the commit position in `$all`; positions are
 * opaque: `readAll({ after })` starts at a record this process has seen at or below `after`, else
 * at the start, and skips what is not above `after`.
 */
export class EsdbEventStore implements EventStore {
  private readonly commandsInFlight = new Map<string, Promise<AppendResult>>();
  private readonly known = new Map<number, Position>();
  private readonly claimWaitMs: number;
  private computedHead: LogHead = EMPTY_HEAD;
  /** Every call: reads that decide must not come from a lagging follower; credentials as given. */
  private readonly call: { readonly requiresLeader: true; readonly credentials?: Credentials };

  constructor(
    private readonly client: EsdbClient,
    options: EsdbEventStoreOptions = {},
  ) {
    this.claimWaitMs = options.claimWaitMs ?? 5000;
    this.call = options.credentials === undefined ? { requiresLeader: true } : { requiresLeader: true, credentials: options.credentials };
  }

  /** `esdb://`, `esdb+discover://` or `kurrentdb://` connection string; connects lazily. */
  static connect(connectionString: string): EsdbEventStore {
    const url = toEsdbConnectionString(connectionString);
    const credentials = credentialsOf(url);
    return new EsdbEventStore(EventStoreDBClient.connectionString(url), credentials === undefined ? {} : { credentials });
  }

  async append(streamId: string, events: ReadonlyArray<NewEvent>, options: AppendOptions): Promise<AppendResult> {
    const first = options.commandIds?.[0];
    if (first === undefined) return this.appendOnce(streamId, events, options);
    // Appends of one command are serialised in this process; across processes the claims decide.
    const earlier = this.commandsInFlight.get(first)?.catch(() => undefined) ?? Promise.resolve();
    const attempt = earlier.then(() => this.appendOnce(streamId, events, options));
    this.commandsInFlight.set(first, attempt);
    try {
      return await attempt;
    } finally {
      if (this.commandsInFlight.get(first) === attempt) this.commandsInFlight.delete(first);
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<ReadonlyArray<RecordedEvent>> {
    return (await this.readRaw(streamId, options.fromRevision ?? 0, options.limit)).map((e) => this.remember(e));
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const after = options.after ?? -1;
    let remaining = options.limit ?? Infinity;
    if (remaining <= 0) return;
    const prefix = options.streamPrefix;
    const source = prefix !== undefined && prefix.includes('/') ? this.readPrefix(prefix, after) : this.readAllFrom(after);
    for await (const event of source) {
      if (event.globalPosition <= after || (prefix !== undefined && !event.streamId.startsWith(prefix))) continue;
      yield event;
      if (--remaining === 0) return;
    }
  }

  async readCommand(commandId: string): Promise<ReadonlyArray<RecordedEvent> | undefined> {
    const claims = await this.claims(commandId);
    for (const attempt of claims.attempts) {
      const landed = await this.landed(attempt);
      if (landed !== undefined) return landed;
    }
    return undefined;
  }

  async headPosition(): Promise<number> {
    const read = this.client.readAll({ ...this.call, fromPosition: END, direction: BACKWARDS });
    try {
      for await (const { event } of read) {
        if (event !== undefined && !isInternal(event)) return this.remember(event).globalPosition;
      }
      return -1;
    } finally {
      await read.cancel();
    }
  }

  /**
   * EventStoreDB stores no chain: the head is the chain (F1) computed over what `$all` reads now,
   * carried on from the last head this process computed. It proves nothing against the server's
   * operator by itself; a head a client kept does (docs/stores.md, "What the chain proves here").
   */
  async logHead(): Promise<LogHead> {
    let head = this.computedHead;
    for await (const event of this.readAll({ after: head.position })) head = { position: event.globalPosition, chainHash: chainHash(head.chainHash, event) };
    this.computedHead = head;
    return head;
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }

  /**
   * One append: claims its command ids, checks, writes at an exact revision; on a race it starts
   * over from fresh reads, which then find the winner (a duplicate) or a new revision.
   */
  private async appendOnce(streamId: string, events: ReadonlyArray<NewEvent>, options: AppendOptions): Promise<AppendResult> {
    const commandIds = options.commandIds ?? [];
    for (;;) {
      // The head first: an attempt found pending below may still land, but then only at `head + 1`.
      const head = await this.revisionOf(streamId);
      const claims: Claims[] = [];
      for (const id of commandIds) {
        const c = await this.claims(id);
        for (const attempt of c.attempts) {
          const previous = await this.landed(attempt);
          const last = previous?.[previous.length - 1];
          if (previous !== undefined && last !== undefined) return { kind: 'duplicate', nextExpectedRevision: last.position, events: previous };
        }
        claims.push(c);
      }
      const refused = conflictOf(streamId, options, await this.checksOf(streamId, head, options));
      if (refused !== undefined) return refused;
      if (events.length === 0) return { kind: 'appended', nextExpectedRevision: head, events: [] };
      const blocking = await this.pendingElsewhere(streamId, claims);
      if (blocking !== undefined) {
        const outcome = await this.waitFor(blocking);
        if (outcome !== undefined) return { kind: 'duplicate', nextExpectedRevision: (outcome[outcome.length - 1] as RecordedEvent).position, events: outcome };
        continue;
      }
      const ids = events.map((e) => (UUID.test(e.eventId) ? e.eventId : randomUUID()));
      const attempt: Attempt = { streamId, after: head, eventIds: ids };
      if (!(await this.claim(commandIds, claims, attempt))) continue;
      if (head < 0) await this.list(streamId);
      const written = await this.write(streamId, events, ids, head);
      if (written !== undefined) return { kind: 'appended', nextExpectedRevision: head + events.length, events: written };
    }
  }

  /** Writes after exactly `head`; undefined if the stream moved (the caller starts over). */
  private async write(streamId: string, events: ReadonlyArray<NewEvent>, ids: ReadonlyArray<string>, head: number): Promise<RecordedEvent[] | undefined> {
    const data = events.map((e, i) =>
      jsonEvent({ id: ids[i] as string, type: e.type, data: e.data as JSONType, metadata: { ...e.metadata, eventId: e.eventId } satisfies StoredMetadata }),
    );
    try {
      await this.client.appendToStream(streamId, data, { ...this.call, expectedRevision: toEsdbExpected(head) });
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) return undefined;
      throw error;
    }
    // Only a read tells each event's global position and recording time.
    return (await this.readRaw(streamId, head + 1, events.length)).map((e) => this.remember(e));
  }

  /** Registers the attempt under every command id; false if another append claimed one meanwhile. */
  private async claim(commandIds: ReadonlyArray<string>, claims: ReadonlyArray<Claims>, attempt: Attempt): Promise<boolean> {
    for (const [i, id] of commandIds.entries()) {
      try {
        await this.client.appendToStream(COMMAND_PREFIX + id, jsonEvent({ type: ATTEMPT_TYPE, data: { ...attempt, eventIds: [...attempt.eventIds] } }), {
          ...this.call,
          expectedRevision: toEsdbExpected((claims[i] as Claims).revision),
        });
      } catch (error) {
        if (error instanceof WrongExpectedVersionError) return false;
        throw error;
      }
    }
    return true;
  }

  /**
   * An attempt under one of the ids that targets another stream and can still land there (that
   * stream has not moved past it). Writing now could write the command twice: one append per
   * stream cannot exclude the other.
   */
  private async pendingElsewhere(streamId: string, claims: ReadonlyArray<Claims>): Promise<Attempt | undefined> {
    for (const attempt of claims.flatMap((c) => c.attempts)) {
      if (attempt.streamId !== streamId && (await this.revisionOf(attempt.streamId)) === attempt.after) return attempt;
    }
    return undefined;
  }

  /** Waits for an attempt to land (its events) or to become impossible (undefined). */
  private async waitFor(attempt: Attempt): Promise<RecordedEvent[] | undefined> {
    const deadline = Date.now() + this.claimWaitMs;
    for (let pause = 2; ; pause = Math.min(pause * 2, 100)) {
      const landed = await this.landed(attempt);
      if (landed !== undefined) return landed;
      if ((await this.revisionOf(attempt.streamId)) !== attempt.after) return undefined;
      if (Date.now() > deadline) {
        throw new Error(
          `a command id of this append is held by an unfinished append to ${attempt.streamId}; retry that command, or this one later`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /** The attempt's events if they are where it said they would be. */
  private async landed(attempt: Attempt): Promise<RecordedEvent[] | undefined> {
    const found = await this.readRaw(attempt.streamId, attempt.after + 1, attempt.eventIds.length);
    const same = found.length === attempt.eventIds.length && found.every((e, i) => e.id.toLowerCase() === attempt.eventIds[i]?.toLowerCase());
    return same ? found.map((e) => this.remember(e)) : undefined;
  }

  private async claims(commandId: string): Promise<Claims> {
    const found = await this.readRaw(COMMAND_PREFIX + commandId, 0);
    return { attempts: found.map((e) => e.data as unknown as Attempt), revision: found.length - 1 };
  }

  /**
   * What the append's checks ask, read before it: not atomic with the write (see docs/stores.md for
   * what that leaves open). Each prefix guard reads the prefix's directory for an event above its position.
   */
  private async checksOf(streamId: string, head: number, options: AppendOptions): Promise<AppendChecks> {
    const revisions = new Map<string, number>([[streamId, head]]);
    for (const g of options.guards ?? []) revisions.set(g.streamId, await this.revisionOf(g.streamId));
    const firsts = new Map<string, number | undefined>();
    for (const g of options.prefixGuards ?? []) firsts.set(`${g.after}:${g.streamPrefix}`, await this.firstAfter(g.streamPrefix, g.after));
    return { revisionOf: (id) => revisions.get(id) ?? -1, firstUnder: (prefix, after) => firsts.get(`${after}:${prefix}`) };
  }

  private async firstAfter(prefix: string, after: number): Promise<number | undefined> {
    for await (const e of this.readAll({ after, streamPrefix: prefix, limit: 1 })) return e.globalPosition;
    return undefined;
  }

  /** Lists a new stream under each of its prefixes, before it exists: a listed stream may be missing, an existing one is never unlisted. */
  private async list(streamId: string): Promise<void> {
    for (const prefix of slashPrefixes(streamId)) {
      await this.client.appendToStream(DIRECTORY_PREFIX + prefix, jsonEvent({ type: LISTED_TYPE, data: { streamId } }), { ...this.call, expectedRevision: ANY });
    }
  }

  /** The events of every stream listed under the prefix's directory, merged in global order. */
  private async *readPrefix(prefix: string, after: number): AsyncIterable<RecordedEvent> {
    const directory = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const listed = new Set((await this.readRaw(DIRECTORY_PREFIX + directory, 0)).map((e) => (e.data as { streamId: string }).streamId));
    const events: RecordedEvent[] = [];
    for (const id of listed) {
      if (!id.startsWith(prefix)) continue;
      // A stream's tail above `after`: read backwards until at or below it.
      const tail: RecordedEvent[] = [];
      for await (const e of this.readBackwards(id)) {
        if (e.globalPosition <= after) break;
        tail.push(e);
      }
      events.push(...tail);
    }
    yield* events.sort((a, b) => a.globalPosition - b.globalPosition);
  }

  private async *readBackwards(streamId: string): AsyncIterable<RecordedEvent> {
    const read = this.client.readStream(streamId, { ...this.call, fromRevision: END, direction: BACKWARDS });
    try {
      for await (const { event } of read) if (event !== undefined) yield this.remember(event);
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
    } finally {
      await read.cancel();
    }
  }

  private async *readAllFrom(after: number): AsyncIterable<RecordedEvent> {
    const read = this.client.readAll({ ...this.call, fromPosition: this.startOf(after) });
    try {
      for await (const { event } of read) if (event !== undefined && !isInternal(event)) yield this.remember(event);
    } finally {
      // Leaving early would otherwise keep the server-side read open.
      await read.cancel();
    }
  }

  /**
   * Where to start reading $all for events above `after`: the greatest record position seen at or
   * below it (a read may start only on a record boundary; `after` itself need not be one), else the start.
   */
  private startOf(after: number): Position | typeof START {
    let best: number | undefined;
    for (const p of this.known.keys()) if (p <= after && (best === undefined || p > best)) best = p;
    return best === undefined ? START : (this.known.get(best) as Position);
  }

  /** Converts, and keeps the event's position as a known record boundary. */
  private remember(e: EsdbRecordedEvent): RecordedEvent {
    const recorded = toRecorded(e);
    if (!this.known.has(recorded.globalPosition)) {
      if (this.known.size >= MAX_KNOWN_POSITIONS) this.known.delete(this.known.keys().next().value as number);
      this.known.set(recorded.globalPosition, positionOf(e));
    }
    return recorded;
  }

  private async revisionOf(streamId: string): Promise<number> {
    for await (const e of this.readBackwards(streamId)) return e.position;
    return -1;
  }

  private async readRaw(streamId: string, fromRevision: number, limit?: number): Promise<EsdbRecordedEvent[]> {
    if (limit === 0) return [];
    const events: EsdbRecordedEvent[] = [];
    try {
      const read = this.client.readStream(streamId, { ...this.call, fromRevision: BigInt(fromRevision), maxCount: limit });
      for await (const { event } of read) if (event !== undefined) events.push(event);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }
}

