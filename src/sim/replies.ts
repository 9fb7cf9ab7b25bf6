/**
 * What the simulated Duo answers: the `{"stat":"OK"}` / `{"stat":"FAIL"}` envelopes with the codes
 * Duo uses (reference/duo-admin-api.md §2.1–2.2), the Admin API permissions and the endpoint
 * families that rate limits are counted in.
 *
 * @example failReply(400, 40002, 'Invalid request parameters', 'mintime')
 */

/**
 * Admin API application permissions: read log, read resource, read information, administrators,
 * write resource ("Grant write resource": change users and group memberships).
 */
export const PERMISSIONS = [
  'read_log',
  'read_resource',
  'read_info',
  'admins',
  'write_resource',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Rate limits are counted per (integration key, family), the families Duo's client uses. */
export { ENDPOINT_FAMILIES, type EndpointFamily } from '../duo/wire.js';

/** One answer before it is written: status, JSON body, and the page's records (for faults). */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
  /** The array of records inside `body`, which the `bad_record` fault may corrupt in place. */
  readonly records?: unknown[];
}

/** Top-level paging metadata of list endpoints (users, groups, members, admins). */
export interface ListMetadata {
  readonly total_objects: number;
  readonly next_offset?: number;
  readonly prev_offset?: number;
}

export function okReply(response: unknown, records?: unknown[]): Reply {
  const body = { stat: 'OK', response };
  return records ? { status: 200, body, records } : { status: 200, body };
}

export function listReply(records: unknown[], metadata: ListMetadata): Reply {
  return { status: 200, body: { stat: 'OK', response: records, metadata }, records };
}

export interface FailBody {
  readonly stat: 'FAIL';
  readonly code: number;
  readonly message: string;
  readonly message_detail?: string;
}

export function failReply(status: number, code: number, message: string, detail?: string): Reply {
  const body: FailBody =
    detail === undefined
      ? { stat: 'FAIL', code, message }
      : { stat: 'FAIL', code, message, message_detail: detail };
  return { status, body };
}

export const missingCredentials = (): Reply => failReply(401, 40101, 'Missing request credentials');
export const unknownIkey = (): Reply =>
  failReply(401, 40102, 'Invalid integration key in request credentials');
export const badSignature = (): Reply =>
  failReply(401, 40103, 'Invalid signature in request credentials');
export const forbidden = (): Reply => failReply(403, 40301, 'Access forbidden');
export const notFound = (): Reply => failReply(404, 40401, 'Resource not found');
export const tooManyRequests = (): Reply => failReply(429, 42901, 'Too Many Requests');
export const invalidParameter = (name: string): Reply =>
  failReply(400, 40002, 'Invalid request parameters', name);
export const missingParameter = (name: string): Reply =>
  failReply(400, 40001, 'Missing required request parameters', name);

/** Thrown by parameter parsers; the server turns it into its reply. */
export class ReplyError extends Error {
  readonly reply: Reply;
  constructor(reply: Reply) {
    super(`simulated Duo failure ${reply.status}`);
    this.reply = reply;
  }
}
