import { useEffect } from 'preact/hooks';
import { getJson } from '../api';
import { AccountStatement, Statement } from '../codecs';
import { amount, monthName } from '../format';
import { LoadFailure } from '../notVisible';
import { CURRENT, hrefs, navigate } from '../router';
import { useLoad } from '../useLoad';
import { Loading, StatusBadge } from './status';

/** The account statement and the statements of its profiles: every line of the month. */
export const loadInvoice = async (accountId: string, month: string) => {
  const account = await getJson(`/v1/accounts/${encodeURIComponent(accountId)}/statements/${month}`, AccountStatement);
  const statements = await Promise.all(account.profiles.map((p) => getJson(`/v1/profiles/${encodeURIComponent(p.profileId)}/statements/${account.month}`, Statement)));
  return { account, statements };
};

/** A printable invoice: the print stylesheet drops the console around it, so "Save as PDF" gives the document alone. */
export const InvoicePage = ({ accountId, month }: { accountId: string; month: string }) => {
  const load = useLoad(() => loadInvoice(accountId, month), [accountId, month]);
  useEffect(() => {
    if (month === CURRENT && load.state === 'ok') navigate(hrefs.invoice(accountId, load.data.account.month), true);
  }, [load]);
  if (load.state === 'loading') return <Loading />;
  if (load.state === 'error') return <LoadFailure error={load.error} what="account" id={accountId} month={month} />;
  const { account, statements } = load.data;
  return (
    <article class="invoice" aria-labelledby="invoice-title">
      <p class="screen-only">
        <a href={hrefs.account(accountId, account.month)}>← Back to the account</a>{' '}
        <button type="button" onClick={() => print()}>
          Print or save as PDF
        </button>
      </p>
      <header class="invoice-head">
        <h1 id="invoice-title">Invoice</h1>
        <dl>
          <dt>Account</dt>
          <dd>{account.accountId}</dd>
          <dt>Billing period</dt>
          <dd>
            {monthName(account.month)} ({account.month}-01 to the end of the month, UTC)
          </dd>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={account.status} />
            {account.status === 'open' && <span class="muted"> (the month is not over: this is a preview, not a final bill)</span>}
          </dd>
          <dt>Currency</dt>
          <dd>{account.currency}</dd>
        </dl>
      </header>
      <table class="invoice-lines">
        <caption class="sr-only">Invoice lines by profile and user</caption>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Line</th>
            <th scope="col">At</th>
            <th scope="col" class="num">
              Amount
            </th>
          </tr>
        </thead>
        {statements.map((s) => (
          <tbody key={s.profileId}>
            <tr class="group">
              <th scope="rowgroup" colSpan={4}>
                Profile {s.profileId} · {s.region}
              </th>
            </tr>
            {s.users.flatMap((u) =>
              u.lines.map((l, i) => (
                <tr key={l.lineId}>
                  <td class="nowrap">{i === 0 ? u.userId : ''}</td>
                  <td>
                    {l.kind} {l.tier}: {l.description}
                    {l.credits !== undefined && (
                      <>
                        {' '}
                        (credits <a href={hrefs.line(l.credits)}>{l.credits}</a>)
                      </>
                    )}
                  </td>
                  <td class="nowrap">{l.at.slice(0, 10)}</td>
                  <td class="num">{amount(l.amount)}</td>
                </tr>
              )),
            )}
            <tr class="subtotal">
              <th scope="row" colSpan={3}>
                Subtotal {s.profileId}
              </th>
              <td class="num">{amount(s.total)}</td>
            </tr>
          </tbody>
        ))}
        <tfoot>
          <tr class="grand-total">
            <th scope="row" colSpan={3}>
              Total ({account.currency})
            </th>
            <td class="num" data-testid="invoice-total">
              {amount(account.total)}
            </td>
          </tr>
        </tfoot>
      </table>
    </article>
  );
};
