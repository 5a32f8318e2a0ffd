import * as E from 'fp-ts/Either';
import { ApiError, apiError } from './apiError';

/** Deeper than any command body needs; bounds every recursive walk of client JSON (hashing, messages). */
const MAX_JSON_DEPTH = 32;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** How deep the parsed value nests, and how many object members it has in all (duplicates counted once). */
const shapeOf = (value: unknown): { readonly depth: number; readonly members: number } => {
  let deepest = 0;
  let members = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_JSON_DEPTH) break;
    const children = Object.values(v);
    if (!Array.isArray(v)) members += children.length;
    for (const child of children) stack.push([child, depth + 1]);
  }
  return { depth: deepest, members };
};

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const isJsonSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** Where the string that opens at `start` (a quote) ends, past its closing quote. */
const stringEnd = (text: string, start: number): number => {
  let close = text.indexOf('"', start + 1);
  // A quote after an odd run of backslashes is escaped.
  for (;;) {
    let slashes = 0;
    while (text.charCodeAt(close - 1 - slashes) === BACKSLASH) slashes += 1;
    if (slashes % 2 === 0) return close + 1;
    close = text.indexOf('"', close + 1);
  }
};

/**
 * Member names in the text, counted as written: more than the parsed value holds means a name
 * repeats. Jumps from quote to quote (indexOf), which is what keeps it cheap next to JSON.parse.
 */
const membersWritten = (text: string): number => {
  let count = 0;
  for (let quote = text.indexOf('"'); quote >= 0; ) {
    let j = stringEnd(text, quote);
    const after = j;
    while (isJsonSpace(text.charCodeAt(j))) j += 1;
    if (text.charCodeAt(j) === COLON) count += 1;
    quote = text.indexOf('"', after);
  }
  return count;
};

/** The first member name that repeats within one object (names compared decoded: "a" and "\u0061" are one). */
const firstRepeatedName = (text: string): string | undefined => {
  // One set per open object or array (an array's stays empty), so that a close pops the right one.
  const open: Array<Set<string>> = [];
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) open.push(new Set());
    else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) open.pop();
    else if (c === QUOTE) {
      const end = stringEnd(text, i);
      let j = end;
      while (isJsonSpace(text.charCodeAt(j))) j += 1;
      if (text.charCodeAt(j) === COLON) {
        const name = JSON.parse(text.slice(i, end)) as string;
        const names = open[open.length - 1] as Set<string>;
        if (names.has(name)) return name;
        names.add(name);
      }
      i = end - 1;
    }
  }
  return undefined;
};

/**
 * A request body as JSON: strict UTF-8, no empty body, bounded nesting, no member name twice in an
 * object (JSON.parse would keep the last silently: `{"credits": "1", "credits": "900"}` would record
 * 900). `__proto__` and `constructor` keys stay plain own properties (JSON.parse never touches
 * prototypes), and the strict body codecs reject them as unknown fields.
 *
 * Every usage request passes here, so the repeat check is a count: the members of the parsed value
 * (counted by the depth walk that runs anyway) against the names written in the text (one scan of
 * char codes); only when they differ is the text walked again to name the repeated one.
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
  const shape = shapeOf(value);
  if (shape.depth > MAX_JSON_DEPTH) return E.left(apiError('VALIDATION', `body: is nested deeper than ${MAX_JSON_DEPTH} levels`));
  if (membersWritten(text) !== shape.members) {
    const name = firstRepeatedName(text) ?? '';
    return E.left(apiError('VALIDATION', `${name}: appears more than once in an object of the body; send each field once`));
  }
  return E.right(value);
};
