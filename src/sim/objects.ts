/**
 * Users, groups, administrators and the info summary (reference/duo-admin-api.md §3, §4, §6):
 * offset paging with top-level metadata (`next_offset` only while more remain, `prev_offset`
 * after the first page, `total_objects` always), limits clamped as Duo does.
 *
 * @example usersPage(dataset, [['limit', '300'], ['offset', '0']])
 */
import type { DuoParams } from '../duo/signing.js';
import type { DuoGroup, DuoUser } from '../duo/wire.js';
import type { Dataset } from './dataset-types.js';
import { firstParam, limitParam, offsetParam } from './logs.js';
import {
  invalidParameter,
  listReply,
  notFound,
  okReply,
  ReplyError,
  type ListMetadata,
  type Reply,
} from './replies.js';

export function listMetadata(offset: number, limit: number, total: number): ListMetadata {
  return {
    ...(offset + limit < total ? { next_offset: offset + limit } : {}),
    ...(offset > 0 ? { prev_offset: Math.max(offset - limit, 0) } : {}),
    total_objects: total,
  };
}

/** A page of `total` items read one by one by position. */
function pageOf(
  params: DuoParams,
  maxLimit: number,
  total: number,
  itemAt: (position: number) => unknown,
): Reply {
  const limit = limitParam(params, 100, maxLimit);
  const offset = offsetParam(params);
  const records: unknown[] = [];
  for (let i = offset; i < Math.min(total, offset + limit); i++) records.push(itemAt(i));
  return listReply(records, listMetadata(offset, limit, total));
}

/** A lookup answered as a one-page list (username, email, id lists). */
function lookupList(records: unknown[]): Reply {
  return listReply(records, { total_objects: records.length });
}

/** `user_id_list` / `username_list`: a JSON array (as Duo's clients send), or repeated values. */
function listParam(params: DuoParams, name: string): string[] | undefined {
  const values = params.filter(([key]) => key === name).map(([, value]) => value);
  if (values.length === 0) return undefined;
  let list: unknown = values;
  if (values.length === 1 && values[0]?.trimStart().startsWith('[')) {
    try {
      list = JSON.parse(values[0]);
    } catch {
      throw new ReplyError(invalidParameter(name));
    }
  }
  if (!Array.isArray(list) || list.length > 100 || !list.every((v) => typeof v === 'string')) {
    throw new ReplyError(invalidParameter(name));
  }
  return list;
}

export function usersPage(dataset: Dataset, params: DuoParams): Reply {
  const userIds = listParam(params, 'user_id_list');
  const usernames = listParam(params, 'username_list');
  const username = firstParam(params, 'username');
  const email = firstParam(params, 'email');
  const selectors = [userIds, usernames, username, email].filter((s) => s !== undefined);
  if (selectors.length > 1) throw new ReplyError(invalidParameter('user_id_list'));
  if (userIds) return lookupList(present(userIds.map((id) => dataset.findUser(id))));
  if (usernames) return lookupList(present(usernames.map((n) => dataset.findUserByUsername(n))));
  if (username !== undefined) return lookupList(present([dataset.findUserByUsername(username)]));
  if (email !== undefined) return lookupList(present([findUserByEmail(dataset, email)]));
  return pageOf(params, 300, dataset.userCount(), (i) => dataset.userAt(i));
}

function present<T>(items: (T | undefined)[]): T[] {
  return items.filter((item): item is T => item !== undefined);
}

/** Tries the mailbox as a username first, then scans (rare in practice: one user per call). */
function findUserByEmail(dataset: Dataset, email: string): DuoUser | undefined {
  const wanted = email.toLowerCase();
  const guess = dataset.findUserByUsername(email.split('@')[0] ?? email);
  if (guess?.email?.toLowerCase() === wanted) return guess;
  for (let i = 0; i < dataset.userCount(); i++) {
    const user = dataset.userAt(i);
    if (user.email?.toLowerCase() === wanted) return user;
  }
  return undefined;
}

export function userReply(dataset: Dataset, userId: string): Reply {
  const user = dataset.findUser(userId);
  return user ? okReply(user) : notFound();
}

export function userGroupsPage(dataset: Dataset, userId: string, params: DuoParams): Reply {
  const user = dataset.findUser(userId);
  if (!user) return notFound();
  const groups: DuoGroup[] = (user.groups ?? []).map(
    (membership) => dataset.findGroup(membership.group_id) ?? membership,
  );
  return pageOf(params, 500, groups.length, (i) => groups[i]);
}

export function groupsPage(dataset: Dataset, params: DuoParams): Reply {
  const ids = listParam(params, 'group_id_list');
  if (ids) return lookupList(present(ids.map((id) => dataset.findGroup(id))));
  return pageOf(params, 100, dataset.groupCount(), (i) => dataset.groupAt(i));
}

export function groupReply(dataset: Dataset, groupId: string): Reply {
  const group = dataset.findGroup(groupId);
  return group ? okReply(group) : notFound();
}

export function groupMembersPage(dataset: Dataset, groupId: string, params: DuoParams): Reply {
  const limit = limitParam(params, 100, 500);
  const offset = offsetParam(params);
  const page = dataset.groupMembers(groupId, offset, limit);
  if (!page) return notFound();
  const records: unknown[] = [...page.members];
  return listReply(records, listMetadata(offset, limit, page.total));
}

export function adminsPage(dataset: Dataset, params: DuoParams): Reply {
  const admins = dataset.admins();
  return pageOf(params, 300, admins.length, (i) => admins[i]);
}

export function infoSummary(dataset: Dataset): Reply {
  return okReply({
    admin_count: dataset.admins().length,
    integration_count: 9,
    telephony_credits_remaining: 960,
    user_count: dataset.userCount(),
  });
}
