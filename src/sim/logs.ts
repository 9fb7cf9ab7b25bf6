/**
 * The log endpoints: v2 (authentication, telephony, activity) paged by `next_offset` over
 * (ts, key), v1 (administrator, offline enrollment) paged by `mintime` in seconds, and Trust
 * Monitor events over their surfaced time, paged by an opaque `offset`. Visibility: an event is served once it is older than
 * now − publishDelay, was published before that instant, and is at most 180 days old.
 *
 * @example v2LogPage('authentication', [['mintime', '…'], ['maxtime', '…']], context)
 */
import { DAY_MS, ms, type EpochMs } from '../domain/time.js';
import type { DuoParams } from '../duo/signing.js';
import type { Dataset, LogType, SimEvent } from './dataset-types.js';
import { TRUST_MONITOR_TYPES } from '../duo/wire.js';
import { invalidParameter, missingParameter, okReply, ReplyError, type Reply } from './replies.js';

export const RETENTION_MS = 180 * DAY_MS;
/** A `mintime` this much older than 180 days is still accepted (clients compute it a bit early). */
export const RETENTION_GRACE_MS = 5 * 60_000;
export const V1_PAGE_SIZE = 1000;

export type V2LogType = 'authentication' | 'telephony' | 'activity';
export type V1LogType = 'administrator' | 'offline_enrollment';

/** How a v1 page ends when its 1000th record falls inside a second that has more records:
 * `cut` (Duo's cap, the default) stops at 1000; `complete` finishes that second. */
export type V1LastSecond = 'complete' | 'cut';

export interface LogContext {
  readonly dataset: Dataset;
  readonly now: EpochMs;
  readonly publishDelayMs: number;
  /** Whether the last non-empty v2 page still carries `next_offset` (Duo's docs example does). */
  readonly lastPageNextOffset: boolean;
  readonly v1LastSecond: V1LastSecond;
}

interface Visibility {
  readonly oldest: EpochMs;
  readonly visibleAt: EpochMs;
}

export function visibility(now: EpochMs, publishDelayMs: number): Visibility {
  return { oldest: ms(now - RETENTION_MS), visibleAt: ms(now - publishDelayMs) };
}

function isVisible(event: SimEvent, v: Visibility): boolean {
  return event.ts >= v.oldest && event.ts <= v.visibleAt && event.publishedAt <= v.visibleAt;
}

/** Events visible now with `from <= ts <= to`, ascending by (ts, key). */
export function* visibleEvents(
  dataset: Dataset,
  type: LogType,
  from: EpochMs,
  to: EpochMs,
  v: Visibility,
): Generator<SimEvent> {
  const lo = Math.max(from, v.oldest);
  const hi = Math.min(to, v.visibleAt);
  if (lo > hi) return;
  for (const event of dataset.events(type, ms(lo), ms(hi))) {
    if (isVisible(event, v)) yield event;
  }
}

export function visibleCount(
  dataset: Dataset,
  type: LogType,
  from: EpochMs,
  to: EpochMs,
  v: Visibility,
): number {
  const lo = Math.max(from, v.oldest);
  const hi = Math.min(to, v.visibleAt);
  return lo > hi ? 0 : dataset.count(type, ms(lo), ms(hi), v.visibleAt);
}

// ---- parameters ---------------------------------------------------------------------------------

export function firstParam(params: DuoParams, name: string): string | undefined {
  return params.find(([key]) => key === name)?.[1];
}

function allParams(params: DuoParams, name: string): string[] {
  return params.filter(([key]) => key === name).map(([, value]) => value);
}

function requiredMs(params: DuoParams, name: string): EpochMs {
  const text = firstParam(params, name);
  if (text === undefined || text === '') throw new ReplyError(missingParameter(name));
  if (!/^\d{13}$/.test(text)) throw new ReplyError(invalidParameter(name));
  return ms(Number(text));
}

/** `limit`: a positive integer, clamped to `max` as Duo does; `fallback` when absent. */
export function limitParam(params: DuoParams, fallback: number, max: number): number {
  const text = firstParam(params, 'limit');
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new ReplyError(invalidParameter('limit'));
  return Math.min(Number(text), max);
}

export function offsetParam(params: DuoParams): number {
  const text = firstParam(params, 'offset');
  if (text === undefined || text === '') return 0;
  if (!/^\d+$/.test(text)) throw new ReplyError(invalidParameter('offset'));
  return Number(text);
}

interface Cursor {
  readonly ts: number;
  readonly key: string;
}

/** `next_offset` as one comma-joined value (Go, Node) or repeated `ts` then `key` (Python). */
function cursorParam(params: DuoParams): Cursor | undefined {
  const values = allParams(params, 'next_offset');
  if (values.length === 0) return undefined;
  const parts = values.length === 1 ? splitOnce(values[0] ?? '') : values;
  const [ts, key] = parts;
  if (parts.length !== 2 || ts === undefined || !/^\d{1,15}$/.test(ts) || !key) {
    throw new ReplyError(invalidParameter('next_offset'));
  }
  return { ts: Number(ts), key };
}

function splitOnce(text: string): string[] {
  const comma = text.indexOf(',');
  return comma < 0 ? [text] : [text.slice(0, comma), text.slice(comma + 1)];
}

function compareToCursor(event: SimEvent, cursor: Cursor): number {
  if (event.ts !== cursor.ts) return event.ts - cursor.ts;
  return event.key < cursor.key ? -1 : event.key > cursor.key ? 1 : 0;
}

// ---- v2 -----------------------------------------------------------------------------------------

export function v2LogPage(type: V2LogType, params: DuoParams, context: LogContext): Reply {
  const mintime = requiredMs(params, 'mintime');
  const maxtime = requiredMs(params, 'maxtime');
  if (mintime >= maxtime) throw new ReplyError(invalidParameter('mintime'));
  if (mintime < context.now - RETENTION_MS - RETENTION_GRACE_MS) {
    throw new ReplyError(invalidParameter('mintime'));
  }
  const limit = limitParam(params, 100, 1000);
  const sort = firstParam(params, 'sort') ?? 'ts:desc';
  if (sort !== 'ts:asc' && sort !== 'ts:desc') throw new ReplyError(invalidParameter('sort'));
  const cursor = cursorParam(params);

  const v = visibility(context.now, context.publishDelayMs);
  const total = visibleCount(context.dataset, type, mintime, maxtime, v);
  const found =
    sort === 'ts:asc'
      ? ascendingPage(context.dataset, type, mintime, maxtime, v, cursor, limit + 1)
      : descendingPage(context.dataset, type, mintime, maxtime, v, cursor, limit + 1);
  const page = found.slice(0, limit);
  const last = page.at(-1);
  const withOffset = last !== undefined && (found.length > limit || context.lastPageNextOffset);
  const records: unknown[] = page.map((event) => event.record);
  if (type === 'authentication') {
    const metadata = withOffset
      ? { next_offset: [String(last.ts), last.key], total_objects: total }
      : { total_objects: total };
    return okReply({ authlogs: records, metadata }, records);
  }
  const totalObjects = { relation: 'eq', value: total };
  const metadata = withOffset
    ? { next_offset: `${last.ts},${last.key}`, total_objects: totalObjects }
    : { total_objects: totalObjects };
  return okReply({ items: records, metadata }, records);
}

function ascendingPage(
  dataset: Dataset,
  type: LogType,
  mintime: EpochMs,
  maxtime: EpochMs,
  v: Visibility,
  cursor: Cursor | undefined,
  wanted: number,
): SimEvent[] {
  const out: SimEvent[] = [];
  const from = cursor ? ms(Math.max(mintime, cursor.ts)) : mintime;
  for (const event of visibleEvents(dataset, type, from, maxtime, v)) {
    if (cursor && compareToCursor(event, cursor) <= 0) continue;
    out.push(event);
    if (out.length >= wanted) break;
  }
  return out;
}

/**
 * The dataset streams ascending only, so a descending page walks back in windows, sized with
 * `count` so that no window materialises much more than a page.
 */
function descendingPage(
  dataset: Dataset,
  type: LogType,
  mintime: EpochMs,
  maxtime: EpochMs,
  v: Visibility,
  cursor: Cursor | undefined,
  wanted: number,
): SimEvent[] {
  const lo = Math.max(mintime, v.oldest);
  let top = Math.min(maxtime, v.visibleAt, cursor ? cursor.ts : Infinity);
  let width = 60_000;
  const out: SimEvent[] = [];
  while (out.length < wanted && top >= lo) {
    let bottom = Math.max(lo, top - width + 1);
    while (bottom < top && dataset.count(type, ms(bottom), ms(top), v.visibleAt) > 4 * wanted) {
      width = Math.max(1, Math.floor(width / 2));
      bottom = Math.max(lo, top - width + 1);
    }
    const chunk = [...visibleEvents(dataset, type, ms(bottom), ms(top), v)];
    for (let i = chunk.length - 1; i >= 0 && out.length < wanted; i--) {
      const event = chunk[i];
      if (event && (!cursor || compareToCursor(event, cursor) < 0)) out.push(event);
    }
    if (chunk.length < wanted) width *= 2;
    top = bottom - 1;
  }
  return out;
}

// ---- Trust Monitor ------------------------------------------------------------------------------

export const TRUST_MONITOR_DEFAULT_LIMIT = 50;
export const TRUST_MONITOR_MAX_LIMIT = 200;

/**
 * `/admin/v1/trust_monitor/events`: events with `mintime <= surfaced_timestamp <= maxtime` (both
 * required, ms), ascending by (surfaced time, sv4_id), `limit` up to 200 (default 50), optional
 * `type`. `metadata.next_offset` is an opaque string (the last event's position, base64url) sent
 * back as `offset`; only a page with more events after it carries one.
 */
export function trustMonitorPage(params: DuoParams, context: LogContext): Reply {
  const mintime = requiredMs(params, 'mintime');
  const maxtime = requiredMs(params, 'maxtime');
  if (mintime >= maxtime) throw new ReplyError(invalidParameter('mintime'));
  if (mintime < context.now - RETENTION_MS - RETENTION_GRACE_MS) {
    throw new ReplyError(invalidParameter('mintime'));
  }
  const limit = limitParam(params, TRUST_MONITOR_DEFAULT_LIMIT, TRUST_MONITOR_MAX_LIMIT);
  const type = firstParam(params, 'type');
  if (type !== undefined && !(TRUST_MONITOR_TYPES as readonly string[]).includes(type)) {
    throw new ReplyError(invalidParameter('type'));
  }
  const offset = trustMonitorOffset(params);
  const v = visibility(context.now, context.publishDelayMs);
  const from = offset ? ms(Math.max(mintime, offset.ts)) : mintime;
  const found: SimEvent[] = [];
  for (const event of visibleEvents(context.dataset, 'trust_monitor', from, maxtime, v)) {
    if (offset && compareToCursor(event, offset) <= 0) continue;
    if (type !== undefined && event.record.type !== type) continue;
    found.push(event);
    if (found.length > limit) break;
  }
  const page = found.slice(0, limit);
  const last = page.at(-1);
  const events: unknown[] = page.map((event) => event.record);
  const metadata =
    last !== undefined && found.length > limit
      ? { next_offset: Buffer.from(`${last.ts},${last.key}`).toString('base64url') }
      : {};
  return okReply({ events, metadata }, events);
}

function trustMonitorOffset(params: DuoParams): Cursor | undefined {
  const text = firstParam(params, 'offset');
  if (text === undefined || text === '') return undefined;
  const decoded = /^[A-Za-z0-9_-]+$/.test(text) ? Buffer.from(text, 'base64url').toString() : '';
  const [ts, key] = splitOnce(decoded);
  if (ts === undefined || !/^\d{13}$/.test(ts) || !key) {
    throw new ReplyError(invalidParameter('offset'));
  }
  return { ts: Number(ts), key };
}

// ---- v1 -----------------------------------------------------------------------------------------

/** v1 logs: records with `timestamp >= mintime` (seconds), ascending, the 1000 earliest. */
export function v1LogPage(type: V1LogType, params: DuoParams, context: LogContext): Reply {
  const text = firstParam(params, 'mintime') ?? '0';
  if (!/^\d{1,13}$/.test(text)) throw new ReplyError(invalidParameter('mintime'));
  const v = visibility(context.now, context.publishDelayMs);
  const from = Number(text) * 1000;
  const records: unknown[] = [];
  if (from <= v.visibleAt) {
    let lastSecond: number | undefined;
    for (const event of visibleEvents(context.dataset, type, ms(from), v.visibleAt, v)) {
      const second = Math.floor(event.ts / 1000);
      if (records.length >= V1_PAGE_SIZE) {
        if (context.v1LastSecond === 'cut' || second !== lastSecond) break;
      }
      records.push(event.record);
      lastSecond = second;
    }
  }
  return okReply(records, records);
}
