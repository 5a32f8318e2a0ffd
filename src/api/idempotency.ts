import { createHash, randomUUID } from 'node:crypto';
import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { pattern } from '../domain/fields';
import { SCHEMA_VERSION, Streams } from '../domain/events';
import { ConcurrencyError, EventStore, ExpectedRevision } from '../store/eventStore';

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

export const RecordedResponse = t.type({ requestHash: t.string, status: t.number, body: t.unknown });
export type RecordedResponse = t.TypeOf<typeof RecordedResponse>;

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

  /** Claims the key for the request with this hash, or tells who holds it. */
  async claim(actor: string, key: string, requestHash: string): Promise<KeyHolder> {
    for (;;) {
      const { holder, revision } = await this.read(actor, key);
      if (holder !== undefined) return holder;
      try {
        await this.append(actor, key, CLAIM_EVENT, { requestHash }, revision);
        return { requestHash, revision: revision + 1 };
      } catch (e) {
        if (!(e instanceof ConcurrencyError)) throw e;
      }
    }
  }

  /** Records the claim's response, unless a concurrent request with the same body recorded one first; returns the one kept. */
  async record(actor: string, key: string, claim: KeyHolder, response: RecordedResponse): Promise<RecordedResponse> {
    try {
      await this.append(actor, key, RESPONSE_EVENT, response, claim.revision);
      return response;
    } catch (e) {
      if (!(e instanceof ConcurrencyError)) throw e;
      return (await this.read(actor, key)).holder?.response ?? response;
    }
  }

  /** Gives the key back: its request was not decided, so a corrected request may use it. */
  async release(actor: string, key: string, claim: KeyHolder): Promise<void> {
    try {
      await this.append(actor, key, RELEASE_EVENT, {}, claim.revision);
    } catch (e) {
      // A concurrent same-body request recorded a response or released it first: either way the key is settled.
      if (!(e instanceof ConcurrencyError)) throw e;
    }
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
