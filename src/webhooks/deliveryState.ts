import { MessagePlace } from './messages';
import { DeliveryEvent, Outcome } from './webhookEvents';

/**
 * One endpoint's deliveries, folded from its stream: the cursor (every message up to it is done,
 * delivered or failed for good), the message being delivered, and the last few messages for the
 * listing. Pure: the worker, the API and every node fold the same stream to the same state.
 */

/** api.md: the waits after the 1st to the 9th failed attempt; after the 10th the message has failed. */
export const RETRY_DELAYS_MS: ReadonlyArray<number> = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 24 * 3600].map((s) => s * 1000);
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** api.md: an answer that is not in within 15 s is a failed attempt. */
export const ATTEMPT_TIMEOUT_MS = 15_000;
/** api.md: an endpoint failing for 5 days is disabled. */
export const DISABLE_AFTER_MS = 5 * 24 * 3600 * 1000;
/** Past its timeout and this, an attempt nobody ended was lost with its node: another may take the endpoint over. */
export const ABANDON_GRACE_MS = 5_000;
/** How many messages the listing keeps: the state's memory does not grow with the endpoint's history. */
export const RECENT = 50;

export type DeliveryStatus = 'sending' | 'retrying' | 'delivered' | 'failed';

export interface DeliveryRecord {
  readonly messageId: string;
  readonly type: string;
  readonly position: number;
  readonly seq: number;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly lastAttemptAt: string;
  readonly nextAt: string | null;
}

export interface InFlight {
  readonly attempt: number;
  readonly node: string;
  readonly startedAt: string;
}

export interface Current {
  readonly messageId: string;
  readonly place: MessagePlace;
  readonly attempts: number;
  /** Null: due now. */
  readonly nextAt: string | null;
  readonly inFlight: InFlight | null;
}

export interface DeliveryState {
  readonly cursor: MessagePlace;
  readonly current: Current | null;
  /** The first failure since the last delivery: what the 5 days are counted from. */
  readonly failingSince: string | null;
  readonly disabled: { readonly at: string; readonly reason: string } | null;
  /** Newest last. */
  readonly recent: ReadonlyArray<DeliveryRecord>;
}

/** An endpoint starts after the log's head at its registration: every message of that event and before is not its. */
export const initialDeliveryState = (fromPosition: number): DeliveryState => ({
  cursor: { position: fromPosition, seq: Number.MAX_SAFE_INTEGER },
  current: null,
  failingSince: null,
  disabled: null,
  recent: [],
});

const record = (recent: ReadonlyArray<DeliveryRecord>, r: DeliveryRecord): ReadonlyArray<DeliveryRecord> => {
  const others = recent.filter((x) => x.messageId !== r.messageId);
  return [...others.slice(Math.max(0, others.length - RECENT + 1)), r];
};

const statusOf = (o: Outcome): DeliveryStatus => (o === 'delivered' ? 'delivered' : o === 'failed' ? 'failed' : 'retrying');

export const evolveDelivery = (s: DeliveryState, e: DeliveryEvent): DeliveryState => {
  switch (e.type) {
    case 'AttemptStarted': {
      const d = e.data;
      const place = { position: d.position, seq: d.seq };
      const previous = s.recent.find((r) => r.messageId === d.messageId);
      return {
        ...s,
        current: { messageId: d.messageId, place, attempts: d.attempt, nextAt: null, inFlight: { attempt: d.attempt, node: d.node, startedAt: d.startedAt } },
        recent: record(s.recent, {
          messageId: d.messageId,
          type: d.messageType,
          ...place,
          status: 'sending',
          attempts: d.attempt,
          lastStatus: previous?.lastStatus ?? null,
          lastError: previous?.lastError ?? null,
          lastAttemptAt: d.startedAt,
          nextAt: null,
        }),
      };
    }
    case 'AttemptEnded': {
      const d = e.data;
      // The end of an attempt another node already took over from: it answers nothing about the current one.
      if (s.current === null || s.current.messageId !== d.messageId || s.current.inFlight?.attempt !== d.attempt) return s;
      const delivered = d.outcome === 'delivered';
      const previous = s.recent.find((r) => r.messageId === d.messageId);
      const recent =
        previous === undefined ? s.recent : record(s.recent, { ...previous, status: statusOf(d.outcome), lastStatus: d.status, lastError: d.error, nextAt: d.nextAt });
      const failingSince = delivered ? null : (s.failingSince ?? d.endedAt);
      return d.outcome === 'retry'
        ? { ...s, current: { ...s.current, nextAt: d.nextAt, inFlight: null }, failingSince, recent }
        : { ...s, cursor: s.current.place, current: null, failingSince, recent };
    }
    case 'EndpointDisabled':
      return { ...s, disabled: { at: e.data.at, reason: e.data.reason } };
    case 'RedeliveryRequested':
      return { ...s, cursor: { position: e.data.position, seq: e.data.seq - 1 }, current: null, failingSince: null, disabled: null };
  }
};

/** What an attempt's answer means for the message: delivered, retried after the schedule's wait, or failed for good. */
export const afterAttempt = (attempt: number, ok: boolean, endedAt: Date): { outcome: Outcome; nextAt: string | null } => {
  if (ok) return { outcome: 'delivered', nextAt: null };
  const delay = RETRY_DELAYS_MS[attempt - 1];
  return delay === undefined ? { outcome: 'failed', nextAt: null } : { outcome: 'retry', nextAt: new Date(endedAt.getTime() + delay).toISOString() };
};

/** Whether a failure at `at` ends 5 days of failures. */
export const shouldDisable = (s: DeliveryState, at: Date): boolean => s.failingSince !== null && at.getTime() - Date.parse(s.failingSince) >= DISABLE_AFTER_MS;

/**
 * What a node may do with the endpoint now: nothing (disabled, an attempt in flight, the retry not
 * due), or start the next attempt of the current message, or of the next message after the cursor.
 */
export type Step =
  | { readonly kind: 'wait' }
  | { readonly kind: 'attempt'; readonly attempt: number; readonly messageId: string | null }
  /** The last attempt was lost with its node: the message has failed. */
  | { readonly kind: 'giveUp'; readonly attempt: number; readonly messageId: string };

export const nextStep = (s: DeliveryState, now: Date, timeoutMs: number): Step => {
  if (s.disabled !== null) return { kind: 'wait' };
  const c = s.current;
  if (c === null) return { kind: 'attempt', attempt: 1, messageId: null };
  if (c.inFlight !== null) {
    const abandoned = now.getTime() >= Date.parse(c.inFlight.startedAt) + timeoutMs + ABANDON_GRACE_MS;
    // An attempt whose node died counts as made (its answer is unknown) and the message is sent again now.
    if (!abandoned) return { kind: 'wait' };
    return c.attempts < MAX_ATTEMPTS ? { kind: 'attempt', attempt: c.attempts + 1, messageId: c.messageId } : { kind: 'giveUp', attempt: c.attempts, messageId: c.messageId };
  }
  if (c.nextAt !== null && now.getTime() < Date.parse(c.nextAt)) return { kind: 'wait' };
  return { kind: 'attempt', attempt: c.attempts + 1, messageId: c.messageId };
};
