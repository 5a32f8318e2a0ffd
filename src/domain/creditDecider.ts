import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { CommandOf } from './commands';
import { Decider, Issued } from './decider';
import { DomainError, domainError } from './errors';
import { CreditIssued, Streams } from './events';
import { statementOfLine } from './lineId';
import { Dec, format2, sum, ZERO } from './money';
import { profileNotFound } from './profileDecider';
import { ProfileInfo } from './registryDecider';
import { Month, monthEnd, monthOf, toMillis } from './time';
import { Checked, checked, latestOf, monthOpen, notBefore } from './timeOrder';

export type IssueCredit = CommandOf<'IssueCredit'>;

/** A credit note as N2 counts it: what it took off a line, when, and where it sits in the profile's credits stream. */
export interface CreditNote {
  readonly amount: Dec;
  readonly occurredAt: string;
  readonly position: number;
}

/** The profile's credits stream folded: what T2 and N2 read. */
export interface CreditsState {
  readonly count: number;
  /** occurredAt of the latest credit note (T2). */
  readonly lastAt: string | null;
  /** Per credited line id, its credit notes in log order. */
  readonly byLine: ReadonlyMap<string, ReadonlyArray<CreditNote>>;
}

export const initialCreditsState: CreditsState = { count: 0, lastAt: null, byLine: new Map() };

export const evolveCredits = (state: CreditsState, e: CreditIssued): CreditsState => ({
  count: state.count + 1,
  lastAt: e.data.occurredAt,
  byLine: new Map(state.byLine).set(e.data.lineId, [
    ...(state.byLine.get(e.data.lineId) ?? []),
    { amount: new Dec(e.data.amount), occurredAt: e.data.occurredAt, position: state.count },
  ]),
});

/** The months whose statements a decision on `lineId` reads: the line's own, and those its earlier credits are dated in. */
export const monthsRead = (state: CreditsState, lineId: string): ReadonlyArray<Month> => [
  ...new Set([statementOfLine(lineId).month, ...(state.byLine.get(lineId) ?? []).map((n) => monthOf(n.occurredAt))]),
];

/** The part of a statement line a credit decision reads (statementTypes' StatementLine has it). */
export interface LineShown {
  readonly lineId: string;
  readonly kind: string;
  readonly tier: string;
  readonly amount: string;
  readonly events: ReadonlyArray<{ readonly streamId: string; readonly position: number }>;
  readonly reverses?: string;
  readonly credits?: string;
}

/**
 * What a credit decision reads (domain/reads.ts, kind `credits`), loaded into one state: the
 * credits stream, the one written, and what the catalog, the lifecycle and the user's usage show
 * of the credited user's lines, folded by the statement itself (never a copy of its rules).
 */
export interface CreditState {
  readonly credits: CreditsState;
  readonly profile: ProfileInfo | null;
  /** The credited user's lines in each month of `monthsRead`, as that month's statement shows them. */
  readonly lines: ReadonlyMap<Month, ReadonlyArray<LineShown>>;
}

export const initialCreditState: CreditState = { credits: initialCreditsState, profile: null, lines: new Map() };

/** T2 for IssueCredit: the profile's creation and its latest credit note. */
export const creditChecked = (profile: ProfileInfo | null, state: CreditsState): Checked | undefined =>
  latestOf(
    checked(profile?.createdAt, `the creation of profile ${profile?.profileId}`),
    checked(state.lastAt, `the latest credit note of profile ${profile?.profileId}`),
  );

const CREDITABLE: ReadonlySet<string> = new Set(['CHARGE', 'OVERAGE']);

const notCreditable = (line: LineShown): DomainError =>
  domainError(
    'NOT_CREDITABLE',
    line.kind === 'REFUND'
      ? `line ${line.lineId} is a REFUND, which already gives back the CHARGE ${line.reverses}: only CHARGE and OVERAGE lines can be credited`
      : line.kind === 'CREDIT'
        ? `line ${line.lineId} is a CREDIT of line ${line.credits}: credit that line again instead (only CHARGE and OVERAGE lines can be credited)`
        : `line ${line.lineId} is a ${line.kind} line: only CHARGE and OVERAGE lines can be credited`,
  );

/** N1: the line, on the final statement of the month its id names. */
const creditedLine = (state: CreditState, c: Issued<IssueCredit>): E.Either<DomainError, LineShown> => {
  const { profileId, month, userId } = statementOfLine(c.lineId);
  if (toMillis(c.metadata.now) < toMillis(monthEnd(month))) {
    return E.left(
      domainError('MONTH_OPEN', `line ${c.lineId} is on the statement of ${month}, which is open until ${monthEnd(month)}: a line is credited once its bill is final; until then change the subscription itself`),
    );
  }
  const lines = profileId === c.profileId ? (state.lines.get(month) ?? []) : [];
  const line = lines.find((l) => l.lineId === c.lineId);
  if (line === undefined) {
    const known = lines.length === 0 ? `user ${userId} has no line on it` : `user ${userId}'s lines are ${lines.map((l) => l.lineId).join(', ')}`;
    return E.left(domainError('LINE_NOT_FOUND', `the final statement of profile ${c.profileId} for ${month} has no line ${c.lineId}: ${known}`));
  }
  return CREDITABLE.has(line.kind) ? E.right(line) : E.left(notCreditable(line));
};

/**
 * N2: what is left of a line to credit: its amount, less the REFUND that reverses it (on the same
 * statement, `lines`), less its credits so far. Nothing is left of a line that cannot be credited.
 */
export const leftToCredit = (lines: ReadonlyArray<LineShown>, line: LineShown, credited: ReadonlyArray<Dec>): { readonly refund: LineShown | undefined; readonly left: Dec } => {
  const refund = lines.find((l) => l.kind === 'REFUND' && l.reverses === line.lineId);
  if (!CREDITABLE.has(line.kind)) return { refund, left: ZERO };
  return { refund, left: new Dec(line.amount).plus(refund === undefined ? ZERO : new Dec(refund.amount)).minus(sum(credited)) };
};

const withinLine = (state: CreditState, c: IssueCredit, line: LineShown): E.Either<DomainError, void> => {
  const notes = state.credits.byLine.get(line.lineId) ?? [];
  const { refund, left } = leftToCredit(state.lines.get(statementOfLine(c.lineId).month) ?? [], line, notes.map((n) => n.amount));
  const asked = new Dec(c.amount);
  if (asked.lessThanOrEqualTo(left)) return E.right(undefined);
  const creditLineOf = (n: CreditNote): string | undefined =>
    (state.lines.get(monthOf(n.occurredAt)) ?? []).find(
      (l) => l.kind === 'CREDIT' && l.events.some((ref) => ref.streamId === Streams.credits(c.profileId) && ref.position === n.position),
    )?.lineId;
  const taken = [
    `${format2(new Dec(line.amount))} charged`,
    ...(refund === undefined ? [] : [`${format2(new Dec(refund.amount).negated())} refunded by ${refund.lineId}`]),
    ...notes.map((n) => `${format2(n.amount)} credited by ${creditLineOf(n) ?? `the credit note at position ${n.position} of ${Streams.credits(c.profileId)}`} on ${n.occurredAt.slice(0, 10)}`),
  ];
  return E.left(
    domainError(
      'CREDIT_EXCEEDS_LINE',
      `line ${line.lineId} has ${format2(left)} left to credit: ${taken.join(', ')}; asked for ${format2(asked)}${left.isZero() ? '' : `, credit at most ${format2(left)}`}`,
    ),
  );
};

/**
 * A profile's credits stream (section 8). T5: PROFILE_NOT_FOUND, MONTH_CLOSED, OUT_OF_ORDER, then
 * MONTH_OPEN, LINE_NOT_FOUND, NOT_CREDITABLE, CREDIT_EXCEEDS_LINE. N2 holds across processes because
 * every append checks this stream's revision: two credits of one line decided on the same notes
 * cannot both be appended.
 */
export const creditDecider: Decider<Issued<IssueCredit>, CreditIssued, CreditState> = {
  decide: (c, state) =>
    state.profile === null
      ? E.left(profileNotFound(c.profileId))
      : pipe(
          monthOpen(c.occurredAt, c.metadata.now),
          E.chain(() => notBefore(c.occurredAt, creditChecked(state.profile, state.credits))),
          E.chain(() => creditedLine(state, c)),
          E.chainFirst((line) => withinLine(state, c, line)),
          E.map((line) => [
            {
              type: 'CreditIssued' as const,
              data: {
                profileId: c.profileId,
                lineId: c.lineId,
                userId: statementOfLine(c.lineId).userId,
                month: statementOfLine(c.lineId).month,
                tier: line.tier,
                amount: format2(new Dec(c.amount)),
                reason: c.reason,
                occurredAt: c.occurredAt,
              },
            },
          ]),
        ),
  evolve: (state, e) => ({ ...state, credits: evolveCredits(state.credits, e) }),
  initialState: initialCreditState,
};
