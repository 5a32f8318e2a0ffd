import { nextMonth } from '../../../src/domain/time';
import { amount, monthName } from '../format';
import { LineChange } from './previewDiff';

/** What a person asks the console to do on a profile page. */
export type Action = 'Subscribe' | 'Upgrade' | 'Downgrade' | 'Unsubscribe' | 'SetOverage' | 'IssueCredit';

export interface RuleContext {
  readonly action: Action;
  /** The month the command is dated in: the previewed statement's. */
  readonly month: string;
  readonly changes: ReadonlyArray<LineChange>;
  /** The tier the user's month is billed at before the command (null: not billed yet). */
  readonly billedBefore: string | null;
  /** Tier codes to names, from the catalog ("PRO_PLUS" → "Pro+"). */
  readonly tierName: (tier: string) => string;
  /** Downgrade: the tier asked for. */
  readonly tier?: string;
  /** SetOverage: the switch as asked. */
  readonly enabled?: boolean;
  /** Unsubscribe: how many other assignments the user still holds. */
  readonly othersHeld?: number;
  /** IssueCredit: the line credited. */
  readonly lineId?: string;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * The billing rule a previewed command applies, in plain words, with its number in billing-rules.md.
 * Told from the lines the preview adds and takes away, so that it says what the ledger decided,
 * never what the console would have computed: the console has no copy of the rules.
 */
export const ruleInWords = (c: RuleContext): string => {
  const name = c.tierName;
  const added = (kind: string) => c.changes.filter((x) => x.change === 'added' && x.line.kind === kind).map((x) => x.line);
  const gone = (kind: string) => c.changes.filter((x) => x.change === 'gone' && x.line.kind === kind).map((x) => x.line);
  const [refund] = added('REFUND').slice(-1);
  const [charge] = added('CHARGE').slice(-1);
  const [overageWas] = gone('OVERAGE');
  const [overageNow] = added('OVERAGE');
  const next = monthName(nextMonth(c.month));
  const overage =
    overageWas !== undefined && overageNow === undefined
      ? ` The larger allowance covers the credits used past the old one: the overage of ${amount(overageWas.amount)} goes (rule K6).`
      : overageWas !== undefined && overageNow !== undefined
        ? ` The larger allowance lowers the overage from ${amount(overageWas.amount)} to ${amount(overageNow.amount)} (rule K6).`
        : '';
  const billed = c.billedBefore === null ? undefined : name(c.billedBefore);
  switch (c.action) {
    case 'Subscribe':
    case 'Upgrade':
      if (refund !== undefined && charge !== undefined) return `${name(refund.tier)} is refunded and ${name(charge.tier)} charged in full this month (rule M3).${overage}`;
      if (charge !== undefined) return `${name(charge.tier)} is charged in full for ${monthName(c.month)}, whatever the day it starts (rule M5).`;
      return billed === undefined
        ? 'Nothing changes on this month’s bill.'
        : `This month is already billed at ${billed}, at least as high: nothing more is charged (rules M6, M7).`;
    case 'Downgrade':
      return `${billed ?? 'The higher tier'} stays paid in full this month, and its credits stay until the month ends; the assignment is ${c.tier === undefined ? 'lower' : name(c.tier)} from ${next} (rule M4).`;
    case 'Unsubscribe': {
      const kept = c.othersHeld ?? 0;
      return `${billed ?? 'This month'} stays paid in full, and the user keeps access and credits until the month ends; ${
        kept > 0 ? `from ${next} the user is billed at the highest tier of the ${plural(kept, 'assignment', 'assignments')} still held (rule M6).` : `nothing is charged from ${next} unless the user subscribes again (rule M2).`
      }`;
    }
    case 'SetOverage':
      return c.enabled === true
        ? 'Overage is on for every user of this profile: credits used past a user’s allowance are accepted and billed as overage at the month’s end (rules K3, K6).'
        : 'Overage is off for every user of this profile: a request past a user’s allowance is refused from now on; overage already used stays billed (rules K4, K6).';
    case 'IssueCredit': {
      const credited = c.lineId?.split('~')[1];
      return `The final bill of ${credited === undefined ? 'that month' : monthName(credited)} stays as it was sent; the credit shows on this month’s statement as a CREDIT line against ${c.lineId ?? 'the line'} (rules N1, N3).`;
    }
  }
};
