import { useState } from 'preact/hooks';
import { token } from '../api';

/** Shown when the API answers 401: the server has tokens and this tab has none, or a revoked one. */
export const SignIn = ({ onSignedIn, rejected }: { onSignedIn: () => void; rejected: boolean }) => {
  const [value, setValue] = useState('');
  return (
    <section class="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <p>This ledger asks for an API token (from <code>ledger token create</code>). It is kept in this tab only, until you close it or sign out.</p>
      {rejected && (
        <p role="alert" class="notice denied">
          The ledger did not accept that token (unknown, revoked or mistyped).
        </p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          token.set(value.trim());
          onSignedIn();
        }}
      >
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autoComplete="off" spellcheck={false} required placeholder="ldg_…" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
        <button type="submit">Sign in</button>
      </form>
    </section>
  );
};
