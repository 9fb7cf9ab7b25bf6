/**
 * What a destination receives for one stored event: a normalised record with a stable event id
 * (a SHA-256 of the event's identity: source, stream, time and natural key), so a receiver can
 * drop the repeats that at-least-once delivery may send, and the original Duo record.
 *
 * @example forwardRecord(event).id // '3f2a…' (32 hex), the same however often it is sent
 */
import { createHash } from 'node:crypto';
import type { ActivityEvent } from '../domain/activity.js';

export interface ForwardRecord {
  /** Stable per stored event: 32 hex characters. */
  readonly id: string;
  readonly sourceId: string;
  /** The Duo log (`authentication`, …); `test` for a test message. */
  readonly stream: string;
  /** ISO 8601, milliseconds, UTC. */
  readonly time: string;
  readonly timeMs: number;
  readonly user: { readonly key: string | null; readonly name: string | null };
  readonly result: string | null;
  readonly reason: string | null;
  readonly factor: string | null;
  readonly application: string | null;
  readonly location: string | null;
  readonly ip: string | null;
  readonly os: string | null;
  readonly browser: string | null;
  readonly txid: string | null;
  /** The record as Duo sent it. */
  readonly duo: unknown;
}

/** The stable id of a stored event: the same on every delivery, to every destination. */
export function eventId(
  event: Pick<ActivityEvent, 'sourceId' | 'stream' | 'tsMs' | 'naturalKey'>,
): string {
  return createHash('sha256')
    .update(`${event.sourceId}\n${event.stream}\n${String(event.tsMs)}\n${event.naturalKey}`)
    .digest('hex')
    .slice(0, 32);
}

export function forwardRecord(event: ActivityEvent): ForwardRecord {
  return {
    id: eventId(event),
    sourceId: event.sourceId,
    stream: event.stream,
    time: new Date(event.tsMs).toISOString(),
    timeMs: event.tsMs,
    user: { key: event.userKey, name: event.username },
    result: event.result,
    reason: event.reason,
    factor: event.factor,
    application: event.application,
    location: event.location,
    ip: event.ip,
    os: event.accessOs,
    browser: event.accessBrowser,
    txid: event.txid,
    duo: event.payload,
  };
}

/** A record sent by "test": it names itself as a test and carries no Duo data. */
export function testRecord(at: number): ForwardRecord {
  return {
    id: createHash('sha256')
      .update(`test\n${String(at)}`)
      .digest('hex')
      .slice(0, 32),
    sourceId: '',
    stream: 'test',
    time: new Date(at).toISOString(),
    timeMs: at,
    user: { key: null, name: null },
    result: 'success',
    reason: 'duo-insights test message',
    factor: null,
    application: null,
    location: null,
    ip: null,
    os: null,
    browser: null,
    txid: null,
    duo: null,
  };
}

/** Syslog and CEF severity (0–10 for CEF, RFC 5424 0–7 for syslog) by result. */
export function severityOf(record: ForwardRecord): {
  readonly cef: number;
  readonly syslog: number;
} {
  switch (record.result) {
    case 'fraud':
      return { cef: 9, syslog: 2 };
    case 'denied':
    case 'failure':
      return { cef: 6, syslog: 4 };
    case 'error':
      return { cef: 5, syslog: 3 };
    case 'success':
    case null:
    default:
      return { cef: 3, syslog: 6 };
  }
}
