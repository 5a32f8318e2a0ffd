import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { LedgerService } from '../src/app/ledgerService';
import { consumeCommandId } from '../src/domain/reads';
import { CommandInput } from '../src/domain/commands';
import { SCHEMA_VERSION, Streams } from '../src/domain/events';
import { Dec } from '../src/domain/money';
import { Month, monthEnd, monthOf, monthStart, nextMonth, toMillis } from '../src/domain/time';
import { EventStore, ExpectedRevision, NewEvent } from '../src/store/eventStore';
import { SqliteEventStore } from '../src/store/sqliteEventStore';

/** One profile's history: `users` users over `months` months, `usagePerUserMonth` requests each. */
export interface HistoryShape {
  readonly profileId: string;
  readonly users: number;
  readonly months: number;
  readonly usagePerUserMonth: number;
  readonly start: Month;
}

/** Appends issued in one event-loop turn, so that the store commits them in one transaction. */
const APPENDS_PER_COMMIT = 5000;
const TIERS = ['PRO', 'PRO_PLUS', 'POWER'] as const;
/** The lowest allowance (Pro's): usage stays under it, so every request would have been accepted. */
const MIN_ALLOWANCE_CENTS = 1000 * 100;

export const userIdOf = (i: number): string => `u-${String(i).padStart(6, '0')}`;

/** A consumption as the bulk writer takes it: a ConsumeCredits the handler accepted, with its instant. */
export interface BulkConsumption {
  readonly profileId: string;
  readonly userId: string;
  readonly credits: string;
  readonly requestId: string;
  readonly occurredAt: string;
}

/** The event the handler appends for an accepted consumption: payload and metadata, its command id included. */
export const consumptionEvent = (c: BulkConsumption): NewEvent => {
  const commandId = consumeCommandId(c.profileId, c.requestId);
  return { eventId: randomUUID(), type: 'CreditsConsumed', data: c, metadata: { schemaVersion: SCHEMA_VERSION, commandId, correlationId: commandId, actor: 'bench' } };
};

/**
 * Consumptions appended straight through the store, exactly as the handler writes them (stream,
 * event, command id), each with its expected revision, in group commits of APPENDS_PER_COMMIT
 * appends issued in one event-loop turn. Their usage streams must start empty.
 */
export const appendConsumptions = async (
  store: EventStore,
  consumptions: Iterable<BulkConsumption>,
  onCommit?: () => Promise<void>,
  /** Where streams that already have events end; the others must start empty. */
  revisions = new Map<string, number>(),
): Promise<void> => {
  let pending: Promise<unknown>[] = [];
  const commit = async () => {
    await Promise.all(pending);
    pending = [];
    await onCommit?.();
  };
  for (const c of consumptions) {
    const streamId = Streams.usage(c.profileId, c.userId, monthOf(c.occurredAt));
    const revision = revisions.get(streamId) ?? -1;
    revisions.set(streamId, revision + 1);
    const event = consumptionEvent(c);
    pending.push(store.append(streamId, [event], { expectedRevision: ExpectedRevision.after(revision), commandIds: [event.metadata.commandId as string] }));
    if (pending.length === APPENDS_PER_COMMIT) await commit();
  }
  if (pending.length > 0) await commit();
};

/**
 * A large history, fast. Lifecycle commands (profile, subscriptions, a tenth of the users changing
 * tier each month) go through the real handler; the usage events, which are nearly all of the log,
 * are appended straight through the store in large group commits, exactly as the handler would
 * write them (same streams, payloads, metadata and command ids), and valid by construction: every
 * user holds at least Pro all along, and a month's requests add up to less than Pro's credits.
 */
export const buildHistory = async (path: string, shape: HistoryShape, onProgress?: (events: number) => void): Promise<number> => {
  const store = new SqliteEventStore(path);
  let now = new Date(monthStart(shape.start));
  const ledger = await new LedgerService(store, { clock: () => now }).open();
  const { profileId, users, usagePerUserMonth: perMonth } = shape;
  const tiers: string[] = Array.from({ length: users }, (_, i) => TIERS[i % TIERS.length] as string);
  const maxCents = Math.max(1, Math.floor(MIN_ALLOWANCE_CENTS / Math.max(1, perMonth)));
  const run = async (c: CommandInput & { occurredAt: string }): Promise<void> => {
    now = new Date(c.occurredAt);
    const result = await ledger.execute(c, { actor: 'bench' });
    if (E.isLeft(result)) throw new Error(`bench history: ${c.type} rejected: ${result.left.code} ${result.left.message}`);
  };
  const at = (ms: number) => new Date(ms).toISOString();
  try {
    let month = shape.start;
    await run({ type: 'CreateProfile', profileId, accountId: '999900001111', region: 'eu-central-1', occurredAt: monthStart(month) });
    for (let m = 0; m < shape.months; m++, month = nextMonth(month)) {
      const start = toMillis(monthStart(month));
      for (let i = 0; i < users; i++) {
        const userId = userIdOf(i);
        const occurredAt = at(start + 1000 * (i + 1));
        if (m === 0) await run({ type: 'Subscribe', profileId, userId, tier: tiers[i] as string, occurredAt });
        else if ((i + m) % 10 === 0) {
          // Power users go down to Pro, the others up to Power: statements get REFUND lines.
          const up = tiers[i] !== 'POWER';
          tiers[i] = up ? 'POWER' : 'PRO';
          await run({ type: up ? 'Upgrade' : 'Downgrade', profileId, userId, tier: tiers[i] as string, occurredAt });
        }
      }
      const from = start + 3600_000;
      const span = toMillis(monthEnd(month)) - 3600_000 - from;
      const total = users * perMonth;
      const consumptions = function* (): Iterable<BulkConsumption> {
        for (let n = 0; n < total; n++) {
          const userId = userIdOf(n % users);
          const cents = 1 + ((n * 7919) % maxCents);
          const occurredAt = at(from + Math.floor((span * n) / total));
          yield { profileId, userId, credits: new Dec(cents).dividedBy(100).toFixed(2), requestId: `${userId}.${month}.${Math.floor(n / users)}`, occurredAt };
        }
      };
      await appendConsumptions(store, consumptions(), onProgress === undefined ? undefined : async () => onProgress((await store.headPosition()) + 1));
    }
    return (await store.headPosition()) + 1;
  } finally {
    await store.close();
  }
};
