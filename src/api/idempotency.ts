import { createHash, randomUUID } from 'node:crypto';
import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { CommandContext, CommandFailure, CommandOutcome } from '../commands/commandHandler';
import { pattern } from '../domain/fields';
import { SCHEMA_VERSION, Streams } from '../domain/events';
import { ConcurrencyError, EventStore, ExpectedRevision } from '../store/eventStore';
import { ApiError, apiError, errorBody, httpStatusOf } from './apiError';
import { appendedEventJson } from './wire';

/** The `Idempotency-Key` header, absent or 1 to 200 printable ASCII characters. */
export const IdempotencyKey = pattern('1 to 200 printable ASCII characters', /^[\x20-\x7e]{1,200}$/);
export const IDEMPOTENCY_HEADER = 'idempotency-key';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** JSON with keys sorted at every level, so that `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same request. */
const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

/** What makes two requests "the same": method, route, path parameters and body. */
export const requestHash = (request: { method: string; route: string; params: unknown; body: unknown }): string =>
  sha256(canonicalJson(request));

/**
 * Keys are per actor: two tokens sending the same key are two requests, and neither ever gets the
 * other's response. Actors are identifiers, which have no `/`, so the pair cannot be read two ways.
 */
const actorKey = (actor: string, key: string): string => `${actor}/${key}`;

/** The command id under which a keyed request's events are appended, atomically with them. */
export const idempotentCommandId = (actor: string, key: string): string => `idem:${actorKey(actor, key)}`;

/** A request under a key: whose key, and what it asked for. */
export interface KeyedRequest {
  readonly actor: string;
  readonly key: string;
  readonly requestHash: string;
}

/** The ids a keyed request's command runs under; its events carry them. */
export type KeyedContext = Required<Pick<CommandContext, 'commandId' | 'idempotencyKey' | 'requestHash'>>;

const keyedContext = (r: KeyedRequest): KeyedContext => ({ commandId: idempotentCommandId(r.actor, r.key), idempotencyKey: r.key, requestHash: r.requestHash });

/** An answer to a command request, as recorded for its key. */
export interface Answer {
  readonly status: number;
  readonly body: unknown;
}

export const failedAnswer = (e: ApiError): Answer => ({ status: httpStatusOf(e.code), body: errorBody(e) });

const reuseOf = (key: string): ApiError =>
  apiError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${JSON.stringify(key)} was used before for a different request`);

/** A crash between the events and the response record: the events' own metadata tells a retry from a reuse. */
const reusedKey = (outcome: CommandOutcome, context: CommandContext): boolean => {
  const first = outcome.events[0]?.metadata;
  return outcome.duplicate && context.idempotencyKey !== undefined && first?.idempotencyKey === context.idempotencyKey && first.requestHash !== context.requestHash;
};

/** A command's result as its answer (`status` on success); the events of another request under the same key are a reuse. */
export const commandAnswer = (status: number, result: E.Either<CommandFailure, CommandOutcome>, context: CommandContext): Answer => {
  if (E.isLeft(result)) return failedAnswer(result.left);
  if (reusedKey(result.right, context)) return failedAnswer(reuseOf(context.idempotencyKey as string));
  return { status, body: { events: result.right.events.map(appendedEventJson) } };
};

/**
 * Kept for a key: what the rules decided. Not kept: a request too malformed to decide (a client can
 * fix it and keep its key), a CONFLICT or a server fault (a retry with the same key tries again).
 */
const isDecided = (a: Answer): boolean => {
  const code = (a.body as { error?: { code?: string } } | null)?.error?.code;
  return a.status < 500 && !(a.status >= 400 && (code === 'VALIDATION' || code === 'CONFLICT'));
};

export const RecordedResponse = t.type({ requestHash: t.string, status: t.number, body: t.unknown });
export type RecordedResponse = t.TypeOf<typeof RecordedResponse>;

const RESPONSE_EVENT = 'IdempotentResponseRecorded';

/**
 * The first response to each actor's key, kept in the event store itself (a `meta/` stream per key, which the
 * read model skips) so that it survives a restart and a retry gets it back whatever happened since:
 * rejections and credit requests included, whose events carry no `idem:` command id.
 */
export class IdempotencyRecords {
  constructor(private readonly store: EventStore) {}

  private streamOf(actor: string, key: string): string {
    return `${Streams.metaPrefix}idempotency/${sha256(actorKey(actor, key))}`;
  }

  /**
   * The one answer to a keyed request: the one recorded for its key, else `execute`'s (run under the
   * key's ids), kept unless a concurrent request's was kept first. The HTTP server and the simulation
   * test both answer keyed requests through here.
   */
  async answer(
    request: KeyedRequest,
    execute: (context: KeyedContext) => Promise<Answer>,
    onUnrecorded: (err: unknown) => void,
  ): Promise<{ readonly answer: Answer; readonly replayed: boolean; readonly reused: boolean }> {
    const previous = await this.find(request.actor, request.key);
    const kept = previous ?? (await this.keep(request, await execute(keyedContext(request)), onUnrecorded));
    const reused = kept.requestHash !== request.requestHash;
    return { answer: reused ? failedAnswer(reuseOf(request.key)) : { status: kept.status, body: kept.body }, replayed: previous !== undefined, reused };
  }

  private async keep(request: KeyedRequest, answer: Answer, onUnrecorded: (err: unknown) => void): Promise<RecordedResponse> {
    const mine = { requestHash: request.requestHash, ...answer };
    if (!isDecided(answer)) return mine;
    try {
      return await this.record(request.actor, request.key, mine);
    } catch (err) {
      // The events (if any) are durable under the key's command id, so a retry still finds them.
      onUnrecorded(err);
      return mine;
    }
  }

  async find(actor: string, key: string): Promise<RecordedResponse | undefined> {
    const [first] = await this.store.readStream(this.streamOf(actor, key), { limit: 1 });
    if (first === undefined) return undefined;
    const decoded = RecordedResponse.decode(first.data);
    if (E.isLeft(decoded)) throw new Error(`${first.streamId}@${first.position}: not an idempotent response record`);
    return decoded.right;
  }

  /** Records `response` unless a concurrent request with the same key got there first; returns the one kept. */
  async record(actor: string, key: string, response: RecordedResponse): Promise<RecordedResponse> {
    try {
      await this.store.append(
        this.streamOf(actor, key),
        [{ eventId: randomUUID(), type: RESPONSE_EVENT, data: response, metadata: { schemaVersion: SCHEMA_VERSION, actor, idempotencyKey: key } }],
        { expectedRevision: ExpectedRevision.noStream },
      );
      return response;
    } catch (e) {
      if (!(e instanceof ConcurrencyError)) throw e;
      return (await this.find(actor, key)) ?? response;
    }
  }
}
