import { isLeft } from 'fp-ts/es6/Either';
import * as t from 'io-ts';
import { PathReporter } from 'io-ts/es6/PathReporter';
import { ApiErrorBody } from './codecs';

/** The token lives in session storage: it goes with the tab, never to disk beyond it. */
const TOKEN_KEY = 'ledger.token';

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** An answer other than 2xx, with the API's error code; 401 sends the console to its sign-in. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let onUnauthenticated: () => void = () => undefined;
export const whenUnauthenticated = (handler: () => void) => {
  onUnauthenticated = handler;
};

const request = async (path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> => {
  const bearer = token.get();
  const response = await fetch(path, { ...init, headers: { ...init.headers, ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }) } });
  if (response.ok) return response;
  const body = ApiErrorBody.decode(await response.json().catch(() => undefined));
  const error = isLeft(body) ? new ApiError(response.status, 'HTTP', `${response.status} ${response.statusText}`) : new ApiError(response.status, body.right.error.code, body.right.error.message);
  if (response.status === 401) onUnauthenticated();
  throw error;
};

const decoded = async <A>(path: string, response: Response, codec: t.Decoder<unknown, A>): Promise<A> => {
  const answer = codec.decode(await response.json());
  if (isLeft(answer)) throw new Error(`unexpected answer from ${path}: ${PathReporter.report(answer).slice(0, 3).join('; ')}`);
  return answer.right;
};

/** GET a JSON answer, decoded: a shape the console does not expect is an error, not a blank page. */
export const getJson = async <A>(path: string, codec: t.Decoder<unknown, A>): Promise<A> => decoded(path, await request(path), codec);

/** A command (or its preview) as the API takes it: method, path and JSON body. */
export interface CommandRequest {
  readonly method: 'POST' | 'PUT';
  readonly path: string;
  readonly body: Readonly<Record<string, unknown>>;
}

/** Sends a command; `headers`: an Idempotency-Key, so that a confirmation sent twice takes effect once. */
export const sendCommand = async <A>(command: CommandRequest, codec: t.Decoder<unknown, A>, headers: Record<string, string> = {}): Promise<A> =>
  decoded(command.path, await request(command.path, { method: command.method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(command.body) }), codec);

/** 128 random bits as hex: crypto.randomUUID exists only on https or localhost, getRandomValues everywhere. */
export const newIdempotencyKey = (): string => `console-${[...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('')}`;

/** GET a file and hand it to the browser as a download (a link cannot carry the bearer token). */
export const download = async (path: string, fileName: string): Promise<void> => {
  const blob = await (await request(path)).blob();
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement('a'), { href: url, download: fileName });
  document.body.append(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
};

export const isNotFound = (e: unknown): boolean => e instanceof ApiError && e.status === 404;
