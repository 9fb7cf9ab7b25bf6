/**
 * The screen right after signing in with a password someone else chose (the first admin's
 * generated one, or one an admin set): nothing else opens until the user picks their own.
 */
import { useEffect, useRef } from 'react';
import { useApi } from './session';
import { ChangePasswordForm } from './ChangePasswordForm';
import { Logo } from './SignInPage';
import type { User } from './api';
import './change-password.css';

export function ChangePasswordPage({
  user,
  onChanged,
  onSignOut,
}: {
  user: User;
  onChanged: (user: User) => void;
  onSignOut: () => void;
}) {
  const api = useApi();
  const heading = useRef<HTMLHeadingElement>(null);
  // The sign-in form that had focus is gone: reading goes on from this screen's heading.
  useEffect(() => {
    heading.current?.focus();
  }, []);
  return (
    <main className="sign-in">
      <div className="card sign-in-card change-password-card">
        <div className="brand brand-large">
          <Logo />
          <span>duo-insights</span>
        </div>
        <h1 ref={heading} tabIndex={-1}>
          Choose a new password
        </h1>
        <p className="change-password-note" role="status">
          You signed in as {user.username} with a password that was generated or set by an
          administrator. Choose your own to continue.
        </p>
        <ChangePasswordForm
          api={api}
          onChanged={(changed) => {
            onChanged(changed);
          }}
          submitLabel="Save and continue"
        />
        <div className="change-password-footer">
          <span className="muted">Signed in as {user.username}</span>
          <button type="button" className="button button-small button-ghost" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </div>
    </main>
  );
}
