import { createHash, randomUUID } from 'node:crypto';
import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { CommandContext, CommandFailure, CommandOutcome } from '../commands/commandHandler';
import { pattern } from '../domain/fields';
import { SCHEMA_VERSION, Streams } from '../domain/events';
import { EventStore, ExpectedRevision } from '../store/eventStore';
import { ApiError, apiError, errorBody, httpStatusOf } from './apiError';
import { onceHeader } from './headers';
import { appendedEventJson } from './wire';

/** The `Idempotency-Key` header, absent or 1 to 200 printable ASCII characters. */
export const IdempotencyKey = pattern('1 to 200 printable ASCII characters', /^[\x20-\x7e]{1,200}$/);
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** The header as sent, once (see onceHeader). */
export const IdempotencyKeyHeader = onceHeader('Idempotency-Key', IdempotencyKey);

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
 * fix it and keep its key), a CONFLICT or a server fault (a retry with the same key tries again), and
 * a reuse found in the events themselves (a key recorded before claims existed).
 */
const isDecided = (a: Answer): boolean => {
  const code = (a.body as { error?: { code?: string } } | null)?.error?.code;
  return a.status < 500 && !(a.status >= 400 && (code === 'VALIDATION' || code === 'CONFLICT' || code === 'IDEMPOTENCY_KEY_REUSED'));
};

/**
 * A decided answer as recorded for its key. `text`: the body exactly as first sent, so that a replay
 * answers the same bytes whatever key order the store keeps event data in (SQLite and PostgreSQL keep
 * RFC 8785 order); `body`: how records written before `text` existed hold it.
 */
export const RecordedResponse = t.intersection([t.type({ requestHash: t.string, status: t.number }), t.partial({ text: t.string, body: t.unknown })]);
export type RecordedResponse = t.TypeOf<typeof RecordedResponse>;

/** The recorded answer; JSON.parse keeps the text's key order, which the server's serialisation then reproduces. */
const answerOf = (r: RecordedResponse): Answer => ({ status: r.status, body: r.text === undefined ? r.body : (JSON.parse(r.text) as unknown) });

const KeyClaim = t.type({ requestHash: t.string });

const CLAIM_EVENT = 'IdempotencyKeyClaimed';
const RESPONSE_EVENT = 'IdempotentResponseRecorded';
const RELEASE_EVENT = 'IdempotencyKeyReleased';

/** Who holds a key: the request that claimed it (by hash), and its response once one was decided. */
export interface KeyHolder {
  readonly requestHash: string;
  readonly response?: RecordedResponse;
  /** The claim's revision in the key's stream: the response or the release is appended right after it. */
  readonly revision: number;
}

/**
 * Each actor's keys, kept in the event store itself (a `meta/` stream per key, which the read model
 * skips), so that they survive a restart. A key is claimed BEFORE its request runs, by an append only
 * one request can win: a request with another body never runs, so a key has exactly one effect
 * whatever the concurrency or the process. The first decided response follows the claim; a request
 * that could not be decided (malformed, or a conflict) releases the key for a corrected one.
 */
export class IdempotencyRecords {
  constructor(private readonly store: EventStore) {}

  private streamOf(actor: string, key: string): string {
    return `${Streams.metaPrefix}idempotency/${sha256(actorKey(actor, key))}`;
  }

  /**
   * The one answer to a keyed request: the key is claimed first; a request with another body gets 409
   * without running, the holder's recorded answer is replayed, else `execute` runs under the key's ids
   * and its answer is kept (or the key released if it could not be decided). The HTTP server and the
   * simulation test both answer keyed requests through here.
   */
  async answer(
    request: KeyedRequest,
    execute: (context: KeyedContext) => Promise<Answer>,
    onUnrecorded: (err: unknown) => void,
  ): Promise<{ readonly answer: Answer; readonly replayed: boolean; readonly reused: boolean }> {
    const holder = await this.claim(request.actor, request.key, request.requestHash);
    if (holder.requestHash !== request.requestHash) return { answer: failedAnswer(reuseOf(request.key)), replayed: false, reused: true };
    if (holder.response !== undefined) return { answer: answerOf(holder.response), replayed: true, reused: false };
    // Ours, or a same-body request still running or cut short: running it again is safe, its events are claimed under the key's command id.
    const kept = await this.keep(request, holder, await execute(keyedContext(request)), onUnrecorded);
    return { answer: answerOf(kept), replayed: false, reused: false };
  }

  private async keep(request: KeyedRequest, claim: KeyHolder, answer: Answer, onUnrecorded: (err: unknown) => void): Promise<RecordedResponse> {
    const mine: RecordedResponse = { requestHash: request.requestHash, status: answer.status, text: JSON.stringify(answer.body) };
    try {
      if (!isDecided(answer)) {
        await this.release(request.actor, request.key, claim);
        return mine;
      }
      return await this.record(request.actor, request.key, claim, mine);
    } catch (err) {
      // The events (if any) are durable under the key's command id, so a retry still finds them.
      onUnrecorded(err);
      return mine;
    }
  }

  /** Claims the key for the request with this hash, or tells who holds it. */
  async claim(actor: string, key: string, requestHash: string): Promise<KeyHolder> {
    for (;;) {
      const { holder, revision } = await this.read(actor, key);
      if (holder !== undefined) return holder;
      // A conflict: another request claimed or settled the key meanwhile; read it again.
      if ((await this.append(actor, key, CLAIM_EVENT, { requestHash }, revision)).kind !== 'conflict') return { requestHash, revision: revision + 1 };
    }
  }

  /** Records the claim's response, unless a concurrent request with the same body recorded one first; returns the one kept. */
  async record(actor: string, key: string, claim: KeyHolder, response: RecordedResponse): Promise<RecordedResponse> {
    if ((await this.append(actor, key, RESPONSE_EVENT, response, claim.revision)).kind !== 'conflict') return response;
    return (await this.read(actor, key)).holder?.response ?? response;
  }

  /** Gives the key back: its request was not decided, so a corrected request may use it. */
  async release(actor: string, key: string, claim: KeyHolder): Promise<void> {
    // A conflict: a concurrent same-body request recorded a response or released it first; either way the key is settled.
    await this.append(actor, key, RELEASE_EVENT, {}, claim.revision);
  }

  /** The current holder, if any, and the stream's revision. */
  private async read(actor: string, key: string): Promise<{ holder?: KeyHolder; revision: number }> {
    const events = await this.store.readStream(this.streamOf(actor, key));
    let holder: KeyHolder | undefined;
    for (const e of events) {
      const decodeAs = <A>(codec: t.Decoder<unknown, A>): A => {
        const decoded = codec.decode(e.data);
        if (E.isLeft(decoded)) throw new Error(`${e.streamId}@${e.position}: not a valid ${e.type}`);
        return decoded.right;
      };
      if (e.type === CLAIM_EVENT) holder = { requestHash: decodeAs(KeyClaim).requestHash, revision: e.position };
      else if (e.type === RELEASE_EVENT) holder = undefined;
      else if (e.type === RESPONSE_EVENT) {
        const response = decodeAs(RecordedResponse);
        // Keys recorded before claims existed hold their response as their only event.
        holder = { ...(holder ?? { requestHash: response.requestHash, revision: e.position }), response };
      }
    }
    return { ...(holder === undefined ? {} : { holder }), revision: events.length - 1 };
  }

  private append(actor: string, key: string, type: string, data: unknown, after: number) {
    return this.store.append(
      this.streamOf(actor, key),
      [{ eventId: randomUUID(), type, data, metadata: { schemaVersion: SCHEMA_VERSION, actor, idempotencyKey: key } }],
      { expectedRevision: ExpectedRevision.after(after) },
    );
  }
}
