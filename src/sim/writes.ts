/**
 * The Admin API writes the simulator answers (change a user's status, take a user out of a
 * group), with Duo's checks, applied to the dataset's overlay so later reads see them. The
 * permission ("Grant write resource") is checked by the server before anything is looked up.
 *
 * @example updateUserReply(dataset, 'DU…', [['status', 'disabled']]) // the user after the change
 */
import type { DuoParams } from '../duo/signing.js';
import type { Dataset } from './dataset-types.js';
import { firstParam } from './logs.js';
import { invalidParameter, notFound, okReply, ReplyError, type Reply } from './replies.js';

/** The statuses `POST /admin/v1/users/[user_id]` accepts; "locked out" is not settable. */
export const SETTABLE_USER_STATUSES = ['active', 'bypass', 'disabled'] as const;

/**
 * `POST /admin/v1/users/[user_id]`: 404 for an unknown user; `status` one of active, bypass,
 * disabled (else 400 naming `status`); `active` on a locked-out user unlocks it. Answers the
 * user as `GET /admin/v1/users/[user_id]` would after the change.
 */
export function updateUserReply(dataset: Dataset, userId: string, params: DuoParams): Reply {
  if (!dataset.findUser(userId)) return notFound();
  const status = firstParam(params, 'status');
  if (status !== undefined) {
    if (!(SETTABLE_USER_STATUSES as readonly string[]).includes(status)) {
      throw new ReplyError(invalidParameter('status'));
    }
    dataset.setUserStatus(userId, status, null);
  }
  const user = dataset.findUser(userId);
  return user ? okReply(user) : notFound();
}

/**
 * `DELETE /admin/v1/users/[user_id]/groups/[group_id]`: 404 for an unknown user, 400 naming
 * `group_id` for a group that does not exist; OK (empty response) otherwise, also when the user
 * was not in the group.
 */
export function removeUserFromGroupReply(dataset: Dataset, userId: string, groupId: string): Reply {
  if (!dataset.findUser(userId)) return notFound();
  if (!dataset.findGroup(groupId)) throw new ReplyError(invalidParameter('group_id'));
  dataset.removeUserFromGroup(userId, groupId);
  return okReply('');
}

/**
 * The parameters of a write: the query (DELETE), a form body (v2 POST) or a JSON object body
 * (v5 POST; its values as strings). A body that is neither is a 400.
 */
export function bodyParams(contentType: string, body: Buffer): DuoParams {
  if (body.length === 0) return [];
  const text = body.toString('utf8');
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    return [...new URLSearchParams(text)];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ReplyError(invalidParameter('body'));
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ReplyError(invalidParameter('body'));
  }
  const pairs: [string, string][] = [];
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === 'string') pairs.push([key, value]);
    else if (typeof value === 'number' || typeof value === 'boolean')
      pairs.push([key, String(value)]);
    else throw new ReplyError(invalidParameter(key));
  }
  return pairs;
}
