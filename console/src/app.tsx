import { useEffect, useState } from 'preact/hooks';
import { token, whenUnauthenticated } from './api';
import { HealthStatus } from './health';
import { AccountPage } from './pages/account';
import { AccountsPage } from './pages/accounts';
import { InvoicePage } from './pages/invoice';
import { ProfilePage } from './pages/profile';
import { SignIn } from './pages/signIn';
import { WebhooksPage } from './pages/webhooks';
import { hrefs, Route, useRoute } from './router';

const Page = ({ route }: { route: Route }) => {
  switch (route.page) {
    case 'accounts':
      return <AccountsPage />;
    case 'account':
      return <AccountPage accountId={route.accountId} month={route.month} />;
    case 'invoice':
      return <InvoicePage accountId={route.accountId} month={route.month} />;
    case 'profile':
      return <ProfilePage profileId={route.profileId} month={route.month} />;
    case 'webhooks':
      return <WebhooksPage />;
    case 'notFound':
      return (
        <>
          <h1>No such page</h1>
          <p>
            The console has no page at {route.path}. <a href={hrefs.accounts()}>See the accounts</a>.
          </p>
        </>
      );
  }
};

export const App = () => {
  const route = useRoute();
  /** Bumped on sign-in and sign-out, so the page loads again with the new token. */
  const [session, setSession] = useState(0);
  const [signIn, setSignIn] = useState<'no' | 'asked' | 'rejected'>('no');
  useEffect(() => whenUnauthenticated(() => setSignIn(token.get() === null ? 'asked' : 'rejected')), []);
  useEffect(() => {
    document.title = `${route.page === 'notFound' ? 'Not found' : route.page[0]?.toUpperCase() + route.page.slice(1)} · Ledger console`;
  }, [route]);
  const signedIn = token.get() !== null;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top screen-only">
        <a class="brand" href={hrefs.accounts()}>
          Ledger console
        </a>
        <HealthStatus />
        <nav aria-label="Main">
          <a href={hrefs.accounts()}>Accounts</a>
          <a href={hrefs.webhooks()}>Webhooks</a>
          <a href="/docs" target="_blank" rel="noopener">
            API docs
          </a>
          {signedIn && (
            <button
              type="button"
              class="link"
              onClick={() => {
                token.clear();
                setSession(session + 1);
                setSignIn('asked');
              }}
            >
              Sign out
            </button>
          )}
        </nav>
      </header>
      <main id="main" tabIndex={-1} key={session}>
        {signIn === 'no' ? (
          <Page route={route} />
        ) : (
          <SignIn
            rejected={signIn === 'rejected'}
            onSignedIn={() => {
              setSignIn('no');
              setSession(session + 1);
            }}
          />
        )}
      </main>
    </>
  );
};
