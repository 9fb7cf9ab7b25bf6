/** Sessions: `POST /auth/login`, `POST /auth/logout`, `GET /auth/me`, `POST /auth/password`. */
import type { Api } from '../../api/client';

import type { Me, PasswordChanged, Role, Session } from '../../../../api/contract/index.js';

export type { Role, Session, User } from '../../../../api/contract/index.js';

export function signIn(api: Api, username: string, password: string): Promise<Session> {
  return api.post<Session>('/auth/login', { username, password });
}

/** The signed-in user; `csrfToken` is null only for an API token, which the console never uses. */
export async function currentSession(api: Api): Promise<Session> {
  const me = await api.get<Me>('/auth/me');
  return { user: me.user, csrfToken: me.csrfToken ?? '' };
}

/** Changes the signed-in user's password; their other sessions end, this one stays. */
export function changePassword(
  api: Api,
  currentPassword: string,
  newPassword: string,
): Promise<PasswordChanged> {
  return api.post<PasswordChanged>('/auth/password', { currentPassword, newPassword });
}

/** The server's password policy, as the password forms say it (its errors name the rule broken). */
export const PASSWORD_HINT = {
  own: 'At least 12 characters, not your user name, not your current password.',
  other: 'At least 12 characters, not their user name, not their current password.',
  new: 'At least 12 characters, not the user name.',
} as const;

export async function signOut(api: Api): Promise<void> {
  await api.post('/auth/logout');
}

export const ROLE_LABELS: Record<Role, string> = {
  admin: 'Administrator',
  source_manager: 'Source manager',
  viewer: 'Viewer',
};
