import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { authorize, Principal } from '../auth/authorize';
import { ApiError, apiError } from './apiError';
import { AdminRoute } from './tokenRoutes';
import { AccountId } from '../domain/fields';
import { MESSAGE_TYPES, MessageType, MessageTypeC } from '../webhooks/messages';
import { DeliveryState } from '../webhooks/deliveryState';
import { EndpointId, MessageId } from '../webhooks/webhookEvents';
import { Endpoint, Sender, WebhookError, WebhookRegistry } from '../webhooks/webhookRegistry';

/**
 * Webhook endpoints over HTTP (api.md "Webhooks"), for admins: an endpoint for one account needs an
 * admin of that account, one for every account an admin of every account. An endpoint outside the
 * caller's accounts answers as a missing one.
 */
export interface WebhookRoute extends AdminRoute {
  /** Called with the caller (whose accounts bound what it sees), the sender to record, and params and body decoded. */
  run(registry: WebhookRegistry, principal: Principal, sender: Sender, params: unknown, body: unknown): Promise<E.Either<WebhookError | ApiError, unknown>>;
}

const WebhookUrl = new t.Type<string, string, unknown>(
  'an absolute https URL of at most 2048 characters',
  (u): u is string => typeof u === 'string',
  (u, c) => (typeof u === 'string' && u.length > 0 ? t.success(u) : t.failure(u, c)),
  t.identity,
);

const EventTypes = new t.Type<ReadonlyArray<MessageType>, ReadonlyArray<MessageType>, unknown>(
  `a non-empty list of message types (${MESSAGE_TYPES.join(', ')})`,
  (u): u is ReadonlyArray<MessageType> => Array.isArray(u) && u.length > 0 && u.every((x) => MessageTypeC.is(x)),
  (u, c) => (Array.isArray(u) && u.length > 0 && u.every((x) => MessageTypeC.is(x)) ? t.success(u as ReadonlyArray<MessageType>) : t.failure(u, c)),
  t.identity,
);

const mayManage = (principal: Principal, e: Pick<Endpoint, 'accountId'>): boolean => E.isRight(authorize(principal, 'manageWebhooks', e.accountId ?? undefined));

const visible = async (registry: WebhookRegistry, principal: Principal, id: string): Promise<E.Either<WebhookError, Endpoint>> => {
  const found = await registry.endpoint(id);
  return E.isRight(found) && !mayManage(principal, found.right) ? E.left({ code: 'WEBHOOK_NOT_FOUND', message: `no webhook endpoint ${id}` }) : found;
};

const statusOf = (s: DeliveryState): 'active' | 'disabled' => (s.disabled === null ? 'active' : 'disabled');

/** What a listing shows of an endpoint: never its secret. */
const listed = (e: Endpoint, s: DeliveryState) => ({
  id: e.id,
  url: e.url,
  events: e.events,
  accountId: e.accountId,
  createdAt: e.createdAt,
  status: statusOf(s),
  disabledAt: s.disabled?.at ?? null,
});

export const webhookRoutes: ReadonlyArray<WebhookRoute> = [
  {
    operationId: 'registerWebhook',
    method: 'POST',
    path: '/v1/webhooks',
    status: 201,
    summary: 'Register a webhook endpoint; the answer is the only time its secret (whsec_…) is shown. Without accountId it gets every account\'s messages',
    params: {},
    body: { required: { url: WebhookUrl, events: EventTypes }, optional: { accountId: AccountId } },
    response: 'NewWebhook',
    run: async (registry, principal, sender, _p, b: { url: string; events: ReadonlyArray<MessageType>; accountId?: string }) => {
      const accountId = b.accountId ?? null;
      const allowed = authorize(principal, 'manageWebhooks', b.accountId);
      if (E.isLeft(allowed)) return E.left(apiError('FORBIDDEN', allowed.left.message));
      return registry.register({ url: b.url, events: b.events, accountId }, sender);
    },
  },
  {
    operationId: 'listWebhooks',
    method: 'GET',
    path: '/v1/webhooks',
    status: 200,
    summary: 'The webhook endpoints the caller may manage, deleted ones left out; never a secret',
    params: {},
    response: 'WebhookList',
    run: async (registry, principal) => {
      const endpoints = [...(await registry.endpoints()).values()].filter((e) => e.deletedAt === null && mayManage(principal, e));
      const webhooks = await Promise.all(endpoints.map(async (e) => listed(e, (await registry.deliveries(e)).state)));
      return E.right({ webhooks });
    },
  },
  {
    operationId: 'deleteWebhook',
    method: 'DELETE',
    path: '/v1/webhooks/{id}',
    status: 200,
    summary: 'Delete a webhook endpoint: nothing more is sent to it (an attempt in flight ends)',
    params: { id: EndpointId },
    response: 'DeletedWebhook',
    run: async (registry, principal, sender, p: { id: string }) => {
      const found = await visible(registry, principal, p.id);
      return E.isLeft(found) ? found : registry.delete(p.id, sender);
    },
  },
  {
    operationId: 'listDeliveries',
    method: 'GET',
    path: '/v1/webhooks/{id}/deliveries',
    status: 200,
    summary: 'The endpoint\'s recent messages, newest first: status (sending, retrying, delivered, failed), attempts, the last answer, the next try',
    params: { id: EndpointId },
    response: 'DeliveryList',
    run: async (registry, principal, _s, p: { id: string }) => {
      const found = await visible(registry, principal, p.id);
      if (E.isLeft(found)) return found;
      const { state } = await registry.deliveries(found.right);
      return E.right({ ...listed(found.right, state), deliveries: [...state.recent].reverse() });
    },
  },
  {
    operationId: 'redeliver',
    method: 'POST',
    path: '/v1/webhooks/{id}/redeliver',
    status: 200,
    summary: 'Send again, in order, every message from one the endpoint was sent before (its webhook-id) on; enables a disabled endpoint',
    params: { id: EndpointId },
    body: { required: { messageId: MessageId }, optional: {} },
    response: 'Redelivery',
    run: async (registry, principal, sender, p: { id: string }, b: { messageId: string }) => {
      const found = await visible(registry, principal, p.id);
      return E.isLeft(found) ? found : registry.redeliver(p.id, b.messageId, sender);
    },
  },
];
