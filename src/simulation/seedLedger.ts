import * as E from 'fp-ts/Either';
import { LedgerService } from '../app/ledgerService';
import { EventStore } from '../store/eventStore';
import { SeedCommand } from './seedPlan';

export interface SeedCounts {
  readonly ok: number;
  /** Rejections by error code. */
  readonly rejected: ReadonlyMap<string, number>;
  /** Events the accepted commands appended. */
  readonly events: number;
}

export interface SeedLedgerOptions {
  /** Written as the actor of every event (audit trail). */
  readonly actor: string;
  /** Usage commands in flight at once. */
  readonly concurrency?: number;
  readonly onProgress?: (commands: number) => void;
}

const DEFAULT_CONCURRENCY = 512;

/**
 * Plays generated commands through the real handler on the plan's own clock: "now" is
 * the latest `occurredAt` sent. Consecutive usage requests run concurrently, since they touch one
 * stream each and the handler serialises a stream while the store group-commits across streams;
 * every other command waits for those before it, so that time in a profile never goes backwards.
 */
export const seedLedger = async (store: EventStore, commands: Iterable<SeedCommand>, options: SeedLedgerOptions): Promise<SeedCounts> => {
  let now = new Date(0);
  const ledger = await new LedgerService(store, { clock: () => now }).open();
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  let ok = 0;
  let events = 0;
  let done = 0;
  const rejected = new Map<string, number>();
  const send = async (c: SeedCommand): Promise<void> => {
    const result = await ledger.execute(c, { actor: options.actor });
    if (E.isRight(result)) {
      ok += 1;
      if (!result.right.duplicate) events += result.right.events.length;
    } else rejected.set(result.left.code, (rejected.get(result.left.code) ?? 0) + 1);
    options.onProgress?.(++done);
  };
  let usage: SeedCommand[] = [];
  const flushUsage = async (): Promise<void> => {
    const last = usage[usage.length - 1];
    if (last === undefined) return;
    now = new Date(last.occurredAt);
    await Promise.all(usage.map(send));
    usage = [];
  };
  for (const c of commands) {
    if (c.type === 'ConsumeCredits') {
      usage.push(c);
      if (usage.length >= concurrency) await flushUsage();
      continue;
    }
    await flushUsage();
    now = new Date(c.occurredAt);
    await send(c);
  }
  await flushUsage();
  return { ok, rejected, events };
};
