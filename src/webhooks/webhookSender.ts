import { LookupFunction } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import { Webhook } from 'standardwebhooks';
import { refusedAddress, UrlPolicy } from './webhookUrl';

/** How an attempt went: an HTTP status, or why none came. */
export type Answer = { readonly status: number; readonly error: null } | { readonly status: null; readonly error: string };

export interface Delivery {
  readonly url: string;
  readonly secret: string;
  readonly messageId: string;
  readonly body: string;
  /** The attempt's time, signed: a receiver refuses a message replayed long after. */
  readonly at: Date;
}

/** Sends one attempt; injected so that the worker is tested without a network where that is the point. */
export type Send = (d: Delivery) => Promise<Answer>;

/** The Standard Webhooks headers of one attempt, the signature over the exact bytes of the body sent. */
export const signedHeaders = (d: Delivery): Record<string, string> => ({
  'content-type': 'application/json',
  'user-agent': 'subscription-ledger-webhooks/1',
  'webhook-id': d.messageId,
  'webhook-timestamp': String(Math.floor(d.at.getTime() / 1000)),
  'webhook-signature': new Webhook(d.secret).sign(d.messageId, d.at, d.body),
});

/** Resolves as Node would, then refuses an address the policy does not allow: the check is on the address connected to. */
const guardedLookup =
  (policy: UrlPolicy): LookupFunction =>
  (hostname, options, callback) =>
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err !== null) return callback(err, '', 0);
      const list = addresses as unknown as ReadonlyArray<{ address: string; family: number }>;
      for (const a of list) {
        const refused = refusedAddress(a.address, policy);
        if (refused !== undefined) return callback(Object.assign(new Error(`refused: ${hostname} resolves to ${refused}`), { code: 'EADDRNOTALLOWED' }), '', 0);
      }
      if ((options as { all?: boolean }).all === true) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      const first = list[0];
      return first === undefined ? callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0) : callback(null, first.address, first.family);
    });

/**
 * Node's own http(s) client: it follows no redirect (a 3xx is an answer that is not 2xx, so a
 * failed attempt), and its `lookup` hook lets the policy see the address it connects to. The body
 * is sent as the bytes signed; the answer's body is read and dropped, up to a bound.
 */
export const httpSend =
  (policy: UrlPolicy, timeoutMs: number): Send =>
  (d) =>
    new Promise<Answer>((resolve) => {
      const url = new URL(d.url);
      const client = url.protocol === 'https:' ? https : http;
      const body = Buffer.from(d.body, 'utf8');
      let settled = false;
      const done = (a: Answer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(a);
      };
      const request = client.request(
        url,
        { method: 'POST', headers: { ...signedHeaders(d), 'content-length': String(body.length) }, lookup: guardedLookup(policy), agent: false },
        (response) => {
          let read = 0;
          response.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > 64 * 1024) response.destroy();
          });
          response.on('end', () => done({ status: response.statusCode ?? 0, error: null }));
          response.on('close', () => done({ status: response.statusCode ?? 0, error: null }));
          response.on('error', () => done({ status: response.statusCode ?? 0, error: null }));
        },
      );
      // The whole attempt, connection to answer, within the bound: a slow receiver is a failed attempt.
      const timer = setTimeout(() => {
        done({ status: null, error: `no answer within ${timeoutMs / 1000} s` });
        request.destroy();
      }, timeoutMs);
      request.on('error', (e: NodeJS.ErrnoException) => done({ status: null, error: e.code === undefined ? e.message : `${e.code}: ${e.message}` }));
      request.end(body);
    });
