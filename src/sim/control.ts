/**
 * The control API under `/_sim/` (no Duo auth, plain JSON): ground truth for tests, injected
 * (late) events, user changes, faults, the request log, the clock and credentials.
 *
 * @example GET /_sim/truth/authentication?mintime=…&maxtime=…&keys=1 → { count, keys }
 */
import { z } from 'zod';
import { ms, type EpochMs } from '../domain/time.js';
import type { Credential } from './auth.js';
import type { SimClock } from './clock.js';
import { LOG_TYPES, type Dataset, type LogType } from './dataset-types.js';
import { FaultSpecSchema, type FaultBook } from './faults.js';
import { visibility, visibleCount, visibleEvents } from './logs.js';
import { naturalKeyOf, simEventsFromRecords } from './records.js';
import { PERMISSIONS } from './replies.js';
import type { RequestLog } from './request-log.js';

export interface ControlState {
  readonly dataset: Dataset;
  readonly clock: SimClock;
  readonly publishDelayMs: number;
  readonly faults: FaultBook;
  readonly requests: RequestLog;
  readonly credentials: Map<string, Credential>;
}

export interface ControlReply {
  readonly status: number;
  readonly body: unknown;
}

const ok = (body: unknown): ControlReply => ({ status: 200, body });
const problem = (status: number, message: string): ControlReply => ({
  status,
  body: { error: { code: status === 404 ? 'not_found' : 'invalid_request', message } },
});

const InjectSchema = z.strictObject({
  type: z.enum(LOG_TYPES),
  records: z.array(z.unknown()).min(1),
  publishedAt: z.number().int().positive().optional(),
});
const StatusSchema = z.strictObject({
  status: z.string().min(1),
  lockout_reason: z.string().nullable().optional(),
});
const AdvanceSchema = z.strictObject({ advanceMs: z.number().int().nonnegative() });
const CredentialSchema = z.strictObject({
  ikey: z.string().min(1),
  skey: z.string().min(1).optional(),
  permissions: z.array(z.enum(PERMISSIONS)).optional(),
});

/** Answers one control request; `body` is the parsed JSON body (undefined when none). */
export function handleControl(
  state: ControlState,
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
): ControlReply {
  const route = `${method} ${path.replace(/\/+$/, '')}`;
  let match: RegExpExecArray | null;
  if (route === 'GET /_sim/truth/users') return truthUsers(state.dataset, query);
  if (route === 'GET /_sim/truth/groups') return truthGroups(state.dataset);
  if ((match = /^GET \/_sim\/truth\/([a-z_]+)$/.exec(route))) {
    const type = LOG_TYPES.find((t) => t === match?.[1]);
    return type ? truthLogs(state, type, query) : problem(404, `unknown log type ${match[1]}`);
  }
  if ((match = /^POST \/_sim\/users\/([^/]+)\/(delete|status)$/.exec(route))) {
    return changeUser(state.dataset, decodeURIComponent(match[1] ?? ''), match[2] ?? '', body);
  }
  switch (route) {
    case 'POST /_sim/events':
      return injectEvents(state.dataset, body);
    case 'GET /_sim/faults':
      return ok({ faults: state.faults.list() });
    case 'POST /_sim/faults': {
      const parsed = FaultSpecSchema.safeParse(body);
      if (!parsed.success) return problem(400, z.prettifyError(parsed.error));
      return ok({ fault: state.faults.add(parsed.data) });
    }
    case 'DELETE /_sim/faults':
      state.faults.clear();
      return ok({ faults: [] });
    case 'GET /_sim/requests':
      return ok({ requests: state.requests.entries() });
    case 'DELETE /_sim/requests':
      state.requests.clear();
      return ok({ requests: [] });
    case 'GET /_sim/clock':
      return ok(state.clock.describe());
    case 'POST /_sim/clock': {
      const parsed = AdvanceSchema.safeParse(body);
      if (!parsed.success) return problem(400, z.prettifyError(parsed.error));
      state.clock.advance(parsed.data.advanceMs);
      return ok(state.clock.describe());
    }
    case 'POST /_sim/credentials':
      return setCredential(state.credentials, body);
    default:
      return problem(404, `no control route ${route}`);
  }
}

function timeParam(query: URLSearchParams, name: string, fallback: EpochMs): EpochMs | undefined {
  const text = query.get(name);
  if (text === null || text === '') return fallback;
  return /^\d{1,15}$/.test(text) ? ms(Number(text)) : undefined;
}

function truthLogs(state: ControlState, type: LogType, query: URLSearchParams): ControlReply {
  const v = visibility(state.clock.now(), state.publishDelayMs);
  const mintime = timeParam(query, 'mintime', v.oldest);
  const maxtime = timeParam(query, 'maxtime', v.visibleAt);
  if (mintime === undefined || maxtime === undefined) {
    return problem(400, 'mintime and maxtime are epoch milliseconds');
  }
  const count = visibleCount(state.dataset, type, mintime, maxtime, v);
  const wantKeys = query.get('keys') === '1' || query.get('keys') === 'true';
  const keys = wantKeys
    ? Array.from(visibleEvents(state.dataset, type, mintime, maxtime, v), naturalKeyOf)
    : undefined;
  return ok({ type, mintime, maxtime, visibleAt: v.visibleAt, count, ...(keys ? { keys } : {}) });
}

function truthUsers(dataset: Dataset, query: URLSearchParams): ControlReply {
  const offset = Number(query.get('offset') ?? '0');
  const limit = Number(query.get('limit') ?? '10000');
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(limit) || limit < 1) {
    return problem(400, 'offset and limit are whole numbers');
  }
  const total = dataset.userCount();
  const users = [];
  for (let i = offset; i < Math.min(total, offset + limit); i++) {
    const user = dataset.userAt(i);
    users.push({
      user_id: user.user_id,
      username: user.username,
      email: user.email ?? null,
      status: user.status,
      group_ids: (user.groups ?? []).map((g) => g.group_id),
    });
  }
  return ok({ users, total, ...(offset + limit < total ? { next_offset: offset + limit } : {}) });
}

function truthGroups(dataset: Dataset): ControlReply {
  const groups = [];
  for (let i = 0; i < dataset.groupCount(); i++) {
    const group = dataset.groupAt(i);
    groups.push({
      group_id: group.group_id,
      name: group.name,
      member_count: dataset.groupMembers(group.group_id, 0, 1)?.total ?? 0,
    });
  }
  return ok({ groups, total: groups.length });
}

function injectEvents(dataset: Dataset, body: unknown): ControlReply {
  const parsed = InjectSchema.safeParse(body);
  if (!parsed.success) return problem(400, z.prettifyError(parsed.error));
  const { type, records, publishedAt } = parsed.data;
  try {
    const events = simEventsFromRecords(
      type,
      records,
      publishedAt === undefined ? undefined : ms(publishedAt),
    );
    dataset.inject(events);
    return ok({ injected: events.length, keys: events.map(naturalKeyOf) });
  } catch (error) {
    return problem(400, error instanceof Error ? error.message : String(error));
  }
}

function changeUser(dataset: Dataset, userId: string, action: string, body: unknown): ControlReply {
  if (action === 'delete') {
    return dataset.deleteUser(userId) ? ok({ deleted: userId }) : problem(404, `no user ${userId}`);
  }
  const parsed = StatusSchema.safeParse(body);
  if (!parsed.success) return problem(400, z.prettifyError(parsed.error));
  const { status, lockout_reason: reason } = parsed.data;
  return dataset.setUserStatus(userId, status, reason)
    ? ok({ user: dataset.findUser(userId) })
    : problem(404, `no user ${userId}`);
}

function setCredential(credentials: Map<string, Credential>, body: unknown): ControlReply {
  const parsed = CredentialSchema.safeParse(body);
  if (!parsed.success) return problem(400, z.prettifyError(parsed.error));
  const { ikey, skey, permissions } = parsed.data;
  const existing = credentials.get(ikey);
  const secret = skey ?? existing?.skey;
  if (secret === undefined) return problem(400, `a new integration key ${ikey} needs an skey`);
  credentials.set(ikey, {
    ikey,
    skey: secret,
    permissions: new Set(permissions ?? existing?.permissions ?? PERMISSIONS),
  });
  return ok({ ikey, permissions: [...(credentials.get(ikey)?.permissions ?? [])] });
}
