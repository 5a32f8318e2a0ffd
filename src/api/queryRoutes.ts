import { gzipSync } from 'node:zlib';
import { pipe } from 'fp-ts/function';
import * as TE from 'fp-ts/TaskEither';
import * as t from 'io-ts';
import { exportStatements, knownAccountStatement, lineCredits, lineEvents, profileEvents, profileNow, profileStatement, statementLine } from '../app/ledgerQueries';
import { LedgerService } from '../app/ledgerService';
import { AccountId, Identifier, integerText, MonthOrCurrent } from '../domain/fields';
import { monthOf } from '../domain/time';
import { billingExportCsv } from '../projections/billingExport';
import { LineId } from '../domain/lineId';
import { ApiError } from './apiError';
import { RecordedEvent } from '../store/eventStore';
import { recordedEventJson } from './wire';
import { jsonWithStreamedArray } from './jsonText';
import { statementPage } from '../projections/statementPage';

/** A query's answer: JSON unless it names another content type. */
export interface QueryReply {
  readonly body: unknown;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One GET route; the server, and the OpenAPI document, are built from the table below. */
export interface QueryRoute {
  readonly operationId: string;
  /** OpenAPI form, as for commands. */
  readonly path: string;
  readonly summary: string;
  readonly params: t.Props;
  readonly query: { readonly required: t.Props; readonly optional: t.Props };
  /**
   * What the route reads, for access control: by default what its fields name (a profile, an account,
   * else every account); `visibleAccounts`: it lists only the accounts the principal may read, so any
   * reader may call it; `catalog`: the prices, the same for every account, which any reader may see;
   * `log`: the log's head, a receipt any reader may keep (billing-rules F1).
   */
  readonly reads?: 'visibleAccounts' | 'catalog' | 'log';
  /** A schema of the OpenAPI components, or CSV. */
  readonly response: { readonly schema: string } | 'csv';
  /** Called with params and query decoded by the codecs above (a month `current` resolved), and the accounts the caller may read. */
  run(ledger: LedgerService, params: unknown, query: unknown, mayRead: (accountId: string) => boolean): TE.TaskEither<ApiError, QueryReply>;
}

/** Global positions start at 0. */
const Position = integerText('a global position (an integer of 0 or more)', 0, Number.MAX_SAFE_INTEGER);
const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;
/** A line's events are paged by how many were seen: an OVERAGE line's ranges span streams, so no one position orders them. */
const CitedOffset = integerText('the number of the line\'s events already read (the previous page\'s next)', 0, Number.MAX_SAFE_INTEGER);
const PageSize = integerText(`an integer from 1 to ${MAX_PAGE}`, 1, MAX_PAGE);

const MonthParam = MonthOrCurrent;

const json = (body: unknown): QueryReply => ({ body });
export const Flag = t.keyof({ '1': null, true: null, '0': null, false: null }, '1 or true (0 or false: off)');
export const isOn = (flag: string | undefined): boolean => flag === '1' || flag === 'true';
const noQuery = { required: {}, optional: {} };
const statementParams = { profileId: Identifier, month: MonthParam };
const eventPage = (events: ReadonlyArray<RecordedEvent>, limit: number): QueryReply =>
  json({ events: events.map(recordedEventJson), next: events.length === limit ? (events[events.length - 1]?.globalPosition ?? null) : null });
const paging = { required: {}, optional: { after: Position, limit: PageSize } };

export const queryRoutes: ReadonlyArray<QueryRoute> = [
  {
    operationId: 'getProfileStatement',
    path: '/v1/profiles/{profileId}/statements/{month}',
    summary:
      "A profile's statement for a month; status open while the month is not over, final after. Whole without limit; with limit, a page of its users " +
      '(those after the user named by after, in userId order), its totals still the whole profile\'s, and next: the after of the following page, null on the last',
    params: statementParams,
    query: { required: {}, optional: { after: Identifier, limit: PageSize } },
    response: { schema: 'Statement' },
    run: (ledger, p: { profileId: string; month: string }, q: { after?: string; limit?: number }) =>
      pipe(
        profileStatement(ledger, p.profileId, p.month),
        // Whole, it is written out user by user (a profile of 50,000 users is 29 MB): never one long block.
        TE.map((s) => {
          const body = q.limit === undefined && q.after === undefined ? s : statementPage(s, q.after, q.limit ?? s.users.length);
          return q.limit === undefined ? { body: jsonWithStreamedArray(body, 'users') } : json(body);
        }),
      ),
  },
  {
    operationId: 'getStatementLine',
    path: '/v1/profiles/{profileId}/statements/{month}/lines/{lineId}',
    summary: 'One statement line with the events it cites in full, data and metadata: the audit trail of a charge',
    params: { ...statementParams, lineId: LineId },
    query: noQuery,
    response: { schema: 'StatementLineWithEvents' },
    run: (ledger, p: { profileId: string; month: string; lineId: string }) =>
      pipe(
        statementLine(ledger, p.profileId, p.month, p.lineId),
        TE.map(({ userId, line, events }) => json({ profileId: p.profileId, month: p.month, userId, ...line, events: events.map(recordedEventJson) })),
      ),
  },
  {
    operationId: 'getAccountStatement',
    path: '/v1/accounts/{accountId}/statements/{month}',
    summary: "An account's profiles and totals for a month, and the users billed in several of them (each profile bills its users on its own)",
    params: { accountId: AccountId, month: MonthParam },
    query: noQuery,
    response: { schema: 'AccountStatement' },
    run: (ledger, p: { accountId: string; month: string }) => pipe(knownAccountStatement(ledger, p.accountId, p.month), TE.map(json)),
  },
  {
    operationId: 'getProfileEvents',
    path: '/v1/profiles/{profileId}/events',
    summary: `A profile's events in log order, after a global position; ${DEFAULT_PAGE} a page unless limit says otherwise. Follow next until it is null`,
    params: { profileId: Identifier },
    query: paging,
    response: { schema: 'EventPage' },
    run: (ledger, p: { profileId: string }, q: { after?: number; limit?: number }) => {
      const limit = q.limit ?? DEFAULT_PAGE;
      return pipe(
        profileEvents(ledger, p.profileId, q.after, limit),
        TE.map((events) => eventPage(events, limit)),
      );
    },
  },
  {
    operationId: 'getStatementLineEvents',
    path: '/v1/profiles/{profileId}/statements/{month}/lines/{lineId}/events',
    summary: `The events a statement line cites, usage ranges expanded, in log order; ${DEFAULT_PAGE} a page unless limit says otherwise. Pass the answer's next as after until it is null`,
    params: { ...statementParams, lineId: LineId },
    query: { required: {}, optional: { after: CitedOffset, limit: PageSize } },
    response: { schema: 'EventPage' },
    run: (ledger, p: { profileId: string; month: string; lineId: string }, q: { after?: number; limit?: number }) =>
      pipe(
        lineEvents(ledger, p.profileId, p.month, p.lineId, q.after ?? 0, q.limit ?? DEFAULT_PAGE),
        TE.map((page) => json({ events: page.events.map(recordedEventJson), next: page.next ?? null })),
      ),
  },
  {
    operationId: 'getStatementLineCredits',
    path: '/v1/profiles/{profileId}/statements/{month}/lines/{lineId}/credits',
    summary: 'The credit notes of a statement line, each with the CREDIT line it shows as, and what is left of the line to credit (its amount, less the REFUND that reverses it, less its credits); the statement itself never changes',
    params: { ...statementParams, lineId: LineId },
    query: noQuery,
    response: { schema: 'LineCredits' },
    run: (ledger, p: { profileId: string; month: string; lineId: string }) => pipe(lineCredits(ledger, p.profileId, p.month, p.lineId), TE.map(json)),
  },
  {
    operationId: 'getProfile',
    path: '/v1/profiles/{profileId}',
    summary: "The profile now: its account, Region, overage switch, and every user's active assignments and effective tier",
    params: { profileId: Identifier },
    query: noQuery,
    response: { schema: 'Profile' },
    // Written out user by user, as a whole statement is: a profile of 50,000 users is megabytes.
    run: (ledger, p: { profileId: string }) => pipe(profileNow(ledger, p.profileId), TE.map((profile) => ({ body: jsonWithStreamedArray(profile, 'users') }))),
  },
  {
    operationId: 'listAccounts',
    path: '/v1/accounts',
    summary: 'The accounts the caller may read, each with its profiles',
    params: {},
    query: noQuery,
    reads: 'visibleAccounts',
    response: { schema: 'AccountList' },
    run: (ledger, _p, _q, mayRead) => TE.fromTask(async () => json({ accounts: await ledger.accounts(mayRead) })),
  },
  {
    operationId: 'getCatalog',
    path: '/v1/catalog',
    summary: "The tiers offered in a month (default: the clock's), ordered by price (then credits), each with the TierDefined event it comes from",
    params: {},
    query: { required: {}, optional: { month: MonthParam } },
    reads: 'catalog',
    response: { schema: 'Catalog' },
    run: (ledger, _p, q: { month?: string }) => TE.fromTask(async () => json(await ledger.catalog(q.month ?? monthOf(ledger.now())))),
  },
  {
    operationId: 'getLogHead',
    path: '/v1/log/head',
    summary: "The log's last event and its chain hash (billing-rules F1): keep it, and pass it to ledger verify --trusted POSITION:HASH later",
    params: {},
    query: noQuery,
    reads: 'log',
    response: { schema: 'LogHead' },
    run: (ledger) => TE.fromTask(async () => json(await ledger.store.logHead())),
  },
  {
    operationId: 'getBillingExport',
    path: '/v1/exports/{month}.csv',
    summary: 'The billing export: one CSV row per statement line, with AWS CUR 2.0 column names, for one account or all; gzip=1 for a gzip-compressed file',
    params: { month: MonthParam },
    query: { required: {}, optional: { accountId: AccountId, gzip: Flag } },
    response: 'csv',
    run: (ledger, p: { month: string }, q: { accountId?: string; gzip?: string }) =>
      pipe(
        exportStatements(ledger, p.month, q.accountId),
        TE.map((statements) => {
          const file = `kiro-${q.accountId ?? 'all'}-${p.month}.csv`;
          const csv = billingExportCsv(statements);
          return isOn(q.gzip)
            ? { body: gzipSync(csv), contentType: 'application/gzip', headers: { 'content-disposition': `attachment; filename="${file}.gz"` } }
            : { body: csv, contentType: 'text/csv; charset=utf-8', headers: { 'content-disposition': `attachment; filename="${file}"` } };
        }),
      ),
  },
];
