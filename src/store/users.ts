/**
 * Local users of duo-insights: username (unique, case-insensitive), scrypt password hash, role,
 * optional identity. A `User` never carries the hash; `findUserCredentials` returns it for sign-in.
 *
 * @example const admin = await createUser(db, { username: 'admin', passwordHash, role: 'admin' });
 */
import type { Selectable } from 'kysely';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { nowMs } from '../domain/time.js';
import type { Role, User } from '../domain/users.js';
import { epochMs, newId } from './columns.js';
import { dialectOf, type Db } from './dialect.js';
import { assertReferencesExist } from './references.js';
import type { UsersTable } from './schema.js';

export function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    username: row.username,
    role: row.role as Role,
    identityId: row.identity_id,
    disabled: row.disabled !== 0,
    mustChangePassword: row.must_change_password !== 0,
    createdAt: epochMs(row.created_at),
    updatedAt: epochMs(row.updated_at),
  };
}

export interface NewUser {
  readonly username: string;
  readonly passwordHash: string;
  readonly role: Role;
  readonly identityId?: string | null;
  /** The password was generated or set for the user: they change it at first sign-in. */
  readonly mustChangePassword?: boolean;
}

async function assertUsernameFree(db: Db, username: string, exceptId?: string): Promise<void> {
  let q = db
    .selectFrom('users')
    .select('id')
    .where((eb) => eb(eb.fn('lower', ['username']), '=', username.toLowerCase()));
  if (exceptId !== undefined) q = q.where('id', '<>', exceptId);
  if (await q.executeTakeFirst()) throw new ConflictError(`a user named "${username}" exists`);
}

/** Throws `ConflictError` when the username is taken (case-insensitive). */
export async function createUser(db: Db, input: NewUser): Promise<User> {
  await assertReferencesExist(db, [
    { field: 'identityId', table: 'identities', id: input.identityId },
  ]);
  await assertUsernameFree(db, input.username);
  const now = nowMs();
  const row = await db
    .insertInto('users')
    .values({
      id: newId(),
      username: input.username,
      password_hash: input.passwordHash,
      role: input.role,
      identity_id: input.identityId ?? null,
      disabled: 0,
      must_change_password: input.mustChangePassword === true ? 1 : 0,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toUser(row);
}

export async function findUser(db: Db, id: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toUser(row);
}

export async function getUser(db: Db, id: string): Promise<User> {
  const user = await findUser(db, id);
  if (!user) throw new NotFoundError('user', id);
  return user;
}

/** The user and its password hash, by username (case-insensitive), for sign-in only. */
export async function findUserCredentials(
  db: Db,
  username: string,
): Promise<{ readonly user: User; readonly passwordHash: string } | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['username']), '=', username.toLowerCase()))
    .executeTakeFirst();
  return row && { user: toUser(row), passwordHash: row.password_hash };
}

/** The password hash of a user, by id (checking a password before changing it). */
export async function findPasswordHash(db: Db, id: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('users')
    .select('password_hash')
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.password_hash;
}

export async function listUsers(db: Db): Promise<User[]> {
  const rows = await db.selectFrom('users').selectAll().orderBy('username').execute();
  return rows.map(toUser);
}

export async function countAdmins(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('role', '=', 'admin')
    .where('disabled', '=', 0)
    .executeTakeFirstOrThrow();
  return row.count;
}

/**
 * Runs `change` in one transaction holding the admins lock, so a check such as "is this the
 * last admin" and the change it guards never interleave with another such change: two admins
 * demoting each other at once leave one admin, not none (PostgreSQL: an advisory lock; SQLite:
 * the write lock every transaction takes).
 *
 * @example await withAdminsLocked(db, async (trx) => { if ((await countAdmins(trx)) > 1) await deleteUser(trx, id); });
 */
export async function withAdminsLocked<T>(db: Db, change: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await dialectOf(trx).lockForTransaction(trx, 'duo-insights:admins');
    return change(trx);
  });
}

export interface UserPatch {
  readonly username?: string;
  readonly passwordHash?: string;
  readonly role?: Role;
  readonly identityId?: string | null;
  readonly disabled?: boolean;
  readonly mustChangePassword?: boolean;
}

export async function updateUser(db: Db, id: string, patch: UserPatch): Promise<User> {
  await assertReferencesExist(db, [
    { field: 'identityId', table: 'identities', id: patch.identityId },
  ]);
  if (patch.username !== undefined) await assertUsernameFree(db, patch.username, id);
  const row = await db
    .updateTable('users')
    .set({
      ...(patch.username === undefined ? {} : { username: patch.username }),
      ...(patch.passwordHash === undefined ? {} : { password_hash: patch.passwordHash }),
      ...(patch.role === undefined ? {} : { role: patch.role }),
      ...(patch.identityId === undefined ? {} : { identity_id: patch.identityId }),
      ...(patch.disabled === undefined ? {} : { disabled: patch.disabled ? 1 : 0 }),
      ...(patch.mustChangePassword === undefined
        ? {}
        : { must_change_password: patch.mustChangePassword ? 1 : 0 }),
      updated_at: nowMs(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFoundError('user', id);
  return toUser(row);
}

/** Deletes a user with its sessions and API tokens. */
export async function deleteUser(db: Db, id: string): Promise<void> {
  const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw new NotFoundError('user', id);
}
