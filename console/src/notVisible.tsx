import { getJson } from './api';
import { AccountList } from './codecs';
import { hrefs } from './router';
import { useLoad } from './useLoad';

/**
 * What a 404 for an account or profile means to this caller. The API answers the same for a missing
 * one and for one outside the token's accounts (so ids cannot be probed); the list of the caller's
 * own accounts tells the console which of the two it can say.
 */
export const NotVisible = ({ what, id, month, visible }: { what: 'account' | 'profile'; id: string; month: string; visible: (list: AccountList) => boolean }) => {
  const accounts = useLoad(() => getJson('/v1/accounts', AccountList), [id]);
  if (accounts.state !== 'ok') return <p role="status">Checking what this sign-in may see…</p>;
  const list = accounts.data.accounts;
  if (visible(accounts.data)) {
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
