import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { EventStore } from '../store/eventStore';
import { ATTEMPT_TIMEOUT_MS } from './deliveryState';
import { KEY_VARIABLE } from './secretBox';
import { DeliveryWorker } from './deliveryWorker';
import { Outcome } from './webhookEvents';
import { httpSend } from './webhookSender';
import { WebhookRegistry } from './webhookRegistry';

export interface Delivery {
  readonly registry: WebhookRegistry;
  readonly worker: DeliveryWorker;
  stop(): Promise<void>;
}

/** `ledger serve`'s webhooks: the registry its routes use and the worker that delivers, over the server's store. */
export const startDelivery = async (
  store: EventStore,
  o: {
    readonly allowPrivate: boolean;
    readonly clock: () => Date;
    readonly warn: (line: string) => void;
    readonly key: Buffer | undefined;
    readonly onAttempt?: (outcome: Outcome) => void;
  },
): Promise<Delivery> => {
  const policy = { allowPrivate: o.allowPrivate };
  const registry = new WebhookRegistry(store, policy, o.clock, o.key);
  if (o.key === undefined && (await registry.endpoints()).size > 0) {
    o.warn(`webhooks: ${KEY_VARIABLE} is not set: new endpoints' secrets are stored as they are, not sealed (docs/security.md)`);
  }
  // Unique per process: an attempt's record names the node that made it.
  const node = `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
  const worker = new DeliveryWorker(store, registry, {
    node,
    clock: o.clock,
    send: httpSend(policy, ATTEMPT_TIMEOUT_MS),
    onError: (e) => o.warn(`webhooks: ${e instanceof Error ? e.message : String(e)}`),
    ...(o.onAttempt === undefined ? {} : { onAttempt: o.onAttempt }),
  });
  if (o.allowPrivate) o.warn('webhooks: --allow-http-webhooks: http and loopback, private and link-local addresses are allowed');
  worker.start();
  return { registry, worker, stop: () => worker.stop() };
};
