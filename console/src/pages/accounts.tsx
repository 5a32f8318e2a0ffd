import { getJson } from '../api';
import { AccountList } from '../codecs';
import { CURRENT, hrefs } from '../router';
import { useLoad } from '../useLoad';
import { Failure, Loading } from './status';

export const AccountsPage = () => {
  const load = useLoad(() => getJson('/v1/accounts', AccountList), []);
  return (
    <>
      <h1>Accounts</h1>
      {load.state === 'loading' && <Loading />}
      {load.state === 'error' && <Failure error={load.error} />}
      {load.state === 'ok' &&
        (load.data.accounts.length === 0 ? (
          <p class="notice">This sign-in may see no account, or the ledger has none yet.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <caption class="sr-only">The accounts you may see and their profiles</caption>
              <thead>
                <tr>
                  <th scope="col">Account</th>
                  <th scope="col">Profiles</th>
                </tr>
              </thead>
              <tbody>
                {load.data.accounts.map((a) => (
                  <tr key={a.accountId}>
                    <th scope="row">
                      <a href={hrefs.account(a.accountId, CURRENT)}>{a.accountId}</a>
                    </th>
                    <td>
                      <ul class="inline-list">
                        {a.profiles.map((p) => (
                          <li key={p.profileId}>
                            <a href={hrefs.profile(p.profileId, CURRENT)}>{p.name ?? p.profileId}</a> <span class="muted">{p.region}</span>
                          </li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
    </>
  );
};
