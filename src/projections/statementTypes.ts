import { Month, monthEnd, toMillis } from '../domain/time';
import { EventRef } from '../domain/events';

/** The statement JSON of api.md; amounts and credits are strings with exactly 2 places. */
/** `open` while the month is not over, `final` after (api.md): the one part of a statement that changes once M has ended. */
export type StatementStatus = 'open' | 'final';

export const statusOf = (month: Month, now: string): StatementStatus => (toMillis(now) >= toMillis(monthEnd(month)) ? 'final' : 'open');

export type LineKind = 'CHARGE' | 'REFUND' | 'OVERAGE' | 'CREDIT';

/** A contiguous run of positions in one usage stream: how an OVERAGE line cites its consumption (L4). */
export interface UsageRange {
  readonly streamId: string;
  readonly fromPosition: number;
  readonly toPosition: number;
  readonly count: number;
}

export interface StatementLine {
  readonly lineId: string;
  readonly kind: LineKind;
  readonly tier: string;
  readonly amount: string;
  readonly description: string;
  readonly at: string;
  /** L4: the events behind the line, the catalog event that priced it included. */
  readonly events: ReadonlyArray<EventRef>;
  /** A REFUND names the CHARGE it reverses (L2). */
  readonly reverses?: string;
  /** An OVERAGE line's consumption, as ranges: its size grows with streams, not with requests (L4). */
  readonly usage?: ReadonlyArray<UsageRange>;
  /** A CREDIT names the line of a final statement it credits (N3). */
  readonly credits?: string;
}

export interface UserStatement {
  readonly userId: string;
  /** Null for a user whose only lines in the month are CREDIT lines (N3). */
  readonly billedTier: string | null;
  readonly creditsIncluded: string;
  readonly creditsUsed: string;
  readonly overageCredits: string;
  readonly total: string;
  readonly lines: ReadonlyArray<StatementLine>;
}

export interface Statement {
  readonly profileId: string;
  readonly accountId: string;
  readonly region: string;
  readonly month: string;
  readonly currency: 'USD';
  readonly status: StatementStatus;
  readonly total: string;
  readonly users: ReadonlyArray<UserStatement>;
  /** Present once the month is sealed (billing-rules F2); the sealed digest covers the statement without it. */
  readonly seal?: StatementSeal;
}

/** What a sealed statement carries (api.md): its StatementSealed event and what it sealed. */
export interface StatementSeal {
  readonly eventId: string;
  readonly sha256: string;
  readonly logPosition: number;
  readonly chainHash: string;
  readonly sealedAt: string;
}

export interface AccountStatement {
  readonly accountId: string;
  readonly month: string;
  readonly currency: 'USD';
  readonly status: StatementStatus;
  readonly total: string;
  readonly profiles: ReadonlyArray<{ readonly profileId: string; readonly region: string; readonly total: string }>;
  readonly usersInSeveralProfiles: ReadonlyArray<{ readonly userId: string; readonly profiles: ReadonlyArray<string> }>;
}
