import { useEffect, useState } from 'preact/hooks';
import { previousMonth } from '../../../src/domain/time';
import { download, getJson, isNotFound } from '../api';
import { AccountStatement } from '../codecs';
import { amount, monthName } from '../format';
import { MonthlyChart, MonthTotal } from '../monthlyChart';
import { MonthPicker } from '../monthPicker';
import { LoadFailure } from '../notVisible';
import { CURRENT, hrefs, navigate } from '../router';
import { useLoad } from '../useLoad';
import { loadInvoice } from './invoice';
import { Failure, Figure, Loading, StatusBadge, TotalFigure } from './status';

const CHART_MONTHS = 12;

const statementPath = (accountId: string, month: string) => `/v1/accounts/${encodeURIComponent(accountId)}/statements/${month}`;

/** The account's totals for the 12 months up to `month`; a month with no profile billed is a gap, not an error. */
const lastTwelve = async (accountId: string, month: string): Promise<ReadonlyArray<MonthTotal>> => {
  const months = [month];
  while (months.length < CHART_MONTHS) months.unshift(previousMonth(months[0] as string));
  return Promise.all(
    months.map((m) =>
      getJson(statementPath(accountId, m), AccountStatement).then(
        (s) => ({ month: m, total: s.total }),
        (e: unknown) => {
          if (isNotFound(e)) return { month: m, total: null };
          throw e;
        },
      ),
    ),
  );
};

/** The month's credit notes of every profile of the account: each CREDIT line, with the line of a final bill it credits. */
const CreditNotes = ({ accountId, month }: { accountId: string; month: string }) => {
  const load = useLoad(() => loadInvoice(accountId, month), [accountId, month]);
  if (load.state === 'loading') return <Loading />;
  if (load.state === 'error') return <Failure error={load.error} />;
  const credits = load.data.statements.flatMap((s) => s.users.flatMap((u) => u.lines.flatMap((l) => (l.kind === 'CREDIT' ? [{ profileId: s.profileId, userId: u.userId, line: l }] : []))));
  if (credits.length === 0) return <p class="muted">No credit note this month.</p>;
  return (
    <div class="table-wrap">
      <table data-testid="credit-notes">
        <thead>
          <tr>
            <th scope="col">Profile</th>
            <th scope="col">User</th>
            <th scope="col">Reason</th>
            <th scope="col">Credits line</th>
            <th scope="col" class="num">
              Amount (USD)
            </th>
          </tr>
        </thead>
        <tbody>
          {credits.map(({ profileId, userId, line }) => (
            <tr key={line.lineId}>
              <th scope="row">
                <a href={hrefs.line(line.lineId)}>{profileId}</a>
              </th>
              <td>{userId}</td>
              <td>{line.description}</td>
              <td>{line.credits === undefined ? '—' : <a href={hrefs.line(line.credits)}>{line.credits}</a>}</td>
              <td class="num">{amount(line.amount)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
};

export const AccountPage = ({ accountId, month }: { accountId: string; month: string }) => {
  const load = useLoad(() => getJson(statementPath(accountId, month), AccountStatement), [accountId, month]);
  // `current` becomes the month the server's clock is in, so that the address names what is shown.
  useEffect(() => {
    if (month === CURRENT && load.state === 'ok') navigate(hrefs.account(accountId, load.data.month), true);
  }, [load]);
  const shown = month === CURRENT ? (load.state === 'ok' ? load.data.month : undefined) : month;
  const chart = useLoad(() => (shown === undefined ? new Promise<never>(() => undefined) : lastTwelve(accountId, shown)), [accountId, shown]);
  const [downloadError, setDownloadError] = useState<unknown>(undefined);

  return (
    <>
      <header class="page-head">
        <div>
          <p class="crumbs">
            <a href={hrefs.accounts()}>Accounts</a> /
          </p>
          <h1>
            Account {accountId} <span class="muted">{shown === undefined ? '' : monthName(shown)}</span>
          </h1>
        </div>
        {shown !== undefined && <MonthPicker month={shown} hrefOf={(m) => hrefs.account(accountId, m)} />}
      </header>

      {load.state === 'loading' && <Loading />}
      {load.state === 'error' && <LoadFailure error={load.error} what="account" id={accountId} month={month} />}
      {load.state === 'ok' && (
        <>
          <section class="summary" aria-label="Summary">
            <TotalFigure total={load.data.total} currency={load.data.currency} testId="account-total" />
            <Figure label="Status">
              <StatusBadge status={load.data.status} />
            </Figure>
            <div class="actions">
              <a class="button" href={hrefs.invoice(accountId, load.data.month)}>
                Invoice
              </a>
              <button
                type="button"
                onClick={() => {
                  setDownloadError(undefined);
                  download(`/v1/exports/${load.data.month}.csv?accountId=${encodeURIComponent(accountId)}`, `kiro-${accountId}-${load.data.month}.csv`).catch(setDownloadError);
                }}
              >
                Download CSV
              </button>
            </div>
          </section>
          {downloadError !== undefined && <Failure error={downloadError} />}

          <section aria-label="Monthly totals chart">
            {chart.state === 'ok' ? (
              <MonthlyChart totals={chart.data} />
            ) : chart.state === 'error' ? (
              <Failure error={chart.error} />
            ) : (
              <div class="chart-placeholder" aria-hidden="true" />
            )}
          </section>

          <section aria-labelledby="by-profile">
            <h2 id="by-profile">Charges by profile</h2>
            <div class="table-wrap">
              <table data-testid="profiles">
                <thead>
                  <tr>
                    <th scope="col">Profile</th>
                    <th scope="col">Region</th>
                    <th scope="col" class="num">
                      Total (USD)
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {load.data.profiles.map((p) => (
                    <tr key={p.profileId}>
                      <th scope="row">
                        <a href={hrefs.profile(p.profileId, load.data.month)}>{p.profileId}</a>
                      </th>
                      <td>{p.region}</td>
                      <td class="num">{amount(p.total)}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  <tr>
                    <th scope="row" colSpan={2}>
                      Total
                    </th>
                    <td class="num">{amount(load.data.total)}</td>
                  </tr>
                </tfoot>
              </table>
            </div>
          </section>

          <section aria-labelledby="credit-notes">
            <h2 id="credit-notes">Credit notes</h2>
            <CreditNotes accountId={accountId} month={load.data.month} />
          </section>

          <section aria-labelledby="several" class={load.data.usersInSeveralProfiles.length > 0 ? 'highlight' : undefined}>
            <h2 id="several">Users billed in several profiles</h2>
            {load.data.usersInSeveralProfiles.length === 0 ? (
              <p class="muted">No user is billed in more than one profile this month.</p>
            ) : (
              <>
                <p>Each of these users is charged once per profile. Check that this is intended.</p>
                <div class="table-wrap">
                  <table data-testid="several">
                    <thead>
                      <tr>
                        <th scope="col">User</th>
                        <th scope="col">Profiles</th>
                      </tr>
                    </thead>
                    <tbody>
                      {load.data.usersInSeveralProfiles.map((u) => (
                        <tr key={u.userId}>
                          <th scope="row">{u.userId}</th>
                          <td>
                            {u.profiles.map((p, i) => (
                              <>
                                {i > 0 && ', '}
                                <a href={hrefs.profile(p, load.data.month)}>{p}</a>
                              </>
                            ))}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </>
            )}
          </section>
        </>
      )}

    </>
  );
};
