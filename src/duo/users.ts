/**
 * Duo users (accounts): the paged list (limit 300, groups embedded) and one user by id
 * ("Grant read resource"); a user's status and group memberships changed ("Grant write resource").
 *
 * @example for await (const page of readUsers(transport, {}, signal)) upsert(page.records);
 */
import { badResponse } from './errors.js';
import type { DuoPage, OffsetQuery } from './pages.js';
import { describeIssues, readOffsetPages } from './pages.js';
import type { DuoTransport } from './transport.js';
import { UserSchema } from './wire.js';
import type { DuoUser } from './wire.js';

export const USERS_PAGE_LIMIT = 300;

/** Every user, page by page; `next` is the offset to resume from. */
export function readUsers(
  transport: DuoTransport,
  query: OffsetQuery = {},
  signal?: AbortSignal,
): AsyncGenerator<DuoPage<DuoUser, number>> {
  return readOffsetPages(
    transport,
    {
      path: '/admin/v1/users',
      family: 'objects_page',
      schema: UserSchema,
      limit: USERS_PAGE_LIMIT,
    },
    query,
    signal,
  );
}

/** One user; throws a `not_found` DuoError when Duo has no such user. */
export async function getUser(
  transport: DuoTransport,
  userId: string,
  signal?: AbortSignal,
): Promise<DuoUser> {
  const path = `/admin/v1/users/${encodeURIComponent(userId)}`;
  const answer = await transport.get(path, [], 'object', { signal });
  const user = UserSchema.safeParse(answer.response);
  if (!user.success) throw badResponse(path, `the user: ${describeIssues(user.error)}`);
  return user.data;
}

/** The statuses an administrator may give a Duo user; "locked out" is Duo's own. */
export const SETTABLE_USER_STATUSES = ['active', 'disabled', 'bypass'] as const;
export type SettableUserStatus = (typeof SETTABLE_USER_STATUSES)[number];

/**
 * Sets a user's status (`POST /admin/v1/users/[user_id]`, "Grant write resource"); `active`
 * also unlocks a locked-out user. Resolves to the user as Duo has it after the change.
 */
export async function setUserStatus(
  transport: DuoTransport,
  userId: string,
  status: SettableUserStatus,
  signal?: AbortSignal,
): Promise<DuoUser> {
  const path = `/admin/v1/users/${encodeURIComponent(userId)}`;
  const answer = await transport.post(path, [['status', status]], 'object', { signal });
  const user = UserSchema.safeParse(answer.response);
  if (!user.success) throw badResponse(path, `the user: ${describeIssues(user.error)}`);
  return user.data;
}

/**
 * Takes a user out of a group (`DELETE /admin/v1/users/[user_id]/groups/[group_id]`, "Grant
 * write resource"). Duo answers OK when the user was not in the group.
 */
export async function removeUserFromGroup(
  transport: DuoTransport,
  userId: string,
  groupId: string,
  signal?: AbortSignal,
): Promise<void> {
  const path = `/admin/v1/users/${encodeURIComponent(userId)}/groups/${encodeURIComponent(groupId)}`;
  await transport.delete(path, [], 'object', { signal });
}
