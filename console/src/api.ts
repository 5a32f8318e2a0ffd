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

const request = async (path: string): Promise<Response> => {
  const bearer = token.get();
  const response = await fetch(path, { headers: bearer === null ? {} : { authorization: `Bearer ${bearer}` } });
  if (response.ok) return response;
  const body = ApiErrorBody.decode(await response.json().catch(() => undefined));
  const error = isLeft(body) ? new ApiError(response.status, 'HTTP', `${response.status} ${response.statusText}`) : new ApiError(response.status, body.right.error.code, body.right.error.message);
  if (response.status === 401) onUnauthenticated();
  throw error;
};

/** GET a JSON answer, decoded: a shape the console does not expect is an error, not a blank page. */
export const getJson = async <A>(path: string, codec: t.Decoder<unknown, A>): Promise<A> => {
  const decoded = codec.decode(await (await request(path)).json());
  if (isLeft(decoded)) throw new Error(`unexpected answer from ${path}: ${PathReporter.report(decoded).slice(0, 3).join('; ')}`);
  return decoded.right;
};

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
