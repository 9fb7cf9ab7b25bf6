/** Console users (admin only): `GET/POST /users`, `PATCH/DELETE /users/:id`. */
import type { Api } from '../../api/client';
import { listFrom, objectFrom } from '../../api/shapes';
import type { Role, User } from '../auth/api';

export interface ConsoleUser extends User {
  readonly createdAt?: number;
  readonly lastLoginAt?: number | null;
  readonly disabled?: boolean;
}

export async function listUsers(api: Api): Promise<ConsoleUser[]> {
  return listFrom<ConsoleUser>(await api.get('/users'), 'users');
}

export async function createUser(
  api: Api,
  input: { username: string; password: string; role: Role },
): Promise<ConsoleUser> {
  return objectFrom<ConsoleUser>(await api.post('/users', input), 'user');
}

export async function updateUser(
  api: Api,
  id: string,
  patch: { role?: Role; password?: string },
): Promise<void> {
  await api.patch(`/users/${id}`, patch);
}

export async function deleteUser(api: Api, id: string): Promise<void> {
  await api.del(`/users/${id}`);
}
