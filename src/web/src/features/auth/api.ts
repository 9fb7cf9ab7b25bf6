/** Sessions: `POST /auth/login`, `POST /auth/logout`, `GET /auth/me`. */
import type { Api } from '../../api/client';

export type Role = 'admin' | 'source_manager' | 'viewer';

export interface User {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly identityId?: string | null;
}

export interface Session {
  readonly user: User;
  readonly csrfToken: string;
}

export function signIn(api: Api, username: string, password: string): Promise<Session> {
  return api.post<Session>('/auth/login', { username, password });
}

export function currentSession(api: Api): Promise<Session> {
  return api.get<Session>('/auth/me');
}

export async function signOut(api: Api): Promise<void> {
  await api.post('/auth/logout');
}

export const ROLE_LABELS: Record<Role, string> = {
  admin: 'Administrator',
  source_manager: 'Source manager',
  viewer: 'Viewer',
};
