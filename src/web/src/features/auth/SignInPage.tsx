import { useState, type SyntheticEvent } from 'react';
import { ApiError, describeError } from '../../api/client';
import { TextField } from '../../ui/components';
import { signIn, type Session } from './api';
import { useApi } from './session';

export function SignInPage({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const api = useApi();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: SyntheticEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(api, username.trim(), password));
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.code === 'unauthenticated'
          ? 'That user name and password do not match.'
          : describeError(failure),
      );
      setBusy(false);
    }
  }

  return (
    <main className="sign-in">
      <form
        className="card sign-in-card"
        onSubmit={(event) => void submit(event)}
        aria-labelledby="sign-in-title"
      >
        <div className="brand brand-large">
          <Logo />
          <span>duo-insights</span>
        </div>
        <h1 id="sign-in-title">Sign in</h1>
        <p className="muted">Identity governance and activity insights for Duo.</p>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <TextField
          label="User name"
          value={username}
          onChange={setUsername}
          autoComplete="username"
          required
          autoFocus
        />
        <TextField
          label="Password"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="current-password"
          required
        />
        <button type="submit" className="button button-primary button-wide" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

export function Logo() {
  return (
    <svg className="logo" viewBox="0 0 32 32" aria-hidden="true">
      <rect width="32" height="32" rx="7" fill="currentColor" />
      <path
        className="logo-mark"
        d="M9 16.5l4.5 4.5L23 11"
        strokeWidth="3.2"
        fill="none"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}
