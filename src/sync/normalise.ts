/**
 * Turns Duo log records into normalised activity events: the columns duo-insights filters and
 * counts by, the natural key that makes every overlap harmless, and the original payload.
 *
 * Natural keys: authentication `txid`, telephony `telephony_id`, activity `activity_id`, Trust
 * Monitor `sv4_id` (at its surfaced time, which never changes: a re-read after triage updates the
 * stored event in place);
 * administrator and offline enrollment records have no id, so their key is the SHA-256 of the
 * record's canonical JSON (keys sorted), which is the same however often and through whichever
 * page the record is read. Byte-identical v1 records of one second (an admin repeating an
 * action, a directory sync) are told apart by their ordinal among them: see
 * `numberIdenticalRecords`. Factors (auth `factor`, telephony `type`) are stored under their one
 * name (`domain/factors.ts`): a telephony `sms` is an `sms_passcode`.
 *
 * @example normaliseRecord('authentication', authlog).naturalKey === authlog.txid
 */
import { createHash } from 'node:crypto';
import { factorName } from '../domain/factors.js';
import { ms, parseIsoMs, secondsToMs, seconds, type EpochMs } from '../domain/time.js';
import type { StreamName } from '../domain/streams.js';
import type {
  DuoActivityLog,
  DuoAdminLog,
  DuoAuthLog,
  DuoOfflineEnrollmentLog,
  DuoTelephonyLog,
  DuoTrustMonitorEvent,
} from '../duo/wire.js';
import type { NormalisedEvent } from '../domain/activity.js';

export type DuoLogRecord =
  | { stream: 'authentication'; record: DuoAuthLog }
  | { stream: 'administrator'; record: DuoAdminLog }
  | { stream: 'telephony'; record: DuoTelephonyLog }
  | { stream: 'offline_enrollment'; record: DuoOfflineEnrollmentLog }
  | { stream: 'activity'; record: DuoActivityLog }
  | { stream: 'trust_monitor'; record: DuoTrustMonitorEvent };

export class NormaliseError extends Error {
  override readonly name = 'NormaliseError';
}

/**
 * `text` is the record's JSON as Duo sent it (`DuoPage.texts`), kept as the payload; without
 * it the payload is the parsed record serialised again (same content, keys maybe reordered).
 */
export function normaliseRecord(input: DuoLogRecord, text?: string): NormalisedEvent {
  switch (input.stream) {
    case 'authentication':
      return normaliseAuth(input.record, text ?? JSON.stringify(input.record));
    case 'administrator':
    case 'offline_enrollment':
      return normaliseV1(input.record, text ?? JSON.stringify(input.record));
    case 'telephony':
      return normaliseTelephony(input.record, text ?? JSON.stringify(input.record));
    case 'activity':
      return normaliseActivity(input.record, text ?? JSON.stringify(input.record));
    case 'trust_monitor':
      return normaliseTrustMonitor(input.record, text ?? JSON.stringify(input.record));
  }
}

/** The stream a record came from decides its shape; this narrows an unknown-typed pair. */
export function normalise(stream: StreamName, record: unknown, text?: string): NormalisedEvent {
  return normaliseRecord({ stream, record } as DuoLogRecord, text);
}

function normaliseAuth(r: DuoAuthLog, payload: string): NormalisedEvent {
  const device = r.access_device ?? undefined;
  return compact<NormalisedEvent>({
    naturalKey: r.txid,
    tsMs: eventTime(r.isotimestamp, r.timestamp),
    userKey: r.user?.key ?? undefined,
    username: r.user?.name ?? undefined,
    result: r.result,
    reason: r.reason ?? undefined,
    factor: factorName(r.factor),
    application: r.application?.name ?? r.application?.key ?? undefined,
    location: formatLocation(device?.location ?? undefined),
    accessOs: joinWords(device?.os, device?.os_version),
    accessBrowser: joinWords(device?.browser, device?.browser_version),
    ip: device?.ip ?? undefined,
    txid: r.txid,
    payload,
  });
}

function normaliseV1(r: DuoAdminLog, payload: string): NormalisedEvent {
  return compact<NormalisedEvent>({
    naturalKey: canonicalHash(r),
    tsMs: secondsToMs(seconds(r.timestamp)),
    username: r.username ?? undefined,
    result: r.action,
    application: r.object ?? undefined,
    payload,
  });
}

function normaliseTelephony(r: DuoTelephonyLog, payload: string): NormalisedEvent {
  return compact<NormalisedEvent>({
    naturalKey: r.telephony_id,
    tsMs: isoOrThrow(r.ts, 'ts'),
    result: r.context ?? undefined,
    factor: factorName(r.type),
    txid: r.txid ?? undefined,
    payload,
  });
}

function normaliseActivity(r: DuoActivityLog, payload: string): NormalisedEvent {
  const action = typeof r.action === 'string' ? r.action : (r.action?.name ?? undefined);
  const actorType = r.actor?.type;
  const actorIsUser = actorType === undefined || actorType === null || actorType === 'user';
  return compact<NormalisedEvent>({
    naturalKey: r.activity_id,
    tsMs: isoOrThrow(r.ts, 'ts'),
    userKey: actorIsUser ? (r.actor?.key ?? undefined) : undefined,
    username: r.actor?.name ?? undefined,
    result: r.outcome?.result?.toLowerCase() ?? undefined,
    reason: action,
    application: r.application?.name ?? undefined,
    payload,
  });
}

/**
 * A Trust Monitor event: its triage state is the result (`new`, `processed`), its type the
 * reason (`auth`, `bypass_status`), so both filter and count like any stream's; the user is the
 * surfaced authentication's, or the one put in bypass; the rest comes from the surfaced
 * authentication (application, factor, where from).
 */
function normaliseTrustMonitor(r: DuoTrustMonitorEvent, payload: string): NormalisedEvent {
  const auth = r.surfaced_auth ?? undefined;
  const device = auth?.access_device ?? undefined;
  const user = auth?.user ?? r.enabled_for ?? undefined;
  return compact<NormalisedEvent>({
    naturalKey: r.sv4_id,
    tsMs: ms(r.surfaced_timestamp),
    userKey: user?.key ?? undefined,
    username: user?.name ?? undefined,
    result: r.state ?? undefined,
    reason: r.type,
    factor: factorName(auth?.factor),
    application: auth?.application?.name ?? auth?.application?.key ?? undefined,
    location: formatLocation(device?.location ?? undefined),
    ip: device?.ip ?? undefined,
    txid: auth?.txid ?? undefined,
    payload,
  });
}

function eventTime(iso: string | undefined, timestampSeconds: number): EpochMs {
  const fromIso = iso === undefined ? undefined : parseIsoMs(iso);
  return fromIso ?? secondsToMs(seconds(timestampSeconds));
}

function isoOrThrow(text: string, field: string): EpochMs {
  const parsed = parseIsoMs(text);
  if (parsed === undefined)
    throw new NormaliseError(`${field} is not an ISO timestamp: ${text.slice(0, 40)}`);
  return ms(parsed);
}

interface Location {
  readonly city?: string | null | undefined;
  readonly state?: string | null | undefined;
  readonly country?: string | null | undefined;
}

// These run for every record: joined without building arrays to filter and join.
function formatLocation(location: Location | undefined): string | undefined {
  if (!location) return undefined;
  return joinPresent(joinPresent(location.city, location.state, ', '), location.country, ', ');
}

function joinWords(a: string | null | undefined, b: string | null | undefined): string | undefined {
  return joinPresent(a, b, ' ');
}

/** `a`, `b` or both joined by `separator`, leaving out what is absent or empty. */
function joinPresent(
  a: string | null | undefined,
  b: string | null | undefined,
  separator: string,
): string | undefined {
  const hasA = typeof a === 'string' && a.length > 0;
  const hasB = typeof b === 'string' && b.length > 0;
  if (hasA && hasB) return `${a}${separator}${b}`;
  if (hasA) return a;
  return hasB ? b : undefined;
}

/**
 * The key of the `ordinal`-th (from 0) of the byte-identical v1 records of one second, in Duo's
 * order: the content hash for the first, which is the key every record alone has always had
 * (stored keys stay valid), then `<hash>-<ordinal>` for the copies after it.
 *
 * @example v1NaturalKey(record, 2) // '9f86d081884c7d659a2feaa0c55ad015-2'
 */
export function v1NaturalKey(record: unknown, ordinal: number): string {
  return withOrdinal(canonicalHash(record), ordinal);
}

function withOrdinal(hash: string, ordinal: number): string {
  return ordinal === 0 ? hash : `${hash}-${ordinal}`;
}

/**
 * Gives the byte-identical records of one v1 page distinct keys: each keeps its content hash
 * plus its ordinal among the records before it on the page with the same hash. Identical
 * records share their second (the timestamp is part of the content), and a v1 page always
 * begins with the first record of its first second (`mintime` is a whole second, inclusive, and
 * the next page restarts at the last second of the previous one, which it re-reads whole), so
 * counting from the page's start is counting from the second's start: a second split by a page
 * boundary, resumed after a crash or re-read by a later sync gets the same keys again.
 *
 * @example numberIdenticalRecords([a, a, b]).map((e) => e.naturalKey) // [ha, `${ha}-1`, hb]
 */
export function numberIdenticalRecords<E extends { readonly naturalKey: string }>(
  events: readonly E[],
): E[] {
  const seen = new Map<string, number>();
  return events.map((event) => {
    const ordinal = seen.get(event.naturalKey) ?? 0;
    seen.set(event.naturalKey, ordinal + 1);
    return ordinal === 0 ? event : { ...event, naturalKey: withOrdinal(event.naturalKey, ordinal) };
  });
}

/** Canonical JSON: object keys sorted at every depth, no whitespace. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function canonicalHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 32);
}

/** Drops undefined members so the result satisfies exactOptionalPropertyTypes. */
function compact<T extends object>(value: { [K in keyof T]: T[K] | undefined }): T {
  const out: Record<string, unknown> = {};
  // for…in, not Object.entries: no array of pairs per record.
  for (const k in value) {
    const v = value[k];
    if (v !== undefined) out[k] = v;
  }
  return out as T;
}
