import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/** One request as the receiver saw it, with whether its signature holds. */
export interface Received {
  readonly id: string;
  readonly timestamp: string;
  readonly body: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly signatureValid: boolean;
}

/**
 * Standard Webhooks verification written from the specification, not with the library the ledger
 * signs with: the key is the base64 after `whsec_`, the signed content `{id}.{timestamp}.{body}`,
 * the header a space-separated list of `v1,<base64 HMAC-SHA256>`.
 */
export const verifies = (secret: string, headers: IncomingHttpHeaders, body: string): boolean => {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${String(headers['webhook-id'])}.${String(headers['webhook-timestamp'])}.${body}`).digest();
  return String(headers['webhook-signature'] ?? '')
    .split(' ')
    .some((s) => {
      const [version, sig] = s.split(',');
      const given = Buffer.from(sig ?? '', 'base64');
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
};

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** How to answer the next request: a status, or 'hang' to never answer. */
  answer: (r: Received) => number | 'hang';
  secret: string;
  /** The most requests it held open at once: in-order delivery to one endpoint means 1. */
  readonly maxConcurrent: number;
  close(): Promise<void>;
}

/** A real HTTP receiver on 127.0.0.1, started by the test. */
export const startReceiver = async (path = '/hook'): Promise<Receiver> => {
  const sockets = new Set<import('node:net').Socket>();
  const receiver: Receiver = {
    url: '',
    received: [],
    answer: () => 200,
    secret: '',
    maxConcurrent: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  let open = 0;
  const server: Server = createServer((req, res) => {
    open++;
    (receiver as { maxConcurrent: number }).maxConcurrent = Math.max(receiver.maxConcurrent, open);
    res.on('close', () => open--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const parsed = JSON.parse(body) as { type: string; data: Record<string, unknown> };
      const r: Received = {
        id: String(req.headers['webhook-id']),
        timestamp: String(req.headers['webhook-timestamp']),
        body,
        type: parsed.type,
        data: parsed.data,
        signatureValid: verifies(receiver.secret, req.headers, body),
      };
      receiver.received.push(r);
      const status = receiver.answer(r);
      if (status === 'hang') return;
      res.writeHead(status).end();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  (receiver as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return receiver;
};
