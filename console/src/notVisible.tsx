import { getJson, isNotFound } from './api';
import { AccountList } from './codecs';
import { hrefs } from './router';
import { Failure } from './pages/status';
import { useLoad } from './useLoad';

interface Subject {
  readonly what: 'account' | 'profile';
  readonly id: string;
  readonly month: string;
}

/** Whether the caller's own accounts hold the account or profile. */
const holds = ({ what, id }: Subject, list: AccountList): boolean =>
  list.accounts.some((a) => (what === 'account' ? a.accountId === id : a.profiles.some((p) => p.profileId === id)));

/**
 * What a 404 for an account or profile means to this caller. The API answers the same for a missing
 * one and for one outside the token's accounts (so ids cannot be probed); the list of the caller's
 * own accounts tells the console which of the two it can say.
 */
export const NotVisible = (subject: Subject) => {
  const { what, id, month } = subject;
  const accounts = useLoad(() => getJson('/v1/accounts', AccountList), [id]);
  if (accounts.state !== 'ok') return <p role="status">Checking what this sign-in may see…</p>;
  const list = accounts.data.accounts;
  if (holds(subject, accounts.data)) {
    return (
      <p role="status" class="notice">
        The {what} {id} has nothing billed in {month}.
      </p>
    );
  }
  return (
    <div role="alert" class="notice denied">
      <p>
        This sign-in may not see {what} <strong>{id}</strong>, or it does not exist.
      </p>
      {list.length === 0 ? (
        <p>It may see no account.</p>
      ) : (
        <p>
          It may see {list.length === 1 ? 'account' : 'accounts'}{' '}
          {list.map((a, i) => (
            <>
              {i > 0 && ', '}
              <a href={hrefs.account(a.accountId, month)}>{a.accountId}</a>
            </>
          ))}
          .
        </p>
      )}
    </div>
  );
};

/** A page's account or profile that did not load: a 404 says what this sign-in may see, anything else is shown as it is. */
export const LoadFailure = ({ error, ...subject }: Subject & { readonly error: unknown }) =>
  isNotFound(error) ? <NotVisible {...subject} /> : <Failure error={error} />;
