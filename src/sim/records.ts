/**
 * Log records as the simulator handles them: wire records (validated with duo/wire.ts) turned
 * into `SimEvent`s for injection, the natural key of each log type, and canonical JSON, the
 * identity of administrator and offline-enrollment records (they carry no id).
 *
 * @example simEventFromRecord('telephony', { telephony_id: 't1', ts: '2024-…', … })
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { ms, parseIsoMs, secondsToMs, seconds, type EpochMs } from '../domain/time.js';
import {
  ActivityLogSchema,
  AdminLogSchema,
  AuthLogSchema,
  OfflineEnrollmentLogSchema,
  TelephonyLogSchema,
  TrustMonitorEventSchema,
} from '../duo/wire.js';
import type { LogType, SimEvent } from './dataset-types.js';

/** JSON with object keys sorted at every depth: `{"a":1,"b":[{"c":2}]}`. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

/** v1 logs (no id on the wire) are identified by their whole canonical record. */
export function isV1Log(type: LogType): boolean {
  return type === 'administrator' || type === 'offline_enrollment';
}

/**
 * What a sync must deduplicate by: txid, telephony_id, activity_id, sv4_id; for v1 logs the canonical
 * JSON of the record.
 */
export function naturalKeyOf(event: SimEvent): string {
  return isV1Log(event.type) ? canonicalJson(event.record) : event.key;
}

const SCHEMAS: Record<LogType, z.ZodType<Record<string, unknown>>> = {
  authentication: AuthLogSchema,
  administrator: AdminLogSchema,
  telephony: TelephonyLogSchema,
  offline_enrollment: OfflineEnrollmentLogSchema,
  activity: ActivityLogSchema,
  trust_monitor: TrustMonitorEventSchema,
};

/**
 * Turns a wire record into an event: validates it with the type's schema, reads its time
 * (`isotimestamp` or `timestamp` for authentication, `ts` for telephony and activity,
 * `surfaced_timestamp` for Trust Monitor,
 * `timestamp` seconds for v1 logs) and its key. `publishedAt` defaults to the event time.
 */
export function simEventFromRecord(type: LogType, input: unknown, publishedAt?: EpochMs): SimEvent {
  const parsed = SCHEMAS[type].safeParse(input);
  if (!parsed.success) {
    throw new TypeError(`not a ${type} log record: ${parsed.error.issues[0]?.message ?? ''}`);
  }
  const record = input as Record<string, unknown>;
  const { ts, key } = timeAndKey(type, record);
  return { type, ts, key, publishedAt: publishedAt ?? ts, record };
}

/**
 * Records injected together, in order. Byte-identical v1 records in one batch stay separate
 * events, as Duo logs an admin repeating an action in one second: the copies after the first get
 * the key `<hash>-<n>`, so injecting the same batch again replaces them instead of adding more.
 *
 * @example simEventsFromRecords('administrator', [record, record]).length // 2
 */
export function simEventsFromRecords(
  type: LogType,
  inputs: readonly unknown[],
  publishedAt?: EpochMs,
): SimEvent[] {
  const seen = new Map<string, number>();
  return inputs.map((input) => {
    const event = simEventFromRecord(type, input, publishedAt);
    if (!isV1Log(type)) return event;
    const copy = seen.get(event.key) ?? 0;
    seen.set(event.key, copy + 1);
    return copy === 0 ? event : { ...event, key: `${event.key}-${copy}` };
  });
}

function timeAndKey(type: LogType, record: Record<string, unknown>): { ts: EpochMs; key: string } {
  switch (type) {
    case 'authentication': {
      const iso =
        typeof record.isotimestamp === 'string' ? parseIsoMs(record.isotimestamp) : undefined;
      return {
        ts: iso ?? secondsToMs(seconds(Number(record.timestamp))),
        key: String(record.txid),
      };
    }
    case 'telephony':
      return { ts: isoTime(record.ts), key: String(record.telephony_id) };
    case 'activity':
      return { ts: isoTime(record.ts), key: String(record.activity_id) };
    case 'trust_monitor':
      return { ts: ms(Number(record.surfaced_timestamp)), key: String(record.sv4_id) };
    case 'administrator':
    case 'offline_enrollment':
      return {
        ts: secondsToMs(seconds(Number(record.timestamp))),
        key: createHash('sha256').update(canonicalJson(record)).digest('hex').slice(0, 32),
      };
  }
}

function isoTime(value: unknown): EpochMs {
  const parsed = typeof value === 'string' ? parseIsoMs(value) : undefined;
  if (parsed === undefined) throw new TypeError(`not an ISO timestamp: ${String(value)}`);
  return ms(parsed);
}
