import Decimal from 'decimal.js';
import { Catalog, emptyCatalog, tiersInEffect } from '../../../src/domain/catalog';
import { evolveCatalog } from '../../../src/domain/catalogDecider';
import { LedgerEvent } from '../../../src/domain/events';
import { Dec, ZERO } from '../../../src/domain/money';
import { monthOf } from '../../../src/domain/time';
import { evolveUser, MonthFacts, monthFacts, UserHistory, userMonthIn } from '../../../src/domain/userMonth';

/**
 * The rules at one point of the log, for the simulation's checks: walked event by event in log
 * order, each user's month from the one fold of domain/userMonth, the overage switch as the log has
 * it, and the consumption so far of each user-month.
 */
export class ReferenceFold {
  private catalog: Catalog = emptyCatalog;
  private readonly histories = new Map<string, UserHistory>();
  private readonly overage = new Map<string, boolean>();
  private readonly consumed = new Map<string, Dec>();

  apply(event: LedgerEvent): void {
    switch (event.type) {
      case 'TierDefined':
        this.catalog = evolveCatalog(this.catalog, event);
        return;
      case 'ProfileCreated':
      case 'CreditIssued':
      case 'StatementSealed':
        return;
      case 'OverageSet':
        this.overage.set(event.data.profileId, event.data.enabled);
        return;
      case 'CreditsConsumed': {
        const key = userMonthKey(event.data.profileId, event.data.userId, monthOf(event.data.occurredAt));
        this.consumed.set(key, (this.consumed.get(key) ?? ZERO).plus(new Dec(event.data.credits)));
        return;
      }
      default: {
        const key = `${event.data.profileId}/${event.data.userId}`;
        this.histories.set(key, evolveUser(this.histories.get(key), { event }));
      }
    }
  }

  overageOn(profileId: string): boolean {
    return this.overage.get(profileId) === true;
  }

  /** K1, K5 and the consumption so far of the user's month that the instant is in. */
  facts(profileId: string, userId: string, occurredAt: string): MonthFacts {
    const month = monthOf(occurredAt);
    const um = userMonthIn(this.histories.get(`${profileId}/${userId}`), month);
    return monthFacts(um, tiersInEffect(this.catalog, month), this.consumed.get(userMonthKey(profileId, userId, month)) ?? ZERO);
  }

  /** Whether the rules accept a consumption at this point of the log (K1, K4, K5), leaving time (T2, T4) aside. */
  accepts(profileId: string, userId: string, credits: string, occurredAt: string): boolean {
    const f = this.facts(profileId, userId, occurredAt);
    return f.holds && f.billing !== undefined && (this.overageOn(profileId) || !f.consumed.plus(new Decimal(credits)).greaterThan(f.allowance));
  }
}

export const userMonthKey = (profileId: string, userId: string, month: string): string => `${profileId}/${userId}/${month}`;
