import { LedgerNode } from '../support/ledgerNode';
import { Receiver } from './receiver';

/** HTTP against a `ledger serve` process, for the webhook tests that run the built CLI. */
export const call = async (node: LedgerNode, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<{ status: number; body: any }> => {
  const response = await fetch(`${node.base}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
};

/** A command that must succeed; a CONFLICT (another node won a race) is retried as a client behind a balancer would. */
export const command = async (node: LedgerNode, path: string, body: unknown): Promise<void> => {
  for (let attempt = 1; ; attempt++) {
    const a = await call(node, 'POST', path, body);
    if (a.status < 300) return;
    if (a.body.error?.code !== 'CONFLICT' || attempt === 20) throw new Error(`${path}: ${a.status} ${JSON.stringify(a.body)}`);
  }
};

export const registerOn = async (node: LedgerNode, receiver: Receiver): Promise<string> => {
  const r = await call(node, 'POST', '/v1/webhooks', { url: receiver.url, events: ['credits.threshold', 'overage.started'] });
  if (r.status !== 201) throw new Error(`register: ${r.status} ${JSON.stringify(r.body)}`);
  receiver.secret = r.body.secret;
  return r.body.id;
};

/** Waits, polling, until `done` holds or the time is up (a loaded machine is slow, never wrong). */
export const eventually = async (done: () => boolean, what: string, ms = 60_000): Promise<void> => {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
