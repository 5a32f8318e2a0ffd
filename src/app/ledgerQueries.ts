import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import * as TE from 'fp-ts/TaskEither';
import { leftToCredit } from '../domain/creditDecider';
import { Dec, format2, sum } from '../domain/money';
import { Month, monthOf } from '../domain/time';
import { ProfileNow } from '../projections/profileNow';
import { AccountStatement, Statement, StatementLine } from '../projections/statementTypes';
import { RecordedEvent } from '../store/eventStore';
import { CitedPage, citedEventsPage, listedEvents } from './citedEvents';
import { LedgerService } from './ledgerService';

/**
 * The queries both shells (HTTP and CLI) answer, with their "not found" cases as values: a missing
 * profile or account is PROFILE_NOT_FOUND, a missing line NOT_FOUND.
 */
export interface QueryError {
  readonly code: 'PROFILE_NOT_FOUND' | 'NOT_FOUND';
  readonly message: string;
}

/** Also what the HTTP shell answers for a profile outside a token's accounts: the two must not differ. */
export const profileNotFound = (profileId: string): QueryError => ({ code: 'PROFILE_NOT_FOUND', message: `profile ${profileId} does not exist` });

/** As above, for an account. */
export const accountNotFound = (accountId: string, month: Month): QueryError => ({ code: 'PROFILE_NOT_FOUND', message: `account ${accountId} has no profile in ${month}` });

export const profileStatement = (ledger: LedgerService, profileId: string, month: Month): TE.TaskEither<QueryError, Statement> =>
  pipe(
    TE.fromTask(() => ledger.statement(profileId, month)),
    TE.chainEitherK(E.fromNullable(profileNotFound(profileId))),
  );

/** A page of the profile's events in log order, after a global position. */
export const profileEvents = (ledger: LedgerService, profileId: string, after: number | undefined, limit: number): TE.TaskEither<QueryError, ReadonlyArray<RecordedEvent>> =>
  pipe(
    TE.fromTask(() => ledger.profileEvents(profileId, after, limit)),
    TE.chainEitherK(E.fromNullable(profileNotFound(profileId))),
  );

/** An account is known through its profiles: one with no profile billed in the month is not found. */
export const knownAccountStatement = (ledger: LedgerService, accountId: string, month: Month): TE.TaskEither<QueryError, AccountStatement> =>
  pipe(
    TE.fromTask(() => ledger.accountStatement(accountId, month)),
    TE.filterOrElse(
      (a) => a.profiles.length > 0,
      () => accountNotFound(accountId, month),
    ),
  );

const statementsOf = async (ledger: LedgerService, account: AccountStatement): Promise<ReadonlyArray<Statement>> => {
  const statements = await Promise.all(account.profiles.map((p) => ledger.statement(p.profileId, account.month)));
  return statements.flatMap((s) => (s === undefined ? [] : [s]));
};

/** The statements a billing export covers: every profile of one account, or of every account. */
export const exportStatements = (ledger: LedgerService, month: Month, accountId: string | undefined): TE.TaskEither<QueryError, ReadonlyArray<Statement>> =>
  accountId !== undefined
    ? pipe(
        knownAccountStatement(ledger, accountId, month),
        TE.chain((a) => TE.fromTask(() => statementsOf(ledger, a))),
      )
    : TE.fromTask(async () => {
        const accounts = await ledger.accountIds();
        const perAccount = await Promise.all(accounts.map(async (a) => statementsOf(ledger, await ledger.accountStatement(a, month))));
        return perAccount.flat();
      });

/** A statement line with the events it lists read back in full (data and metadata): the audit trail of L4. */
export interface LineWithEvents {
  readonly userId: string;
  readonly line: StatementLine;
  readonly events: ReadonlyArray<RecordedEvent>;
}

/** The line of a statement, with the user it bills; NOT_FOUND when the statement has no such line. */
const findLine = (ledger: LedgerService, profileId: string, month: Month, lineId: string): TE.TaskEither<QueryError, { userId: string; line: StatementLine }> =>
  pipe(
    profileStatement(ledger, profileId, month),
    TE.chainEitherK((s) => {
      for (const u of s.users) {
        const line = u.lines.find((l) => l.lineId === lineId);
        if (line !== undefined) return E.right({ userId: u.userId, line });
      }
      return E.left<QueryError, { userId: string; line: StatementLine }>({
        code: 'NOT_FOUND',
        message: `the statement of profile ${profileId} for ${month} has no line ${lineId}: expected one of its lines' ids, ${profileId}~${month}~{userId}~{n}, as the statement lists them`,
      });
    }),
  );

export const statementLine = (ledger: LedgerService, profileId: string, month: Month, lineId: string): TE.TaskEither<QueryError, LineWithEvents> =>
  pipe(
    findLine(ledger, profileId, month, lineId),
    // The events the line lists; an OVERAGE line's usage ranges are paged through its events route instead.
    TE.chain(({ userId, line }) =>
      TE.fromTask(async () => ({ userId, line, events: await listedEvents((id, o) => ledger.store.readStream(id, o), line) })),
    ),
  );

/** A page of the events a line cites, usage ranges expanded, in log order; `after` counts the cited events already seen. */
export const lineEvents = (
  ledger: LedgerService,
  profileId: string,
  month: Month,
  lineId: string,
  after: number,
  limit: number,
): TE.TaskEither<QueryError, CitedPage> =>
  pipe(
    findLine(ledger, profileId, month, lineId),
    TE.chain(({ line }) => TE.fromTask(() => citedEventsPage((id, o) => ledger.store.readStream(id, o), line, after, limit))),
  );

/** One credit note of a line, with the CREDIT line it shows as (N3). */
export interface LineCredit {
  readonly lineId: string | null;
  readonly month: Month;
  readonly amount: string;
  readonly reason: string;
  readonly eventId: string;
}

/** N4: a line's credits and what is left of it to credit; the credited statement itself is not changed. */
export interface LineCredits {
  readonly lineId: string;
  readonly amount: string;
  readonly credited: string;
  readonly left: string;
  readonly credits: ReadonlyArray<LineCredit>;
}

export const lineCredits = (ledger: LedgerService, profileId: string, month: Month, lineId: string): TE.TaskEither<QueryError, LineCredits> =>
  pipe(
    TE.Do,
    TE.bind('statement', () => profileStatement(ledger, profileId, month)),
    TE.bind('found', () => findLine(ledger, profileId, month, lineId)),
    TE.chain(({ statement, found }) =>
      TE.fromTask(async () => {
        const notes = (await ledger.creditsOfLine(profileId, lineId)) ?? [];
        const credits = await Promise.all(
          notes.map(async (r): Promise<LineCredit> => {
            const m = monthOf(r.event.data.occurredAt);
            const shown = (await ledger.statement(profileId, m))?.users.flatMap((u) => u.lines).find((l) => l.kind === 'CREDIT' && l.events.some((e) => e.eventId === r.ref.eventId));
            return { lineId: shown?.lineId ?? null, month: m, amount: r.event.data.amount, reason: r.event.data.reason, eventId: r.ref.eventId };
          }),
        );
        const amounts = notes.map((r) => new Dec(r.event.data.amount));
        const lines = statement.users.find((u) => u.userId === found.userId)?.lines ?? [];
        return { lineId, amount: found.line.amount, credited: format2(sum(amounts)), left: format2(leftToCredit(lines, found.line, amounts).left), credits };
      }),
    ),
  );

/** The profile as it stands now. */
export const profileNow = (ledger: LedgerService, profileId: string): TE.TaskEither<QueryError, ProfileNow> =>
  pipe(
    TE.fromTask(() => ledger.profile(profileId)),
    TE.chainEitherK(E.fromNullable(profileNotFound(profileId))),
  );
