import { assertInvariant } from '../domain/invariant';
import { EventStore } from '../store/eventStore';
import { afterAttempt, ATTEMPT_TIMEOUT_MS, DeliveryState, nextStep, shouldDisable } from './deliveryState';
import { isAfter, Message, MessagePlace, MessageProjection, sourceOf } from './messages';
import { Outcome } from './webhookEvents';
import { Send } from './webhookSender';
import { Endpoint, WebhookRegistry } from './webhookRegistry';
import { Loaded } from '../commands/streamStateCache';

/** The timers the worker waits with, injected so that a test drives the retry schedule with its own clock. */
export interface Timers {
  setTimeout(f: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WorkerOptions {
  /** This process's name in the attempts it claims. */
  readonly node: string;
  readonly clock: () => Date;
  readonly send: Send;
  readonly timers?: Timers;
  /** How often the log and the endpoints are looked at. */
  readonly pollMs?: number;
  readonly timeoutMs?: number;
  /** Recent messages kept for every endpoint that is up to date. */
  readonly ringSize?: number;
  /** Messages kept for an endpoint that lags behind them. */
  readonly queueSize?: number;
  readonly onError?: (e: unknown) => void;
  /** Each attempt this node ended, for the metrics. */
  readonly onAttempt?: (outcome: Outcome) => void;
}

const isSuccess = (status: number | null): boolean => status !== null && status >= 200 && status < 300;

const wants = (endpoint: Endpoint, m: Message): boolean =>
  endpoint.events.includes(m.type) && (endpoint.accountId === null || endpoint.accountId === m.accountId);

/**
 * Delivers every endpoint's messages, one at a time and in log order, at least once. What is sent
 * is decided by the endpoint's delivery record in the store, never by this process's memory: an
 * attempt is claimed there before it is sent (one node wins the claim), and ended there after, so a
 * kill -9 loses nothing and a restart (or another node) resends at most the attempt in flight.
 *
 * Memory is bounded whatever the backlog: one projection of the log at its head with a ring of its
 * latest messages, shared by the endpoints that keep up, and for one that lags a queue of at most
 * `queueSize` messages, refilled by folding the log again from its start.
 */
export class DeliveryWorker {
  private readonly live = new MessageProjection();
  private livePosition = -1;
  private readonly ring: Message[] = [];
  /** The place of the last message dropped from the ring: an endpoint behind it is served from a replay. */
  private ringFloor: MessagePlace = { position: -1, seq: -1 };
  private readonly queues = new Map<string, ReadonlyArray<Message>>();
  private readonly sending = new Map<string, Promise<void>>();
  /** Endpoints whose secret does not open, reported once each rather than at every pass. */
  private readonly unsignable = new Set<string>();
  private readonly timers: Timers;
  private readonly timeoutMs: number;
  private timer: unknown;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(
    private readonly store: EventStore,
    private readonly registry: WebhookRegistry,
    private readonly options: WorkerOptions,
  ) {
    this.timers = options.timers ?? { setTimeout: (f, ms) => setTimeout(f, ms).unref(), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    this.timeoutMs = options.timeoutMs ?? ATTEMPT_TIMEOUT_MS;
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Stops looking for work and waits for the attempts in flight to end and be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    await this.running;
    await this.settled();
  }

  /** Every attempt started so far has ended and been recorded. */
  async settled(): Promise<void> {
    while (this.sending.size > 0) await Promise.all(this.sending.values());
  }

  /** One pass: the log caught up, and every endpoint's next attempt started if one is due. Passes never overlap. */
  runOnce(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.runOnce()
      .catch((e: unknown) => this.options.onError?.(e))
      .finally(() => {
        if (!this.stopped && this.timer === undefined) this.timer = this.timers.setTimeout(() => this.kick(), this.options.pollMs ?? 1000);
      });
  }

  private async pass(): Promise<void> {
    const endpoints = [...(await this.registry.endpoints()).values()];
    for (const gone of endpoints.filter((e) => e.deletedAt !== null)) this.queues.delete(gone.id);
    const active = endpoints.filter((e) => e.deletedAt === null);
    // A deployment without endpoints pays nothing: the log is folded once the first one exists.
    if (active.length === 0) return;
    await this.catchUp();
    for (const endpoint of active) if (!this.sending.has(endpoint.id)) await this.step(endpoint);
  }

  private async catchUp(): Promise<void> {
    const size = this.options.ringSize ?? 1024;
    for await (const e of this.store.readAll({ after: this.livePosition })) {
      this.livePosition = e.globalPosition;
      const source = sourceOf(e);
      if (source === undefined) continue;
      for (const m of this.live.apply(source)) {
        this.ring.push(m);
        if (this.ring.length > size) this.ringFloor = this.ring.shift() as Message;
      }
    }
  }

  private async step(endpoint: Endpoint): Promise<void> {
    const loaded = await this.registry.deliveries(endpoint);
    const now = this.options.clock();
    const step = nextStep(loaded.state, now, this.timeoutMs);
    if (step.kind === 'wait') return;
    if (step.kind === 'giveUp') {
      const ended = { messageId: step.messageId, attempt: step.attempt, status: null, error: 'the node sending it stopped', outcome: 'failed' as const, nextAt: null, endedAt: now.toISOString() };
      await this.registry.recordDelivery(endpoint, loaded, { type: 'AttemptEnded', data: ended }, 'exact', this.options.node);
      return;
    }
    const message = await this.nextMessage(endpoint, loaded.state.cursor);
    if (message === undefined) return;
    let secret: string;
    try {
      secret = this.registry.secretOf(endpoint);
    } catch (e) {
      if (!this.unsignable.has(endpoint.id)) this.options.onError?.(e);
      this.unsignable.add(endpoint.id);
      return;
    }
    // Messages are made from the log in order, so the one being delivered is always the first after the cursor.
    assertInvariant(step.messageId === null || step.messageId === message.id, 'webhook order', () => `endpoint ${endpoint.id} is being sent ${step.messageId}, but the log's next message after its cursor is ${message.id}`);
    const claim = {
      messageId: message.id,
      messageType: message.type,
      position: message.position,
      seq: message.seq,
      attempt: step.attempt,
      node: this.options.node,
      startedAt: now.toISOString(),
    };
    if (!(await this.registry.recordDelivery(endpoint, loaded, { type: 'AttemptStarted', data: claim }, 'exact', this.options.node))) return;
    const sent = this.deliver(endpoint, secret, message, step.attempt)
      .catch((e: unknown) => this.options.onError?.(e))
      .finally(() => {
        this.sending.delete(endpoint.id);
        this.kick();
      });
    this.sending.set(endpoint.id, sent);
  }

  private async deliver(endpoint: Endpoint, secret: string, message: Message, attempt: number): Promise<void> {
    const answer = await this.options.send({ url: endpoint.url, secret, messageId: message.id, body: message.body, at: this.options.clock() });
    const endedAt = this.options.clock();
    const { outcome, nextAt } = afterAttempt(attempt, isSuccess(answer.status), endedAt);
    const before: Loaded<DeliveryState> = await this.registry.deliveries(endpoint);
    const ended = { messageId: message.id, attempt, status: answer.status, error: answer.error, outcome, nextAt, endedAt: endedAt.toISOString() };
    await this.registry.recordDelivery(endpoint, before, { type: 'AttemptEnded', data: ended }, 'any', this.options.node);
    this.options.onAttempt?.(outcome);
    if (outcome === 'delivered') return;
    const after = await this.registry.deliveries(endpoint);
    if (after.state.disabled === null && shouldDisable(after.state, endedAt)) {
      const reason = `every attempt failed since ${after.state.failingSince}`;
      await this.registry.recordDelivery(endpoint, after, { type: 'EndpointDisabled', data: { reason, at: endedAt.toISOString() } }, 'any', this.options.node);
    }
  }

  /** The endpoint's first message after its cursor, from the ring, its queue, or a replay of the log that refills the queue. */
  private async nextMessage(endpoint: Endpoint, cursor: MessagePlace): Promise<Message | undefined> {
    const queued = (this.queues.get(endpoint.id) ?? []).filter((m) => isAfter(m, cursor));
    if (queued.length > 0) {
      this.queues.set(endpoint.id, queued);
      return queued[0];
    }
    this.queues.delete(endpoint.id);
    if (!isAfter(this.ringFloor, cursor)) return this.ring.find((m) => isAfter(m, cursor) && wants(endpoint, m));
    const refill = await this.replay(endpoint, cursor);
    this.queues.set(endpoint.id, refill);
    return refill[0];
  }

  private async replay(endpoint: Endpoint, cursor: MessagePlace): Promise<ReadonlyArray<Message>> {
    const size = this.options.queueSize ?? 64;
    const projection = new MessageProjection();
    const found: Message[] = [];
    for await (const e of this.store.readAll()) {
      if (e.globalPosition > this.livePosition) break;
      const source = sourceOf(e);
      if (source === undefined) continue;
      for (const m of projection.apply(source)) if (isAfter(m, cursor) && wants(endpoint, m)) found.push(m);
      if (found.length >= size) break;
    }
    return found.slice(0, size);
  }
}
