import { lookup } from 'node:dns/promises';
import * as E from 'fp-ts/Either';
import ipaddr from 'ipaddr.js';

/**
 * Where the ledger may send: `https` to public addresses only, unless the server was started with
 * `--allow-http-webhooks` (tests, a receiver on this machine). Checked when an endpoint is
 * registered and again for the address each request connects to, so that a name that later
 * resolves into the deployment's own network (DNS rebinding) is not reached either.
 */
export interface UrlPolicy {
  /** `--allow-http-webhooks`: `http`, and loopback, private and link-local addresses. */
  readonly allowPrivate: boolean;
}

const MAX_URL = 2048;

/** VALIDATION: not a URL one could send to; URL_NOT_ALLOWED: one the policy refuses. */
export interface UrlRefusal {
  readonly code: 'VALIDATION' | 'URL_NOT_ALLOWED';
  readonly message: string;
}
const invalid = (message: string): UrlRefusal => ({ code: 'VALIDATION', message });
const notAllowed = (message: string): UrlRefusal => ({ code: 'URL_NOT_ALLOWED', message });

/** ipaddr.js's range of a public address; every other (loopback, private, link-local, unique-local, CGNAT, reserved, multicast…) is refused. */
const PUBLIC = 'unicast';

/** Undefined for an address the policy allows, else why not. */
export const refusedAddress = (address: string, policy: UrlPolicy): string | undefined => {
  if (policy.allowPrivate) return undefined;
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 address it is.
  const range = ipaddr.process(address).range();
  return range === PUBLIC ? undefined : `${address} is a ${range} address, not a public one (the server allows these only with --allow-http-webhooks)`;
};

/** The URL's form: absolute, https (or http when allowed), no credentials, no fragment. */
export const parseWebhookUrl = (text: string, policy: UrlPolicy): E.Either<UrlRefusal, URL> => {
  if (text.length > MAX_URL) return E.left(invalid(`url: longer than ${MAX_URL} characters`));
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return E.left(invalid(`url: not an absolute URL: ${JSON.stringify(text.slice(0, 60))}`));
  }
  const schemes = policy.allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) {
    return E.left(notAllowed(`url: must be https${policy.allowPrivate ? ' or http' : ' (http only when the server runs with --allow-http-webhooks)'}, got ${url.protocol.replace(':', '')}`));
  }
  if (url.username !== '' || url.password !== '') return E.left(invalid('url: must not carry a user name or password (the signature authenticates the ledger)'));
  if (url.hash !== '') return E.left(invalid('url: must not have a fragment'));
  return E.right(url);
};

/** The host of a URL without IPv6 brackets. */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** Registration: the URL's form, and every address its host resolves to now. */
export const checkWebhookUrl = async (text: string, policy: UrlPolicy): Promise<E.Either<UrlRefusal, URL>> => {
  const parsed = parseWebhookUrl(text, policy);
  if (E.isLeft(parsed) || policy.allowPrivate) return parsed;
  const host = hostOf(parsed.right);
  let addresses: ReadonlyArray<string>;
  try {
    addresses = ipaddr.isValid(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch (e) {
    return E.left(notAllowed(`url: the host ${host} does not resolve (${(e as NodeJS.ErrnoException).code ?? 'error'})`));
  }
  for (const a of addresses) {
    const refused = refusedAddress(a, policy);
    if (refused !== undefined) return E.left(notAllowed(`url: ${host} resolves to ${refused}`));
  }
  return parsed;
};
