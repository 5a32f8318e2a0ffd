import * as E from 'fp-ts/Either';
import { ApiError, apiError } from './apiError';

/** Deeper than any command body needs; bounds every recursive walk of client JSON (hashing, messages). */
const MAX_JSON_DEPTH = 32;

const utf8 = new TextDecoder('utf-8', { fatal: true });

const depthOf = (value: unknown): number => {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_JSON_DEPTH) return deepest;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
};

/**
 * A request body as JSON: strict UTF-8, no empty body, bounded nesting. `__proto__` and
 * `constructor` keys stay plain own properties (JSON.parse never touches prototypes), and the
 * strict body codecs reject them as unknown fields.
 */
export const parseJsonBody = (raw: Buffer): E.Either<ApiError, unknown> => {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    return E.left(apiError('VALIDATION', 'body: is not valid UTF-8'));
  }
  if (text.trim() === '') return E.left(apiError('VALIDATION', 'body: must be a JSON object, got nothing'));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return E.left(apiError('VALIDATION', `body: is not valid JSON (${(e as Error).message})`));
  }
  return depthOf(value) > MAX_JSON_DEPTH
    ? E.left(apiError('VALIDATION', `body: is nested deeper than ${MAX_JSON_DEPTH} levels`))
    : E.right(value);
};
