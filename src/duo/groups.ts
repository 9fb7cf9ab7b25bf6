/**
 * Duo groups (entitlements) and their members. Needs "Grant read resource".
 *
 * @example for await (const page of readGroupMembers(transport, 'DG123', {}, signal)) link(page.records);
 */
import type { DuoPage, OffsetQuery } from './pages.js';
import { readOffsetPages } from './pages.js';
import type { DuoTransport } from './transport.js';
import { GroupMemberSchema, GroupSchema } from './wire.js';
import type { DuoGroup, DuoGroupMember } from './wire.js';

export const GROUPS_PAGE_LIMIT = 100;
export const GROUP_MEMBERS_PAGE_LIMIT = 500;

/** Every group, page by page (`/admin/v1/groups`, limit 100). */
export function readGroups(
  transport: DuoTransport,
  query: OffsetQuery = {},
  signal?: AbortSignal,
): AsyncGenerator<DuoPage<DuoGroup, number>> {
  return readOffsetPages(
    transport,
    {
      path: '/admin/v1/groups',
      family: 'objects_page',
      schema: GroupSchema,
      limit: GROUPS_PAGE_LIMIT,
    },
    query,
    signal,
  );
}

/** The members of one group (`/admin/v2/groups/:id/users`, limit 500): user_id and username. */
export function readGroupMembers(
  transport: DuoTransport,
  groupId: string,
  query: OffsetQuery = {},
  signal?: AbortSignal,
): AsyncGenerator<DuoPage<DuoGroupMember, number>> {
  return readOffsetPages(
    transport,
    {
      path: `/admin/v2/groups/${encodeURIComponent(groupId)}/users`,
      family: 'objects_page',
      schema: GroupMemberSchema,
      limit: GROUP_MEMBERS_PAGE_LIMIT,
    },
    query,
    signal,
  );
}
