import { randomBytes, randomUUID } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { Loaded, StreamStateCache } from '../commands/streamStateCache';
import { EventStore, ExpectedRevision, StoreFault } from '../store/eventStore';
import { DeliveryState, evolveDelivery, initialDeliveryState } from './deliveryState';
import { MessageType } from './messages';
import {
  decodeDeliveryEvent,
  decodeEndpointEvent,
  DeliveryEvent,
  deliveriesStream,
  EndpointEvent,
  WEBHOOK_SCHEMA_VERSION,
  WEBHOOKS_STREAM,
} from './webhookEvents';
import { openSecret, sealSecret } from './secretBox';
import { checkWebhookUrl, UrlPolicy } from './webhookUrl';

export interface Endpoint {
  readonly id: string;
  readonly url: string;
  readonly events: ReadonlyArray<MessageType>;
  /** Null: every account's messages. */
  readonly accountId: string | null;
  /** As stored: possibly sealed (secretBox.ts); `secretOf` opens it. */
  readonly secret: string;
  readonly fromPosition: number;
  readonly createdAt: string;
  readonly deletedAt: string | null;
}

export type Endpoints = ReadonlyMap<string, Endpoint>;

export interface WebhookError {
  readonly code: 'VALIDATION' | 'URL_NOT_ALLOWED' | 'WEBHOOK_NOT_FOUND' | 'MESSAGE_NOT_FOUND';
  readonly message: string;
}

export interface NewEndpoint {
  readonly url: string;
  readonly events: ReadonlyArray<MessageType>;
  readonly accountId: string | null;
}

export interface Sender {
  readonly actor: string;
  readonly correlationId?: string;
}

const evolveEndpoints = (endpoints: Endpoints, e: EndpointEvent): Endpoints => {
  if (e.type === 'WebhookRegistered') return new Map(endpoints).set(e.data.id, { ...e.data, deletedAt: null });
  const found = endpoints.get(e.data.id);
  return found === undefined ? endpoints : new Map(endpoints).set(e.data.id, { ...found, deletedAt: e.data.deletedAt });
};

/** Secrets in the form Standard Webhooks libraries take: `whsec_` and 24 random bytes in base64. */
const newSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;
const newEndpointId = (): string => `wh_${randomBytes(16).toString('base64url')}`;

const notFound = (id: string): WebhookError => ({ code: 'WEBHOOK_NOT_FOUND', message: `no webhook endpoint ${id}` });

/** A lost race is only ever to another append to the same meta stream; a few re-reads settle it. */
const MAX_APPEND_ATTEMPTS = 8;

/**
 * The endpoints of `meta/webhooks` and their deliveries, in the store the events live in. Every call
 * catches up from the cached revision, so what another node or process registered counts at once.
 */
export class WebhookRegistry {
  private readonly endpointCache: StreamStateCache<EndpointEvent>;
  private readonly deliveryCache: StreamStateCache<DeliveryEvent>;

  constructor(
    private readonly store: EventStore,
    readonly policy: UrlPolicy,
    private readonly clock: () => Date = () => new Date(),
    /** The deployment key secrets are sealed with; none: they are stored as they are. */
    private readonly key?: Buffer,
  ) {
    this.endpointCache = new StreamStateCache(store, decodeEndpointEvent, 1);
    this.deliveryCache = new StreamStateCache(store, decodeDeliveryEvent);
  }

  /** Every endpoint ever registered, deleted ones included. */
  async endpoints(): Promise<Endpoints> {
    return (await this.loadEndpoints()).state;
  }

  async endpoint(id: string): Promise<E.Either<WebhookError, Endpoint>> {
    const found = (await this.endpoints()).get(id);
    return found === undefined || found.deletedAt !== null ? E.left(notFound(id)) : E.right(found);
  }

  /** Registers an endpoint and returns its secret: the only time it is shown. */
  async register(input: NewEndpoint, sender: Sender): Promise<E.Either<WebhookError, { readonly id: string; readonly secret: string }>> {
    const url = await checkWebhookUrl(input.url, this.policy);
    if (E.isLeft(url)) return url;
    const id = newEndpointId();
    const secret = newSecret();
    const fromPosition = await this.store.headPosition();
    const data = { id, url: url.right.href, events: [...new Set(input.events)], accountId: input.accountId, secret: sealSecret(secret, id, this.key), fromPosition, createdAt: this.now() };
    await this.appendEndpointEvent({ type: 'WebhookRegistered', data }, sender);
    return E.right({ id, secret });
  }

  async delete(id: string, sender: Sender): Promise<E.Either<WebhookError, { readonly id: string; readonly deletedAt: string }>> {
    const found = await this.endpoint(id);
    if (E.isLeft(found)) return found;
    const deletedAt = this.now();
    await this.appendEndpointEvent({ type: 'WebhookDeleted', data: { id, deletedAt } }, sender);
    return E.right({ id, deletedAt });
  }

  /** The key an endpoint's messages are signed with; throws when it is sealed and cannot be opened. */
  secretOf(endpoint: Endpoint): string {
    return openSecret(endpoint.secret, endpoint.id, this.key);
  }

  /** The endpoint's delivery record, caught up. */
  async deliveries(endpoint: Endpoint): Promise<Loaded<DeliveryState>> {
    return this.deliveryCache.load(deliveriesStream(endpoint.id), evolveDelivery, initialDeliveryState(endpoint.fromPosition));
  }

  /**
   * Claims a change of the delivery record: appended only if the stream is still at the revision the
   * caller decided on, so that of two nodes deciding on one state only one acts (false: it lost).
   */
  async recordDelivery(endpoint: Endpoint, at: Loaded<DeliveryState>, event: DeliveryEvent, expected: 'exact' | 'any', node: string): Promise<boolean> {
    const metadata = { schemaVersion: WEBHOOK_SCHEMA_VERSION, actor: 'system', correlationId: node };
    const result = await this.store.append(deliveriesStream(endpoint.id), [{ eventId: randomUUID(), type: event.type, data: event.data, metadata }], {
      expectedRevision: expected === 'exact' ? ExpectedRevision.after(at.revision) : ExpectedRevision.any,
    });
    return result.kind === 'appended';
  }

  /** Sends again from a message the endpoint was sent before, and enables it if it was disabled. */
  async redeliver(id: string, messageId: string, sender: Sender): Promise<E.Either<WebhookError, { readonly id: string; readonly from: string }>> {
    const found = await this.endpoint(id);
    if (E.isLeft(found)) return found;
    const attempted = (await this.store.readStream(deliveriesStream(id)))
      .map(decodeDeliveryEvent)
      .find((e) => e.type === 'AttemptStarted' && e.data.messageId === messageId);
    if (attempted?.type !== 'AttemptStarted') {
      return E.left({ code: 'MESSAGE_NOT_FOUND', message: `message ${messageId} was never sent to webhook endpoint ${id}` });
    }
    const loaded = await this.deliveries(found.right);
    const event: DeliveryEvent = {
      type: 'RedeliveryRequested',
      data: { messageId, position: attempted.data.position, seq: attempted.data.seq, actor: sender.actor, at: this.now() },
    };
    await this.recordDelivery(found.right, loaded, event, 'any', sender.correlationId ?? sender.actor);
    return E.right({ id, from: messageId });
  }

  private now(): string {
    return this.clock().toISOString();
  }

  private async appendEndpointEvent(event: EndpointEvent, sender: Sender): Promise<void> {
    const commandId = randomUUID();
    const metadata = { schemaVersion: WEBHOOK_SCHEMA_VERSION, actor: sender.actor, commandId, correlationId: sender.correlationId ?? commandId };
    for (let attempt = 1; ; attempt++) {
      const loaded = await this.loadEndpoints();
      const result = await this.store.append(WEBHOOKS_STREAM, [{ eventId: randomUUID(), type: event.type, data: event.data, metadata }], {
        expectedRevision: ExpectedRevision.after(loaded.revision),
      });
      if (result.kind !== 'conflict') {
        this.endpointCache.appended(WEBHOOKS_STREAM, loaded, [event], evolveEndpoints);
        return;
      }
      if (attempt >= MAX_APPEND_ATTEMPTS) throw new StoreFault('busy', `${result.message}; gave up after ${attempt} attempts`, 1);
    }
  }

  private loadEndpoints(): Promise<Loaded<Endpoints>> {
    return this.endpointCache.load(WEBHOOKS_STREAM, evolveEndpoints, new Map());
  }
}
