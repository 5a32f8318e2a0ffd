import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { AccountId, Instant, pattern } from '../domain/fields';
import { Streams } from '../domain/events';
import { decode } from '../domain/validation';
import { RecordedEvent } from '../store/eventStore';
import { MessageTypeC } from './messages';

/**
 * The shell's records of webhooks, in the store's meta area like the API tokens: the endpoints in
 * one stream, and each endpoint's deliveries (its cursor, its attempts, its lease) in a stream of
 * its own, so that every node of a deployment reads and claims the same record.
 */
export const WEBHOOKS_STREAM = `${Streams.metaPrefix}webhooks`;
export const deliveriesStream = (endpointId: string): string => `${Streams.metaPrefix}webhooks/${endpointId}/deliveries`;
export const WEBHOOK_SCHEMA_VERSION = 1;

export const EndpointId = pattern('a webhook endpoint id (wh_ and 22 characters of A-Z a-z 0-9 _ -)', /^wh_[A-Za-z0-9_-]{22}$/);
export const Secret = pattern('a webhook secret (whsec_ and base64)', /^whsec_[A-Za-z0-9+/=]{32,}$/);
/** As stored: the secret, or the secret sealed with the deployment key (secretBox.ts). */
const StoredSecret = t.union([Secret, pattern('a sealed webhook secret', /^sealed:v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/)]);
export const MessageId = pattern('a webhook message id (msg_…)', /^msg_[A-Za-z0-9._:@-]{1,200}$/);
const NodeId = t.string;

export const WebhookRegistered = t.type(
  {
    type: t.literal('WebhookRegistered'),
    data: t.type({
      id: EndpointId,
      url: t.string,
      events: t.readonlyArray(MessageTypeC),
      accountId: t.union([AccountId, t.null]),
      secret: StoredSecret,
      /** The log's head at registration: an endpoint gets the messages of the events after it. */
      fromPosition: t.number,
      createdAt: Instant,
    }),
  },
  'WebhookRegistered',
);
export const WebhookDeleted = t.type({ type: t.literal('WebhookDeleted'), data: t.type({ id: EndpointId, deletedAt: Instant }) }, 'WebhookDeleted');

/** A node claims the next attempt of the endpoint's current message: the append's expected revision makes the claim exclusive. */
export const AttemptStarted = t.type(
  {
    type: t.literal('AttemptStarted'),
    data: t.type({ messageId: MessageId, messageType: MessageTypeC, position: t.number, seq: t.number, attempt: t.number, node: NodeId, startedAt: Instant }),
  },
  'AttemptStarted',
);
export const Outcome = t.keyof({ delivered: null, retry: null, failed: null });
export type Outcome = t.TypeOf<typeof Outcome>;
export const AttemptEnded = t.type(
  {
    type: t.literal('AttemptEnded'),
    data: t.type({
      messageId: MessageId,
      attempt: t.number,
      /** The HTTP status, null when none came (refused, timed out, unreachable). */
      status: t.union([t.number, t.null]),
      error: t.union([t.string, t.null]),
      outcome: Outcome,
      /** When the next attempt is due, for a retry. */
      nextAt: t.union([Instant, t.null]),
      endedAt: Instant,
    }),
  },
  'AttemptEnded',
);
export const EndpointDisabled = t.type({ type: t.literal('EndpointDisabled'), data: t.type({ reason: t.string, at: Instant }) }, 'EndpointDisabled');
/** Sends again from a message on (and enables a disabled endpoint). */
export const RedeliveryRequested = t.type(
  { type: t.literal('RedeliveryRequested'), data: t.type({ messageId: MessageId, position: t.number, seq: t.number, actor: t.string, at: Instant }) },
  'RedeliveryRequested',
);

export type WebhookRegistered = t.TypeOf<typeof WebhookRegistered>;
export type WebhookDeleted = t.TypeOf<typeof WebhookDeleted>;
export type EndpointEvent = WebhookRegistered | WebhookDeleted;
export const EndpointEvent = t.union([WebhookRegistered, WebhookDeleted]);
export type AttemptStarted = t.TypeOf<typeof AttemptStarted>;
export type AttemptEnded = t.TypeOf<typeof AttemptEnded>;
export type EndpointDisabled = t.TypeOf<typeof EndpointDisabled>;
export type RedeliveryRequested = t.TypeOf<typeof RedeliveryRequested>;
export type DeliveryEvent = AttemptStarted | AttemptEnded | EndpointDisabled | RedeliveryRequested;
export const DeliveryEvent = t.union([AttemptStarted, AttemptEnded, EndpointDisabled, RedeliveryRequested]);

/** A stored record that does not decode is corruption: it stops the read rather than being skipped. */
const decoder =
  <A>(codec: t.Decoder<unknown, A>) =>
  (e: RecordedEvent): A => {
    if (e.metadata.schemaVersion !== WEBHOOK_SCHEMA_VERSION) throw new Error(`${e.streamId}@${e.position}: schema version ${e.metadata.schemaVersion} is not known`);
    const decoded = decode(codec, { type: e.type, data: e.data });
    if (E.isLeft(decoded)) throw new Error(`${e.streamId}@${e.position} (${e.type}): ${decoded.left.message}`);
    return decoded.right;
  };

export const decodeEndpointEvent = decoder(EndpointEvent);
export const decodeDeliveryEvent = decoder(DeliveryEvent);
