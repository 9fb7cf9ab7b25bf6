/** Sessions: `POST /auth/login`, `POST /auth/logout`, `GET /auth/me`. */
import type { Api } from '../../api/client';

import type { Me, Role, Session } from '../../../../api/contract/index.js';

export type { Role, Session, User } from '../../../../api/contract/index.js';

export function signIn(api: Api, username: string, password: string): Promise<Session> {
  return api.post<Session>('/auth/login', { username, password });
}

/** The signed-in user; `csrfToken` is null only for an API token, which the console never uses. */
export async function currentSession(api: Api): Promise<Session> {
  const me = await api.get<Me>('/auth/me');
  return { user: me.user, csrfToken: me.csrfToken ?? '' };
}

export async function signOut(api: Api): Promise<void> {
  await api.post('/auth/logout');
}

export const ROLE_LABELS: Record<Role, string> = {
  admin: 'Administrator',
  source_manager: 'Source manager',
  viewer: 'Viewer',
};
