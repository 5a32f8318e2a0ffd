import Decimal from 'decimal.js';
import { Answer } from '../../../src/api/idempotency';
import { decodeOrThrow } from '../../../src/commands/decodeRecorded';
import { isLedgerStream, LedgerEvent } from '../../../src/domain/events';
import { LedgerView } from '../../../src/projections/ledgerView';
import { monthlyStatement } from '../../../src/projections/monthlyStatement';
import { StatementLine } from '../../../src/projections/statementTypes';
import { RecordedEvent } from '../../../src/store/eventStore';
import { ReferenceFold } from './referenceFold';
import { SimRequest } from './simProcess';

/** A request and the answer its client got. */
export interface Exchange {
  readonly request: SimRequest;
  readonly answer: Answer;
}

interface Placed {
  readonly at: string;
  readonly what: string;
}

const SUBSCRIPTION_EVENTS: ReadonlySet<string> = new Set(['UserSubscribed', 'UserUnsubscribed', 'SubscriptionUpgraded', 'SubscriptionDowngraded']);

const describe = (e: RecordedEvent, event: LedgerEvent): string => `${e.type}@${e.globalPosition} (${e.streamId}, ${event.data.occurredAt})`;
const codeOf = (a: Answer): string | undefined => (a.body as { error?: { code?: string } } | null)?.error?.code;
const latest = (...xs: ReadonlyArray<Placed | undefined>): Placed | undefined =>
  xs.reduce<Placed | undefined>((a, x) => (x !== undefined && (a === undefined || x.at > a.at) ? x : a), undefined);

/** Per profile, the latest-dated event of each kind T2 checks against. */
interface ProfileTimes {
  created?: Placed;
  credit?: Placed;
  overage?: Placed;
  subscription?: Placed;
  consumption?: Placed;
  readonly subscriptionOf: Map<string, Placed>;
  readonly consumptionOf: Map<string, Placed>;
}

/**
 * T2 in log order (billing-rules.md, its table): no event of a profile is dated before an event it
 * is checked against that the log holds before it. Equal instants are ordered by the log.
 */
const timeOrder = (log: ReadonlyArray<{ e: RecordedEvent; event: LedgerEvent }>): string[] => {
  const found: string[] = [];
  const profiles = new Map<string, ProfileTimes>();
  for (const { e, event } of log) {
    if (!('profileId' in event.data)) continue;
    const p: ProfileTimes = profiles.get(event.data.profileId) ?? { subscriptionOf: new Map(), consumptionOf: new Map() };
    profiles.set(event.data.profileId, p);
    const here: Placed = { at: event.data.occurredAt, what: describe(e, event) };
    const user = 'userId' in event.data ? event.data.userId : '';
    const bound =
      event.type === 'CreditsConsumed'
        ? latest(p.created, p.overage, p.subscriptionOf.get(user))
        : event.type === 'OverageSet'
          ? latest(p.created, p.overage, p.subscription, p.consumption)
          : SUBSCRIPTION_EVENTS.has(event.type)
            ? latest(p.created, p.overage, p.subscription, p.consumptionOf.get(user))
            : event.type === 'CreditIssued'
              ? latest(p.created, p.credit)
              : undefined;
    if (bound !== undefined && here.at < bound.at) found.push(`T2: ${here.what} is dated before ${bound.what}, which the log holds before it`);
    if (event.type === 'ProfileCreated') p.created = here;
    if (event.type === 'OverageSet') p.overage = here;
    if (event.type === 'CreditIssued') p.credit = here;
    if (SUBSCRIPTION_EVENTS.has(event.type)) {
      p.subscription = here;
      p.subscriptionOf.set(user, here);
    }
    if (event.type === 'CreditsConsumed') {
      p.consumption = here;
      p.consumptionOf.set(user, here);
    }
  }
  return found;
};

/**
 * K4 in log order: with overage off (as the log has it at that point), a user's consumption never
 * passes the allowance of its month so far (K1, by the one fold of a user's month).
 */
const allowance = (log: ReadonlyArray<{ e: RecordedEvent; event: LedgerEvent }>): string[] => {
  const found: string[] = [];
  const rules = new ReferenceFold();
  for (const { e, event } of log) {
    if (event.type === 'CreditsConsumed' && !rules.accepts(event.data.profileId, event.data.userId, event.data.credits, event.data.occurredAt)) {
      const { userId, profileId, occurredAt } = event.data;
      const f = rules.facts(profileId, userId, occurredAt);
      found.push(
        `K4: ${describe(e, event)} takes ${profileId}/${userId} to ${f.consumed.plus(event.data.credits).toFixed(2)} credits, past the allowance ${f.allowance.toFixed(2)} (holds: ${f.holds}), with overage off in the log before it`,
      );
    }
    rules.apply(event);
  }
  return found;
};

/** K2: a requestId is applied at most once per profile. */
const requestIds = (log: ReadonlyArray<{ e: RecordedEvent; event: LedgerEvent }>): string[] => {
  const seen = new Map<string, string>();
  const found: string[] = [];
  for (const { e, event } of log) {
    if (event.type !== 'CreditsConsumed') continue;
    const id = `${event.data.profileId}/${event.data.requestId}`;
    const first = seen.get(id);
    if (first !== undefined) found.push(`K2: requestId ${id} applied twice: ${first} and ${describe(e, event)}`);
    else seen.set(id, describe(e, event));
  }
  return found;
};

/**
 * N2: the credits of a line never add up to more than what the line's final statement leaves of it
 * (its amount, less the REFUND reversing it). The statements are the ledger's own fold of the log.
 */
const creditsWithinLines = (log: ReadonlyArray<{ e: RecordedEvent; event: LedgerEvent }>): string[] => {
  const view = new LedgerView();
  for (const { e } of log) view.apply(decodeOrThrow(e));
  const credited = new Map<string, { profileId: string; month: string; total: Decimal; events: string[] }>();
  for (const { e, event } of log) {
    if (event.type !== 'CreditIssued') continue;
    const c = credited.get(event.data.lineId) ?? { profileId: event.data.profileId, month: event.data.month, total: new Decimal(0), events: [] };
    credited.set(event.data.lineId, { ...c, total: c.total.plus(event.data.amount), events: [...c.events, describe(e, event)] });
  }
  const found: string[] = [];
  for (const [lineId, c] of credited) {
    const input = view.statementInput(c.profileId, c.month, '2100-01-01T00:00:00.000Z');
    let lines: ReadonlyArray<StatementLine> = [];
    try {
      lines = input === undefined ? [] : monthlyStatement(input).users.flatMap((u) => u.lines);
    } catch (err) {
      // The fold refuses a log it cannot place (T2, L6): that is a finding too.
      found.push(`N2: the statement of ${c.profileId} for ${c.month} does not fold: ${(err as Error).message}`);
      continue;
    }
    const line = lines.find((l) => l.lineId === lineId);
    const refund = lines.find((l) => l.kind === 'REFUND' && l.reverses === lineId);
    const left = new Decimal(line?.amount ?? 0).plus(refund?.amount ?? 0);
    if (line === undefined || c.total.greaterThan(left)) found.push(`N2: line ${lineId} (${line?.amount ?? 'not on its statement'}) is credited ${c.total.toFixed(2)} by ${c.events.join(', ')}`);
  }
  return found;
};

/**
 * What the clients were told against what the log holds: an acknowledged event is in it, a
 * rejection (any 4xx, 409 IDEMPOTENCY_KEY_REUSED included) appended nothing, the events under one
 * Idempotency-Key come from one request, and a command the server dated is never OUT_OF_ORDER (api.md).
 */
const answers = (log: ReadonlyArray<RecordedEvent>, exchanges: ReadonlyArray<Exchange>): string[] => {
  const found: string[] = [];
  const eventIds = new Set(log.map((e) => e.eventId));
  const byRequest = new Map<string, RecordedEvent[]>();
  const requestsByKey = new Map<string, Set<string>>();
  for (const e of log) {
    const request = e.metadata.correlationId;
    if (request !== undefined) byRequest.set(request, [...(byRequest.get(request) ?? []), e]);
    const key = e.metadata.idempotencyKey;
    if (key !== undefined && request !== undefined) requestsByKey.set(key, new Set([...(requestsByKey.get(key) ?? []), request]));
  }
  for (const [key, requests] of requestsByKey) {
    if (requests.size > 1) found.push(`Idempotency-Key ${key}: events of ${requests.size} requests (${[...requests].join(', ')}), one effect expected`);
  }
  for (const { request, answer } of exchanges) {
    const code = codeOf(answer);
    if (answer.status < 300) {
      const events = (answer.body as { events: ReadonlyArray<{ eventId: string }> }).events;
      const missing = events.filter((e) => !eventIds.has(e.eventId));
      if (missing.length > 0) found.push(`${request.id} answered ${answer.status}, yet ${missing.length} of its events are not in the log`);
    } else if (answer.status < 500) {
      const appended = byRequest.get(request.id) ?? [];
      if (appended.length > 0) found.push(`${request.id} answered ${answer.status} ${code}, yet appended ${appended.map((e) => `${e.type}@${e.globalPosition}`).join(', ')}`);
    }
    if (code === 'OUT_OF_ORDER' && request.command.occurredAt === undefined) found.push(`${request.id}: dated by the server, yet answered OUT_OF_ORDER`);
  }
  return found;
};

/** Every invariant of the simulation, checked against the whole log, re-read and decoded. */
export const violations = (log: ReadonlyArray<RecordedEvent>, exchanges: ReadonlyArray<Exchange>): string[] => {
  const ledger = log.filter((e) => isLedgerStream(e.streamId));
  const decoded = ledger.map((e) => ({ e, event: decodeOrThrow(e).event }));
  return [...timeOrder(decoded), ...allowance(decoded), ...requestIds(decoded), ...creditsWithinLines(decoded), ...answers(ledger, exchanges)];
};
