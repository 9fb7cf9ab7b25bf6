/**
 * Users of duo-insights and the session: a user never carries its password hash; `lastSignInAt`
 * is the user's latest sign-in to the console (null: never).
 *
 * @example { "users": [{ "id": "…", "username": "admin", "role": "admin", … }], "next": null }
 */
import { z } from 'zod';
import { ROLES } from '../../domain/users.js';
import { EpochMs, Next } from './common.js';

// The closed sets are the domain's own: an answer never drifts from what the product stores.
export { ROLES };

export type Role = (typeof ROLES)[number];

export const User = z.object({
  id: z.string(),
  username: z.string(),
  role: z.enum(ROLES),
  identityId: z.string().nullable(),
  disabled: z.boolean(),
  mustChangePassword: z
    .boolean()
    .describe('the password was generated or set by an admin: the user changes it first'),
  createdAt: EpochMs,
  updatedAt: EpochMs,
});
export type User = z.infer<typeof User>;

/** A user as the users list shows it, with the latest sign-in. */
export const ConsoleUser = User.extend({
  lastSignInAt: EpochMs.nullable().describe('latest console sign-in; null: never'),
});
export type ConsoleUser = z.infer<typeof ConsoleUser>;

export const UserList = z.object({ users: z.array(ConsoleUser), next: Next });
export type UserList = z.infer<typeof UserList>;

/** The answer of a sign-in: the user and the CSRF token to send on every change. */
export const Session = z.object({ user: User, csrfToken: z.string() });
export type Session = z.infer<typeof Session>;

/** `GET /auth/me`: the user, the session's CSRF token (null for an API token) and how. */
export const Me = z.object({
  user: User,
  csrfToken: z.string().nullable(),
  via: z.enum(['session', 'token']).nullable(),
});
export type Me = z.infer<typeof Me>;

/** `POST /auth/password`: the user, and how many of their other sessions were signed out. */
export const PasswordChanged = z.object({
  user: User,
  sessionsEnded: z.number().int().describe('other sessions of the user that were signed out'),
});
export type PasswordChanged = z.infer<typeof PasswordChanged>;
