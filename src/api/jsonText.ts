import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { nextTurn, SLICE_MS } from '../projections/slices';

/**
 * JSON of answer bodies, kept per object: the ledger hands out the same statement object until its
 * inputs change, so a statement of a thousand users (hundreds of KB) is serialised once, not per request.
 */
const texts = new WeakMap<object, string>();
export const jsonText = (body: object): string => {
  let json = texts.get(body);
  if (json === undefined) {
    json = JSON.stringify(body);
    texts.set(body, json);
  }
  return json;
};

/** Bytes gathered before a chunk is handed to the socket. */
const CHUNK = 64 * 1024;

/**
 * `body` as JSON with its array member `key` written out item by item, in chunks, giving the event
 * loop a turn whenever it has held it for a slice: a 29 MB statement of 50,000 users is never one
 * `JSON.stringify`. Items are serialised once per object (jsonText), as whole bodies are. The
 * array comes last; JSON members have no order, and api.md lists `users` last.
 */
export const jsonWithStreamedArray = (body: object, key: string): Readable => {
  const { [key]: array, ...rest } = body as Record<string, unknown>;
  const items = array as ReadonlyArray<object>;
  const head = JSON.stringify(rest);
  async function* chunks(): AsyncGenerator<string> {
    let started = performance.now();
    let chunk = `${head.length > 2 ? `${head.slice(0, -1)},` : '{'}${JSON.stringify(key)}:[`;
    for (const [i, item] of items.entries()) {
      chunk += i === 0 ? jsonText(item) : `,${jsonText(item)}`;
      if (chunk.length >= CHUNK) {
        yield chunk;
        chunk = '';
        if (performance.now() - started >= SLICE_MS) started = await nextTurn();
      }
    }
    yield `${chunk}]}`;
  }
  return Readable.from(chunks(), { objectMode: false });
};
