import {
  ANY,
  AppendExpectedRevision,
  AppendResult,
  AppendToStreamOptions,
  BACKWARDS,
  END,
  EventData,
  NO_STREAM,
  Position,
  ReadAllOptions,
  ReadStreamOptions,
  ResolvedEvent,
  AllStreamResolvedEvent,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import type { AllStreamRecordedEvent } from '@eventstore/db-client';
import { EsdbClient } from '../../src/store/esdbEventStore';

/**
 * An in-memory stand-in for the parts of EventStoreDBClient the adapter uses, typed by the client's
 * own declarations, so that the contract suite runs against the adapter without a server.
 *
 * Modelled on EventStoreDB's documented behaviour:
 * - appendToStream: expected revision (exact, NO_STREAM, STREAM_EXISTS, ANY) checked per stream,
 *   WrongExpectedVersionError otherwise; idempotency by event id: a write whose ids are already
 *   in the stream, starting right after the expected revision (or anywhere, for ANY and
 *   STREAM_EXISTS), succeeds without writing again;
 * - positions {commit, prepare} large and gapped; readAll starts only at START, END or an
 *   event's exact position (inclusive), anything else is refused like a position that is not a
 *   record boundary;
 * - readStream of a stream that does not exist throws StreamNotFoundError.
 * Not modelled (fidelity limits): clusters, followers and `requiresLeader` (there is one copy),
 * credentials and ACLs, the idempotency cache's size limit (the real one forgets old ids, this one
 * never does), deadlines, system events in $all, links, and gRPC failures (tests inject their own).
 */
export class FakeEsdbClient implements EsdbClient {
  private readonly streams = new Map<string, AllStreamRecordedEvent[]>();
  private readonly log: AllStreamRecordedEvent[] = [];
  /** `firstPosition`: where the log's positions start (large, to try the adapter's safe-integer check). */
  constructor(private nextPosition = 4096n) {}

  async appendToStream(streamName: string, events: EventData | EventData[], options: AppendToStreamOptions = {}): Promise<AppendResult> {
    // A turn of the event loop, as a network call would take: lets concurrent callers interleave.
    await new Promise((resolve) => setImmediate(resolve));
    const batch = Array.isArray(events) ? events : [events];
    const stream = this.streams.get(streamName) ?? [];
    const current = stream.length - 1;
    const expected: AppendExpectedRevision = options.expectedRevision ?? ANY;
    const written = (from: number): boolean => batch.every((e, i) => stream[from + i]?.id === e.id);
    const idempotent = (from: number): AppendResult => ({ success: true, nextExpectedRevision: BigInt(from + batch.length - 1), position: stream[from]?.position });
    const conflict = (): never => {
      throw new WrongExpectedVersionError(undefined, { streamName, expected, current: current < 0 ? NO_STREAM : BigInt(current) });
    };
    if (expected === ANY || expected === STREAM_EXISTS) {
      if (expected === STREAM_EXISTS && current < 0) conflict();
      const from = stream.findIndex((e) => e.id === batch[0]?.id);
      if (from >= 0 && written(from)) return idempotent(from);
    } else {
      const after = expected === NO_STREAM ? -1 : Number(expected);
      if (after !== current) return after < current && written(after + 1) ? idempotent(after + 1) : conflict();
    }
    const created = new Date();
    for (const e of batch) {
      const position: Position = { commit: this.nextPosition, prepare: this.nextPosition };
      this.nextPosition += 173n + BigInt(this.log.length % 7);
      const recorded = {
        streamId: streamName,
        id: e.id,
        isJson: true,
        revision: BigInt(stream.length),
        type: e.type,
        created,
        data: structuredClone(e.data),
        metadata: structuredClone(e.metadata),
        position,
      } as AllStreamRecordedEvent;
      stream.push(recorded);
      this.log.push(recorded);
    }
    this.streams.set(streamName, stream);
    return { success: true, nextExpectedRevision: BigInt(stream.length - 1), position: stream[current + 1]?.position };
  }

  readStream(streamName: string, options: ReadStreamOptions = {}): AsyncIterable<ResolvedEvent> & { cancel(): Promise<void> } {
    const streams = this.streams;
    return reading(async function* () {
      const stream = streams.get(streamName);
      if (stream === undefined) throw new StreamNotFoundError(undefined, streamName);
      const backwards = options.direction === BACKWARDS;
      const from = options.fromRevision;
      const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
      const start = from === undefined || from === START ? 0 : from === END ? stream.length - 1 : Number(from);
      const picked = backwards ? stream.slice(0, start + 1).reverse() : stream.slice(start);
      for (const event of picked.slice(0, max)) yield { event, link: undefined } as unknown as ResolvedEvent;
    });
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<AllStreamResolvedEvent> & { cancel(): Promise<void> } {
    const log = this.log;
    return reading(async function* () {
      const from = options.fromPosition ?? START;
      const backwards = options.direction === BACKWARDS;
      let index: number;
      if (from === START) index = backwards ? -1 : 0;
      else if (from === END) index = backwards ? log.length - 1 : log.length;
      else {
        index = log.findIndex((e) => e.position.commit === from.commit && e.position.prepare === from.prepare);
        if (index < 0) throw new Error(`read of $all from ${from.commit}/${from.prepare}: not the position of a record`);
      }
      const picked = backwards ? log.slice(0, index + 1).reverse() : log.slice(index);
      for (const event of picked.slice(0, Number(options.maxCount ?? Number.MAX_SAFE_INTEGER))) yield { event, link: undefined } as unknown as AllStreamResolvedEvent;
    });
  }

  async dispose(): Promise<void> {}
}

/** A read as the client returns it: async-iterable, cancellable (here: stops being read). */
const reading = <T>(generate: () => AsyncGenerator<T>): AsyncIterable<T> & { cancel(): Promise<void> } => {
  const iterator = generate();
  return { [Symbol.asyncIterator]: () => iterator, cancel: async () => void (await iterator.return(undefined)) };
};
