/**
 * The console: checks the session (`auth/me`), shows sign-in when there is none, the
 * change-password screen while the user must change theirs, else the shell (navigation + the
 * page of the current path, see `ui/router.tsx`).
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { createApi } from './api/client';
import { currentSession, signOut as endSession, type Session } from './features/auth/api';
import { ApiContext, SessionContext, type SessionContextValue } from './features/auth/session';
import { ChangePasswordPage } from './features/auth/ChangePasswordPage';
import { SignInPage } from './features/auth/SignInPage';
import { Shell } from './Shell';
import { Spinner } from './ui/components';
import { useLinkNavigation } from './ui/router';
import { ToastProvider } from './ui/toasts';

export function App() {
  const api = useMemo(() => createApi(), []);
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  useLinkNavigation();

  const accept = useCallback(
    (next: Session | null) => {
      api.setCsrfToken(next?.csrfToken ?? null);
      setSession(next);
    },
    [api],
  );

  useEffect(() => {
    api.onUnauthenticated(() => {
      accept(null);
    });
    currentSession(api).then(accept, () => {
      accept(null);
    });
  }, [api, accept]);

  const value = useMemo<SessionContextValue | null>(
    () =>
      session
        ? {
            api,
            user: session.user,
            signOut: () => {
              void endSession(api)
                .catch(() => undefined)
                .then(() => {
                  accept(null);
                });
            },
          }
        : null,
    [api, session, accept],
  );

  return (
    <ApiContext.Provider value={api}>
      <ToastProvider>
        {session === undefined ? (
          <main className="sign-in">
            <Spinner label="Opening duo-insights…" />
          </main>
        ) : value === null || !session ? (
          <SignInPage onSignedIn={accept} />
        ) : session.user.mustChangePassword ? (
          <ChangePasswordPage
            user={session.user}
            onChanged={(user) => {
              accept({ ...session, user });
            }}
            onSignOut={value.signOut}
          />
        ) : (
          <SessionContext.Provider value={value}>
            <Shell />
          </SessionContext.Provider>
        )}
      </ToastProvider>
    </ApiContext.Provider>
  );
}
