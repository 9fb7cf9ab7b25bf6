/**
 * The signed-in session for every page: the API client (with the CSRF token set), the user and
 * their role. `useSession()` inside the signed-in shell; `useApi()` anywhere.
 *
 * @example const { user } = useSession(); if (user.role === 'admin') …
 */
import { createContext, useContext } from 'react';
import type { Api } from '../../api/client';
import type { User } from './api';

export interface SessionContextValue {
  readonly api: Api;
  readonly user: User;
  readonly signOut: () => void;
}

export const ApiContext = createContext<Api | null>(null);
export const SessionContext = createContext<SessionContextValue | null>(null);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi needs an <ApiContext.Provider>');
  return api;
}

export function useSession(): SessionContextValue {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession needs a signed-in session');
  return session;
}

/** Whether the user may create and manage sources (admins and source managers). */
export function canManage(user: User): boolean {
  return user.role === 'admin' || user.role === 'source_manager';
}
