/**
 * Console users (admin only): `GET/POST /users`, `PATCH/DELETE /users/:id` (role, linked
 * identity), `POST /users/:id/password` (a new password the user changes at next sign-in).
 */
import type { Api } from '../../api/client';
import type { ConsoleUser, Role, User, UserList } from '../../../../api/contract/index.js';

export type { ConsoleUser } from '../../../../api/contract/index.js';

/** The server's CSV of every user. */
export function usersCsvUrl(api: Api): string {
  return api.url('/users', { format: 'csv' });
}

export async function listUsers(api: Api): Promise<ConsoleUser[]> {
  return (await api.get<UserList>('/users')).users;
}

export function createUser(
  api: Api,
  input: { username: string; password: string; role: Role },
): Promise<User> {
  return api.post<User>('/users', input);
}

export async function updateUser(
  api: Api,
  id: string,
  patch: { role?: Role; identityId?: string | null },
): Promise<void> {
  await api.patch(`/users/${id}`, patch);
}

/** Sets another user's password: their sessions end; they choose their own at next sign-in. */
export async function resetPassword(api: Api, id: string, newPassword: string): Promise<void> {
  await api.post(`/users/${id}/password`, { newPassword });
}

export async function deleteUser(api: Api, id: string): Promise<void> {
  await api.del(`/users/${id}`);
}
