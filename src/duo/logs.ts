/**
 * Duo's log endpoints as async iterables of pages. All need "Grant read log".
 *
 * v2 (authentication, telephony, activity): a fixed window `[mintime, maxtime]` in milliseconds,
 * `limit=1000`, `sort=ts:asc`, paged by Duo's opaque `next_offset` (sent back comma-joined); it
 * ends at an empty page or a page without `next_offset`. A page's `next` is that `next_offset`
 * ("ms,id"), which resumes the same window.
 *
 * Trust Monitor (`/admin/v1/trust_monitor/events`): a fixed window over the events' surfaced time
 * in milliseconds, `limit=200` (Duo's maximum), paged by an opaque `metadata.next_offset` sent
 * back as `offset`; it ends at an empty page or a page without `next_offset`. No total is sent.
 *
 * v1 (administrator, offline enrollment): `mintime` in seconds, inclusive, the 1000 earliest
 * records. Fewer than 1000: done. Otherwise the next `mintime` is the page's latest second (its
 * records come again; the sync layer dedupes), or that second + 1 when all 1000 share one second,
 * which may lose records and is said in the page's warnings.
 *
 * @example for await (const page of readAuthLogs(transport, { mintime, maxtime }, signal)) save(page);
 */
import type { z } from 'zod';
import type { EpochMs, EpochSec } from '../domain/time.js';
import { seconds } from '../domain/time.js';
import { badResponse } from './errors.js';
import type { EndpointFamily } from './governor.js';
import type { DuoPage } from './pages.js';
import { describeIssues, validateRecords } from './pages.js';
import { recordTexts } from './record-text.js';
import type { DuoTransport } from './transport.js';
import {
  ActivityLogSchema,
  AdminLogSchema,
  AuthLogPageSchema,
  ItemsPageSchema,
  OfflineEnrollmentLogSchema,
  TelephonyLogSchema,
  TrustMonitorEventSchema,
  TrustMonitorPageSchema,
} from './wire.js';
import type {
  DuoActivityLog,
  DuoAdminLog,
  DuoAuthLog,
  DuoOfflineEnrollmentLog,
  DuoTelephonyLog,
  DuoTrustMonitorEvent,
  LogMetadata,
} from './wire.js';
import { AuthLogSchema } from './wire.js';

/** Duo's page maximum for every log endpoint. */
export const LOG_PAGE_LIMIT = 1000;

/**
 * A v2 log window. Keep `mintime`/`maxtime` identical while paging one window; resume it with the
 * last committed page's `next` as `nextOffset`.
 *
 * @example { mintime: ms(1700000000000), maxtime: ms(1700086400000), nextOffset: '1700000012345,abc' }
 */
export interface V2LogQuery {
  readonly mintime: EpochMs;
  readonly maxtime: EpochMs;
  /** Duo's `next_offset` ("ms,id") to resume after; absent to start the window. */
  readonly nextOffset?: string | undefined;
  readonly limit?: number;
}

/** A v1 log read: every record at `mintime` (seconds, inclusive) or later. */
export interface V1LogQuery {
  readonly mintime: EpochSec;
}

interface V2Spec<S extends z.ZodType> {
  readonly path: string;
  readonly family: EndpointFamily;
  readonly recordsKey: 'authlogs' | 'items';
  readonly schema: S;
}

const AUTH_SPEC: V2Spec<typeof AuthLogSchema> = {
  path: '/admin/v2/logs/authentication',
  family: 'logs_authentication',
  recordsKey: 'authlogs',
  schema: AuthLogSchema,
};
const TELEPHONY_SPEC: V2Spec<typeof TelephonyLogSchema> = {
  path: '/admin/v2/logs/telephony',
  family: 'logs_telephony',
  recordsKey: 'items',
  schema: TelephonyLogSchema,
};
const ACTIVITY_SPEC: V2Spec<typeof ActivityLogSchema> = {
  path: '/admin/v2/logs/activity',
  family: 'logs_activity',
  recordsKey: 'items',
  schema: ActivityLogSchema,
};

export function readAuthLogs(
  transport: DuoTransport,
  query: V2LogQuery,
  signal?: AbortSignal,
): AsyncGenerator<DuoPage<DuoAuthLog, string>> {
  return readV2Log(transport, AUTH_SPEC, query, signal);
}

export function readTelephonyLogs(
  transport: DuoTransport,
  query: V2LogQuery,
  signal?: AbortSignal,
): AsyncGenerator<DuoPage<DuoTelephonyLog, string>> {
  return readV2Log(transport, TELEPHONY_SPEC, query, signal);
}

export function readActivityLogs(
  transport: DuoTransport,
  query: V2LogQuery,
  signal?: AbortSignal,
): AsyncGenerator<DuoPage<DuoActivityLog, string>> {
  return readV2Log(transport, ACTIVITY_SPEC, query, signal);
}

/** The v2 request parameters of one page. */
export function v2LogParams(query: V2LogQuery): [string, string][] {
  if (!(query.mintime < query.maxtime)) {
    throw new RangeError(`mintime ${query.mintime} must be before maxtime ${query.maxtime}`);
  }
  return [
    ['mintime', String(query.mintime)],
    ['maxtime', String(query.maxtime)],
    ['limit', String(query.limit ?? LOG_PAGE_LIMIT)],
    ['sort', 'ts:asc'],
    ...(query.nextOffset === undefined
      ? []
      : [['next_offset', query.nextOffset] as [string, string]]),
  ];
}

async function* readV2Log<S extends z.ZodType>(
  transport: DuoTransport,
  spec: V2Spec<S>,
  query: V2LogQuery,
  signal: AbortSignal | undefined,
): AsyncGenerator<DuoPage<z.output<S>, string>> {
  let nextOffset = query.nextOffset;
  for (;;) {
    const answer = await transport.get(
      spec.path,
      v2LogParams({ ...query, nextOffset }),
      spec.family,
      { signal },
    );
    const page = parseV2Page(spec, answer.response);
    const next = page.raw.length === 0 ? undefined : joinNextOffset(page.metadata?.next_offset);
    if (next !== undefined && next === nextOffset) {
      throw badResponse(spec.path, `next_offset ${next} repeats the one sent, paging would loop`);
    }
    const { records, rejected, texts } = validateRecords(
      spec.schema,
      page.raw,
      textsOf(answer.text, ['response', spec.recordsKey], page.raw),
    );
    yield {
      records,
      rejected,
      ...(texts === undefined ? {} : { texts }),
      next,
      ...(page.total === undefined
        ? {}
        : { totalObjects: page.total.value, totalObjectsExact: page.total.exact }),
      warnings: [],
    };
    if (next === undefined) return;
    nextOffset = next;
  }
}

function parseV2Page(
  spec: V2Spec<z.ZodType>,
  response: unknown,
): { raw: unknown[]; metadata: LogMetadata | null | undefined; total: LogTotal | undefined } {
  if (spec.recordsKey === 'authlogs') {
    const parsed = AuthLogPageSchema.safeParse(response);
    if (!parsed.success) throw badResponse(spec.path, describeIssues(parsed.error));
    return {
      raw: parsed.data.authlogs,
      metadata: parsed.data.metadata,
      total: totalOf(parsed.data.metadata),
    };
  }
  const parsed = ItemsPageSchema.safeParse(response);
  if (!parsed.success) throw badResponse(spec.path, describeIssues(parsed.error));
  return {
    raw: parsed.data.items,
    metadata: parsed.data.metadata,
    total: totalOf(parsed.data.metadata),
  };
}

/** `total_objects` of a v2 log query: its value, and whether Duo says it is exact. */
interface LogTotal {
  readonly value: number;
  readonly exact: boolean;
}

function totalOf(metadata: LogMetadata | null | undefined): LogTotal | undefined {
  const total = metadata?.total_objects;
  if (total === null || total === undefined) return undefined;
  if (typeof total === 'number') return { value: total, exact: true };
  return { value: total.value, exact: total.relation === 'eq' };
}

/** `["ms","txid"]` → `"ms,txid"`; a string stays; absent, null or empty → undefined. */
export function joinNextOffset(
  value: readonly (string | number)[] | string | null | undefined,
): string | undefined {
  if (value === null || value === undefined) return undefined;
  const joined = typeof value === 'string' ? value : value.map(String).join(',');
  return joined === '' ? undefined : joined;
}

// ---- Trust Monitor ------------------------------------------------------------------------------

/** Duo's page maximum for Trust Monitor events (its default is 50). */
export const TRUST_MONITOR_PAGE_LIMIT = 200;
const TRUST_MONITOR_PATH = '/admin/v1/trust_monitor/events';

/** A Trust Monitor window; `nextOffset` is Duo's opaque `next_offset`, sent back as `offset`. */
export interface TrustMonitorQuery extends V2LogQuery {
  /** Duo's `type` filter: one of `TRUST_MONITOR_TYPES`; absent for every type. */
  readonly type?: string | undefined;
}

/** The request parameters of one Trust Monitor page. */
export function trustMonitorParams(query: TrustMonitorQuery): [string, string][] {
  if (!(query.mintime < query.maxtime)) {
    throw new RangeError(`mintime ${query.mintime} must be before maxtime ${query.maxtime}`);
  }
  return [
    ['mintime', String(query.mintime)],
    ['maxtime', String(query.maxtime)],
    ['limit', String(query.limit ?? TRUST_MONITOR_PAGE_LIMIT)],
    ...(query.nextOffset === undefined ? [] : [['offset', query.nextOffset] as [string, string]]),
    ...(query.type === undefined ? [] : [['type', query.type] as [string, string]]),
  ];
}

/**
 * `/admin/v1/trust_monitor/events` as pages; a page's `next` is Duo's `next_offset` (a string,
 * whatever Duo puts in it), which resumes the same window.
 *
 * @example for await (const page of readTrustMonitorEvents(transport, { mintime, maxtime })) save(page);
 */
export async function* readTrustMonitorEvents(
  transport: DuoTransport,
  query: TrustMonitorQuery,
  signal?: AbortSignal,
): AsyncGenerator<DuoPage<DuoTrustMonitorEvent, string>> {
  let nextOffset = query.nextOffset;
  for (;;) {
    const answer = await transport.get(
      TRUST_MONITOR_PATH,
      trustMonitorParams({ ...query, nextOffset }),
      'logs_trust_monitor',
      { signal },
    );
    const parsed = TrustMonitorPageSchema.safeParse(answer.response);
    if (!parsed.success) throw badResponse(TRUST_MONITOR_PATH, describeIssues(parsed.error));
    const raw = parsed.data.events;
    const offset = parsed.data.metadata?.next_offset;
    const next =
      raw.length === 0 || offset === null || offset === undefined || offset === ''
        ? undefined
        : String(offset);
    if (next !== undefined && next === nextOffset) {
      throw badResponse(
        TRUST_MONITOR_PATH,
        `next_offset ${next} repeats the one sent, paging would loop`,
      );
    }
    const { records, rejected } = validateRecords(TrustMonitorEventSchema, raw);
    yield { records, rejected, next, warnings: [] };
    if (next === undefined) return;
    nextOffset = next;
  }
}

// ---- v1 -----------------------------------------------------------------------------------------

interface V1Spec<S extends z.ZodType> {
  readonly path: string;
  readonly family: EndpointFamily;
  readonly schema: S;
}

const ADMINISTRATOR_SPEC: V1Spec<typeof AdminLogSchema> = {
  path: '/admin/v1/logs/administrator',
  family: 'logs_administrator',
  schema: AdminLogSchema,
};
const OFFLINE_SPEC: V1Spec<typeof OfflineEnrollmentLogSchema> = {
  path: '/admin/v1/logs/offline_enrollment',
  family: 'logs_offline',
  schema: OfflineEnrollmentLogSchema,
};

export function readAdministratorLogs(
  transport: DuoTransport,
  query: V1LogQuery,
  signal?: AbortSignal,
): AsyncGenerator<DuoPage<DuoAdminLog, EpochSec>> {
  return readV1Log(transport, ADMINISTRATOR_SPEC, query, signal);
}

export function readOfflineEnrollmentLogs(
  transport: DuoTransport,
  query: V1LogQuery,
  signal?: AbortSignal,
): AsyncGenerator<DuoPage<DuoOfflineEnrollmentLog, EpochSec>> {
  return readV1Log(transport, OFFLINE_SPEC, query, signal);
}

async function* readV1Log<S extends z.ZodType>(
  transport: DuoTransport,
  spec: V1Spec<S>,
  query: V1LogQuery,
  signal: AbortSignal | undefined,
): AsyncGenerator<DuoPage<z.output<S>, EpochSec>> {
  let mintime = query.mintime;
  for (;;) {
    const answer = await transport.get(spec.path, [['mintime', String(mintime)]], spec.family, {
      signal,
    });
    const raw = answer.response;
    if (!Array.isArray(raw)) throw badResponse(spec.path, '`response` is not a list');
    const { records, rejected, texts } = validateRecords(
      spec.schema,
      raw,
      textsOf(answer.text, ['response'], raw),
    );
    // Timestamps of rejected records count too: paging must not depend on their other fields.
    const timestamps = raw.flatMap((item: unknown) => {
      const timestamp = isRecord(item) ? item.timestamp : undefined;
      return typeof timestamp === 'number' && Number.isSafeInteger(timestamp) ? [timestamp] : [];
    });
    if (raw.length >= LOG_PAGE_LIMIT && timestamps.length === 0) {
      throw badResponse(spec.path, 'a full page without any timestamp, paging cannot go on');
    }
    const step = nextV1Mintime(mintime, raw.length, timestamps);
    yield {
      records,
      rejected,
      ...(texts === undefined ? {} : { texts }),
      next: step.next,
      warnings: step.warnings,
    };
    if (step.next === undefined) return;
    mintime = step.next;
  }
}

/**
 * Each raw record's own text in the body, or undefined (payloads are then serialised from the
 * parsed records) when the body's records cannot be told apart: never expected of a body
 * `JSON.parse` read, but a page is never lost over it.
 */
function textsOf(
  body: string,
  path: readonly string[],
  raw: readonly unknown[],
): string[] | undefined {
  try {
    const texts = recordTexts(body, path);
    return texts?.length === raw.length ? texts : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * The v1 paging rule (reference/duo-admin-api.md §5.2): fewer than 1000 records → done; else
 * the latest second (inclusive restart), or +1 s when the whole page shares one second.
 *
 * @example nextV1Mintime(seconds(100), 1000, [100, 101, 105]) // { next: 105, warnings: [] }
 */
export function nextV1Mintime(
  mintime: EpochSec,
  pageSize: number,
  timestamps: readonly number[],
): { next: EpochSec | undefined; warnings: string[] } {
  if (pageSize < LOG_PAGE_LIMIT) return { next: undefined, warnings: [] };
  const latest = Math.max(mintime, ...timestamps);
  const earliest = Math.min(...timestamps);
  if (latest > earliest && latest > mintime) return { next: seconds(latest), warnings: [] };
  return {
    next: seconds(latest + 1),
    warnings: [
      `possible loss: ${pageSize} records share the second ${latest} (${new Date(latest * 1000).toISOString()}); Duo returns at most ${LOG_PAGE_LIMIT} per request, so records of that second beyond them may be missing`,
    ],
  };
}
