/**
 * Activity events: one Duo log record each, with the columns duo-insights filters and counts by
 * and the original payload. Streams come from `streams.ts`; the normaliser from Duo records
 * lives in `sync/`.
 *
 * @example const e: NormalisedEvent = { naturalKey: txid, tsMs: ms(1700000000000), payload: '{}' };
 */
import type { StreamName } from './streams.js';
import { DAY_MS, type EpochMs } from './time.js';

/**
 * One log record ready for the store. `naturalKey` makes overlaps harmless: for
 * authentication it is the `txid`, which is how telephony rows find their user.
 */
export interface NormalisedEvent {
  readonly naturalKey: string;
  readonly tsMs: EpochMs;
  /** The Duo `user_id` the log names (auth `user.key`, activity `actor.key`). */
  readonly userKey?: string;
  readonly username?: string;
  readonly result?: string;
  readonly reason?: string;
  readonly factor?: string;
  readonly application?: string;
  readonly location?: string;
  readonly accessOs?: string;
  readonly accessBrowser?: string;
  readonly ip?: string;
  /** Authentication and telephony: joins a telephony row to the auth that caused it. */
  readonly txid?: string;
  /** The original record, JSON text exactly as Duo sent it (compressed at rest). */
  readonly payload: string;
}

/** A stored activity event as read back (the payload is decompressed on demand). */
export interface ActivityEvent {
  readonly id: number;
  readonly sourceId: string;
  readonly stream: StreamName;
  readonly naturalKey: string;
  readonly tsMs: EpochMs;
  readonly userKey: string | null;
  readonly username: string | null;
  readonly result: string | null;
  readonly reason: string | null;
  readonly factor: string | null;
  readonly application: string | null;
  readonly location: string | null;
  readonly accessOs: string | null;
  readonly accessBrowser: string | null;
  readonly ip: string | null;
  readonly txid: string | null;
  /** The original Duo record (parsed JSON). */
  readonly payload: unknown;
}

/** Filters of an identity's (or a set of Duo users') activity timeline. */
export interface ActivityFilter {
  readonly streams?: readonly StreamName[];
  readonly results?: readonly string[];
  /** Reasons (a Trust Monitor event's type is its reason). */
  readonly reasons?: readonly string[];
  readonly factors?: readonly string[];
  readonly applications?: readonly string[];
  /** Inclusive lower bound. */
  readonly fromMs?: EpochMs;
  /** Exclusive upper bound. */
  readonly toMs?: EpochMs;
}

/** Keyset position in a timeline sorted by (tsMs, id) descending: the last row already shown. */
export interface ActivityCursor {
  readonly tsMs: EpochMs;
  readonly id: number;
}

export interface ActivityPage {
  readonly events: readonly ActivityEvent[];
  /** Pass back to get the next (older) page; undefined on the last page. */
  readonly next: ActivityCursor | undefined;
}

/** Per Duo user: what an access reviewer wants beside each person. */
export interface ActivitySummary {
  readonly userKey: string;
  readonly lastActivityMs: EpochMs | null;
  /** The last authentication with result `success` (other streams' results are not sign-ins). */
  readonly lastSuccessMs: EpochMs | null;
  /** Distinct UTC days with any event in the window asked for. */
  readonly daysActive: number;
  /** Events in the window asked for. */
  readonly events: number;
}

/** One cell of the daily chart: events of a stream and result on a UTC day. */
export interface DailyCount {
  readonly day: number;
  readonly stream: StreamName;
  /** null for events without a result (e.g. telephony without a context). */
  readonly result: string | null;
  readonly count: number;
}

/** A value used (application, factor, location) with how often and when first/last. */
export interface UsageCount {
  readonly value: string;
  readonly count: number;
  readonly firstMs: EpochMs;
  readonly lastMs: EpochMs;
}

export interface ActivityUsage {
  readonly applications: readonly UsageCount[];
  readonly factors: readonly UsageCount[];
  readonly locations: readonly UsageCount[];
}

/** Days since the Unix epoch (UTC) of an instant: the unit of the daily rollup. */
export function dayOf(tsMs: EpochMs): number {
  return Math.floor(tsMs / DAY_MS);
}

/** The Duo auth result that counts as a successful authentication. */
export const SUCCESS_RESULT = 'success';

/**
 * What an authentication's result counts as: Duo's `success` and `fraud`, and `denied` for
 * `denied` and any other result (an error). Only authentication events have such a result;
 * telephony, administrator, offline-enrollment and activity events are types of their own.
 *
 * @example authenticationOutcome('denied') === 'denied'
 */
export type AuthenticationOutcome = 'success' | 'denied' | 'fraud';

export function authenticationOutcome(result: string | null): AuthenticationOutcome {
  const value = (result ?? '').toLowerCase();
  return value === 'success' || value === 'fraud' ? value : 'denied';
}

// ---- stream health -------------------------------------------------------------------------------

/** A stream's health: `not_available` when the plan lacks the endpoint (403/404). */
export const STREAM_STATES = ['idle', 'ok', 'failing', 'not_available'] as const;
export type StreamState = (typeof STREAM_STATES)[number];

/** The closed error shape kept on streams and runs; never contains a secret. */
export interface StoredError {
  readonly code: string;
  readonly message: string;
  readonly cause?: string;
  /** What to do about it, when known (a Duo error's fix; also the end of `message`). */
  readonly fix?: string;
}

/** One stream of one source: its cursor (saved with its data) and its health. */
export interface StreamStatus {
  readonly sourceId: string;
  readonly stream: StreamName;
  readonly state: StreamState;
  /** The sync engine's cursor (sync/cursor.ts), stored as JSON; null before the first page. */
  readonly cursor: unknown;
  readonly lastSuccessAt: EpochMs | null;
  readonly lastError: StoredError | null;
  /** Pages ingested since the stream began. */
  readonly pages: number;
  /** Requests answered 429 since the stream began. */
  readonly rateLimited: number;
  readonly updatedAt: EpochMs;
}

/** What a caller may change on a stream; `null` clears a nullable field. */
export interface StreamPatch {
  readonly state?: StreamState;
  readonly lastSuccessAt?: EpochMs | null;
  readonly lastError?: StoredError | null;
  readonly pages?: number;
  readonly rateLimited?: number;
}
