import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ActingContext, mayCredit, useActing } from '../actions/acting';
import { CreditForm } from '../actions/creditAction';
import { ProfileActions } from '../actions/profileActions';
import { getJson } from '../api';
import { Caller, EventPage, Line, LineCredits, RecordedEvent, StatementPage, UserStatement } from '../codecs';
import { amount, instant, monthName } from '../format';
import { LineColumns } from '../lineColumns';
import { MonthPicker } from '../monthPicker';
import { LoadFailure } from '../notVisible';
import { CURRENT, hrefs, lineAnchor, navigate } from '../router';
import { useLoad } from '../useLoad';
import { Failure, Figure, Loading, StatusBadge, TotalFigure } from './status';
import { SealNotice } from './seal';

const PAGE = 100;

/** Users a page of the users table shows: a profile of 50,000 users is 29 MB whole, never loaded at once. */
export const USERS_PAGE = 100;

/** The line a CREDIT credits, on the final statement of its month. */
const CreditOf = ({ lineId }: { lineId: string }) => (
  <>
    {' '}
    (credits <a href={hrefs.line(lineId)}>{lineId}</a> of {monthName(lineId.split('~')[1] ?? '')})
  </>
);

/** A line of a final bill that was credited says so: its credit notes, through the line's credits route, and what is left. */
const Credited = ({ profileId, month, lineId }: { profileId: string; month: string; lineId: string }) => {
  const { version } = useActing();
  const load = useLoad(() => getJson(`/v1/profiles/${encodeURIComponent(profileId)}/statements/${month}/lines/${encodeURIComponent(lineId)}/credits`, LineCredits), [profileId, month, lineId], version);
  if (load.state === 'error') return <Failure error={load.error} />;
  if (load.state !== 'ok' || load.data.credits.length === 0) return null;
  const c = load.data;
  return (
    <p class="credited" data-testid="line-credits">
      Credited {amount(c.credited)} of {amount(c.amount)}, {amount(c.left)} left:{' '}
      {c.credits.map((n, i) => (
        <>
          {i > 0 && '; '}
          {n.lineId === null ? n.eventId : <a href={hrefs.line(n.lineId)}>{n.lineId}</a>} ({amount(n.amount)}, {n.reason})
        </>
      ))}
    </p>
  );
};

/** The events a line cites, a page at a time through the line's events route. */
const AuditTrail = ({ profileId, month, line }: { profileId: string; month: string; line: Line }) => {
  const [events, setEvents] = useState<ReadonlyArray<RecordedEvent>>([]);
  const [next, setNext] = useState<number | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const path = `/v1/profiles/${encodeURIComponent(profileId)}/statements/${month}/lines/${encodeURIComponent(line.lineId)}/events?limit=${PAGE}`;
  const more = (after: number | null | undefined) =>
    getJson(after === undefined || after === null ? path : `${path}&after=${after}`, EventPage).then((page) => {
      setEvents((shown) => [...shown, ...page.events]);
      setNext(page.next);
    }, setError);
  useEffect(() => {
    void more(undefined);
  }, [line.lineId]);
  return (
    <div class="audit" data-testid="audit">
      {error !== undefined && <Failure error={error} />}
      {next === undefined && error === undefined ? (
        <Loading />
      ) : (
        <div class="table-wrap">
          <table>
            <caption>Events behind line {line.lineId}</caption>
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Stream</th>
                <th scope="col" class="num">
                  Position
                </th>
                <th scope="col">Occurred at</th>
                <th scope="col">Actor</th>
                <th scope="col">Correlation id</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.eventId}>
                  <td>{e.type}</td>
                  <td class="mono">{e.streamId}</td>
                  <td class="num">{e.position}</td>
                  <td class="mono">{instant(e.occurredAt)}</td>
                  <td>{e.metadata.actor ?? '—'}</td>
                  <td class="mono">{e.metadata.correlationId ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next !== undefined && next !== null && (
        <button type="button" onClick={() => void more(next)}>
          More events
        </button>
      )}
    </div>
  );
};

const CREDITABLE = new Set(['CHARGE', 'OVERAGE']);

const LineRow = ({ profileId, month, final, userId, line }: { profileId: string; month: string; final: boolean; userId: string; line: Line }) => {
  const [open, setOpen] = useState(false);
  const [crediting, setCrediting] = useState(false);
  const creditButton = useRef<HTMLButtonElement>(null);
  const creditable = final && CREDITABLE.has(line.kind);
  const { caller } = useActing();
  const creditRow = `credit-${lineAnchor(line.lineId)}`;
  const anchor = lineAnchor(line.lineId);
  const trail = `trail-${anchor}`;
  // Reached by a link to this line (from the credit note that credits it): shown, and marked.
  const target = location.hash === `#${anchor}`;
  useEffect(() => {
    if (target) document.getElementById(anchor)?.scrollIntoView({ block: 'center' });
  }, [target]);
  return (
    <>
      <tr id={anchor} class={`line ${line.kind.toLowerCase()}${target ? ' target' : ''}`}>
        <td>
          <button type="button" class="link" aria-expanded={open} aria-controls={trail} onClick={() => setOpen(!open)}>
            {line.kind}
          </button>
        </td>
        <td>{line.tier}</td>
        <td>
          {line.description}
          {line.reverses !== undefined && (
            <>
              {' '}
              (reverses <a href={`#${lineAnchor(line.reverses)}`}>{line.reverses}</a>)
            </>
          )}
          {line.credits !== undefined && <CreditOf lineId={line.credits} />}
          {creditable && <Credited profileId={profileId} month={month} lineId={line.lineId} />}
          {creditable && mayCredit(caller) && (
            <>
              {' '}
              <button type="button" class="link" ref={creditButton} aria-expanded={crediting} aria-controls={crediting ? creditRow : undefined} onClick={() => setCrediting(!crediting)}>
                Credit…
              </button>
            </>
          )}
        </td>
        <td class="mono">{instant(line.at)}</td>
        <td class="num">{amount(line.amount)}</td>
      </tr>
      {crediting && (
        <tr id={creditRow} class="credit-row">
          <td colSpan={5}>
            <CreditForm
              profileId={profileId}
              month={month}
              userId={userId}
              line={line}
              onClose={() => {
                setCrediting(false);
                creditButton.current?.focus();
              }}
            />
          </td>
        </tr>
      )}
      {open && (
        <tr id={trail}>
          <td colSpan={5}>
            <AuditTrail profileId={profileId} month={month} line={line} />
          </td>
        </tr>
      )}
    </>
  );
};

/**
 * Credits used against the allowance. An ARIA meter drawn with two spans rather than `<meter>`,
 * whose shadow tree per row made a 1,000-user page lay out several times slower. The share is a
 * float for drawing only; the exact figures are in the cells beside it.
 */
const CreditsBar = ({ used, included }: { used: string; included: string }) => {
  const share = Number(included) > 0 ? Math.min(1, Number(used) / Number(included)) : 1;
  return (
    <span class="bar" role="meter" aria-valuemin={0} aria-valuemax={Number(included)} aria-valuenow={Number(used)} aria-label={`${used} of ${included} credits used`}>
      <span class={share >= 1 ? 'full' : undefined} style={{ width: `${(share * 100).toFixed(1)}%` }} />
    </span>
  );
};

const UserRows = ({ profileId, month, final, user }: { profileId: string; month: string; final: boolean; user: UserStatement }) => {
  // A link to one of the user's lines opens the user's lines.
  const [open, setOpen] = useState(() => location.hash.startsWith(`#${lineAnchor(`${profileId}~${month}~${user.userId}~`)}`));
  const linesId = `lines-${user.userId}`;
  return (
    <>
      <tr data-user={user.userId}>
        <th scope="row">
          <button type="button" class="link" aria-expanded={open} aria-controls={linesId} onClick={() => setOpen(!open)}>
            {user.userId}
          </button>
        </th>
        <td>{user.billedTier ?? '—'}</td>
        <td class="num">{amount(user.creditsIncluded)}</td>
        <td class="num">{amount(user.creditsUsed)}</td>
        <td>
          <CreditsBar used={user.creditsUsed} included={user.creditsIncluded} />
        </td>
        <td class="num">{amount(user.overageCredits)}</td>
        <td class="num" data-testid="user-total">
          {amount(user.total)}
        </td>
      </tr>
      {open && (
        <tr id={linesId} class="lines">
          <td colSpan={7}>
            <table>
              <caption class="sr-only">Lines of {user.userId}</caption>
              <thead>
                <tr>
                  <LineColumns />
                </tr>
              </thead>
              <tbody>
                {user.lines.map((l) => (
                  <LineRow key={l.lineId} profileId={profileId} month={month} final={final} userId={user.userId} line={l} />
                ))}
              </tbody>
            </table>
          </td>
        </tr>
      )}
    </>
  );
};

export const ProfilePage = ({ profileId, month }: { profileId: string; month: string }) => {
  // The `after` of each page shown so far: the last is the page on screen, the one before it "Previous".
  const [afters, setAfters] = useState<ReadonlyArray<string>>([]);
  const after = afters[afters.length - 1];
  useEffect(() => setAfters([]), [profileId, month]);
  // Changes made on the page (actions, credits) bump the version: what they change loads again, the page stays.
  const [version, setVersion] = useState(0);
  const caller = useLoad(() => getJson('/v1/me', Caller), []);
  const acting = useMemo(() => ({ caller: caller.state === 'ok' ? caller.data : undefined, version, changed: () => setVersion((v) => v + 1) }), [caller, version]);
  const load = useLoad(
    () => getJson(`/v1/profiles/${encodeURIComponent(profileId)}/statements/${month}?limit=${USERS_PAGE}${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`, StatementPage),
    [profileId, month, after],
    version,
  );
  const firstShown = afters.length * USERS_PAGE + 1;
  useEffect(() => {
    if (month === CURRENT && load.state === 'ok') navigate(hrefs.profile(profileId, load.data.month), true);
  }, [load]);
  const shown = month === CURRENT ? (load.state === 'ok' ? load.data.month : undefined) : month;
  return (
    <ActingContext.Provider value={acting}>
      <header class="page-head">
        <div>
          <p class="crumbs">
            <a href={hrefs.accounts()}>Accounts</a> /{' '}
            {load.state === 'ok' && (
              <>
                <a href={hrefs.account(load.data.accountId, load.data.month)}>{load.data.accountId}</a> /
              </>
            )}
          </p>
          <h1>
            Profile {profileId} <span class="muted">{shown === undefined ? '' : monthName(shown)}</span>
          </h1>
        </div>
        {shown !== undefined && <MonthPicker month={shown} hrefOf={(m) => hrefs.profile(profileId, m)} />}
      </header>
      {load.state === 'loading' && <Loading />}
      {load.state === 'error' && <LoadFailure error={load.error} what="profile" id={profileId} month={month} />}
      {load.state === 'ok' && (
        <>
          <section class="summary" aria-label="Summary">
            <TotalFigure total={load.data.total} currency={load.data.currency} testId="profile-total" />
            <Figure label="Region">
              <span class="value">{load.data.region}</span>
            </Figure>
            <Figure label="Status">
              <StatusBadge status={load.data.status} />
              {load.data.seal !== undefined && <span class="badge sealed">sealed</span>}
            </Figure>
          </section>
          {load.data.seal !== undefined && <SealNotice seal={load.data.seal} />}
          <ProfileActions profileId={profileId} month={load.data.month} />
          <section aria-labelledby="users">
            <h2 id="users">Users ({load.data.userCount})</h2>
            {load.data.userCount > USERS_PAGE && (
              <nav class="pager" aria-label="Pages of users">
                <button type="button" disabled={afters.length === 0} onClick={() => setAfters(afters.slice(0, -1))}>
                  Previous users
                </button>
                <span data-testid="users-shown">
                  {firstShown}–{firstShown + load.data.users.length - 1} of {load.data.userCount}
                </span>
                <button type="button" disabled={load.data.next === null} onClick={() => load.data.next !== null && setAfters([...afters, load.data.next])}>
                  Next users
                </button>
              </nav>
            )}
            {load.data.users.length === 0 ? (
              <p class="muted">No user is billed in this profile this month.</p>
            ) : (
              <div class="table-wrap">
                <table data-testid="users" class="fixed">
                  {/* Fixed column widths: the browser lays out 1,000 rows without measuring every cell first. */}
                  <colgroup>
                    <col class="w-user" />
                    <col class="w-tier" />
                    <col class="w-num" />
                    <col class="w-num" />
                    <col class="w-bar" />
                    <col class="w-num" />
                    <col class="w-num" />
                  </colgroup>
                  <thead>
                    <tr>
                      <th scope="col">User</th>
                      <th scope="col">Billed tier</th>
                      <th scope="col" class="num">
                        Credits included
                      </th>
                      <th scope="col" class="num">
                        Credits used
                      </th>
                      <th scope="col">Used of allowance</th>
                      <th scope="col" class="num">
                        Overage credits
                      </th>
                      <th scope="col" class="num">
                        Total (USD)
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {load.data.users.map((u) => (
                      <UserRows key={u.userId} profileId={profileId} month={load.data.month} final={load.data.status === 'final'} user={u} />
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
    </ActingContext.Provider>
  );
};
