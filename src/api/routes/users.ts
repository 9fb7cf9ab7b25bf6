/**
 * Users of duo-insights (admins only): list, create, change role/identity, set a new password
 * (the user changes it at their next sign-in), delete. The list also as CSV (`format=csv`): no
 * password or token is in it.
 */
import { z } from 'zod';
import { ROLES } from '../../domain/users.js';
import { lastSignIns } from '../../store/audit.js';
import { listUsers } from '../../store/users.js';
import { ConflictError } from '../../domain/errors.js';
import {
  createUserFromInput,
  PASSWORD_POLICY,
  removeUser,
  resetPassword,
  updateUserFromInput,
} from '../../sync/users.js';
import { actorOf, requireRole, userOf } from '../auth.js';
import { recordAction } from '../../core/actor.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { NoContent } from '../contract/common.js';
import { answers } from '../contract/errors.js';
import { User, UserList } from '../contract/users.js';
import { jsonOrCsv } from '../contract/reports.js';
import { csvTime, toCsv, type CsvColumn } from '../../core/csv.js';
import { getIdentity } from '../../store/identities.js';
import { FormatQuery, IdParams, publicUser } from '../schemas.js';
import { sendCsv } from './reports.js';

const NewUserBody = z
  .object({
    username: z.string().max(100),
    password: z.string().max(512),
    role: z.enum(ROLES),
    identityId: z.string().max(100).nullable().optional(),
  })
  .strict();

const UserPatchBody = z
  .object({
    password: z.string().max(512).optional(),
    role: z.enum(ROLES).optional(),
    identityId: z.string().max(100).nullable().optional(),
    disabled: z.boolean().optional(),
  })
  .strict();

const PasswordResetBody = z
  .object({ newPassword: z.string().max(PASSWORD_POLICY.maxLength) })
  .strict();

/** An admin sets other users' passwords; their own they change knowing the current one. */
function ownPasswordConflict(): ConflictError {
  return new ConflictError(
    "this sets another user's password; change your own with POST /api/v1/auth/password (your current password and the new one)",
  );
}

export function userRoutes(app: ApiInstance, deps: ApiDeps): void {
  const admin = requireRole('admin');
  app.get(
    '/users',
    {
      preHandler: admin,
      schema: {
        tags: ['users'],
        summary: 'Every user with their latest sign-in (admin); CSV with format=csv',
        querystring: FormatQuery,
        response: answers({ 200: jsonOrCsv(UserList) }),
      },
    },
    async (request, reply) => {
      const signIns = await lastSignIns(deps.db);
      const users = (await listUsers(deps.db)).map((u) => ({
        ...publicUser(u),
        lastSignInAt: signIns.get(u.id) ?? null,
      }));
      if (request.query.format === 'csv') {
        const names = new Map<string, string>();
        for (const id of new Set(users.flatMap((u) => (u.identityId ? [u.identityId] : []))))
          names.set(id, (await getIdentity(deps.db, id).catch(() => null))?.displayName ?? '');
        const rows = users.map((u) => ({
          ...u,
          identityName: u.identityId === null ? null : (names.get(u.identityId) ?? null),
        }));
        return sendCsv(reply, 'users', toCsv(rows, USER_COLUMNS));
      }
      return { users, next: null };
    },
  );

  app.post(
    '/users',
    {
      preHandler: admin,
      schema: {
        tags: ['users'],
        summary: 'Create a user (admin)',
        body: NewUserBody,
        response: answers({ 201: User }),
      },
    },
    async (request, reply) => {
      const user = await createUserFromInput(deps.db, request.body);
      await recordAction(deps.db, actorOf(request), 'user.create', {
        type: 'user',
        id: user.id,
        name: user.username,
        details: { role: user.role },
      });
      return reply.code(201).send(publicUser(user));
    },
  );

  app.patch(
    '/users/:id',
    {
      preHandler: admin,
      schema: {
        tags: ['users'],
        summary:
          "Change a user: role, identity, disabled, or another user's password (as POST /users/:id/password) (admin)",
        params: IdParams,
        body: UserPatchBody,
        response: answers({ 200: User }),
      },
    },
    async (request) => {
      if (request.body.password !== undefined && request.params.id === userOf(request).id)
        throw ownPasswordConflict();
      const user = await updateUserFromInput(deps.db, request.params.id, request.body);
      await recordAction(deps.db, actorOf(request), 'user.update', {
        type: 'user',
        id: user.id,
        name: user.username,
        details: {
          fields: Object.keys(request.body),
          ...(request.body.role === undefined ? {} : { role: request.body.role }),
        },
      });
      return publicUser(user);
    },
  );

  app.post(
    '/users/:id/password',
    {
      preHandler: admin,
      schema: {
        tags: ['users'],
        summary:
          "Set a new password for another user (admin): ends that user's sessions; they change it at their next sign-in",
        params: IdParams,
        body: PasswordResetBody,
        response: answers({ 200: User }),
      },
    },
    async (request) => {
      if (request.params.id === userOf(request).id) throw ownPasswordConflict();
      const user = await resetPassword(deps.db, request.params.id, request.body);
      await recordAction(deps.db, actorOf(request), 'user.password_reset', {
        type: 'user',
        id: user.id,
        name: user.username,
      });
      return publicUser(user);
    },
  );

  app.delete(
    '/users/:id',
    {
      preHandler: admin,
      schema: {
        tags: ['users'],
        summary: 'Delete a user (admin)',
        params: IdParams,
        response: answers({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      const user = await removeUser(deps.db, request.params.id, userOf(request).id);
      await recordAction(deps.db, actorOf(request), 'user.delete', {
        type: 'user',
        id: user.id,
        name: user.username,
      });
      return reply.code(204).send(null);
    },
  );
}

type UserRow = ReturnType<typeof publicUser> & {
  readonly lastSignInAt: number | null;
  readonly identityName: string | null;
};

/** A user's name, role, identity and sign-ins: never a password or a token. */
const USER_COLUMNS: readonly CsvColumn<UserRow>[] = [
  { header: 'username', value: (u) => u.username },
  { header: 'role', value: (u) => u.role },
  { header: 'identity', value: (u) => u.identityName },
  { header: 'disabled', value: (u) => u.disabled },
  { header: 'must_change_password', value: (u) => u.mustChangePassword },
  { header: 'last_sign_in', value: (u) => csvTime(u.lastSignInAt) },
  { header: 'created', value: (u) => csvTime(u.createdAt) },
  { header: 'id', value: (u) => u.id },
];
