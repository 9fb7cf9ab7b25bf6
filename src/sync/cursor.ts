/**
 * A stream's cursor: what has been synced and where an unfinished window resumes. It is saved
 * in the same transaction as the page it follows (store `ingestActivityPage`), so after a crash
 * the next run resumes exactly there: nothing lost, nothing stored twice.
 *
 * - `syncedUntil`: every event with `ts <= syncedUntil` that Duo showed at that time is stored.
 * - `window`: the window being read; v2 streams resume with the same `mintime`/`maxtime` and the
 *   saved `next_offset`, v1 streams at the saved inclusive `mintime` (seconds).
 * - `backfill`: older history still to fetch, `[from, doneDownTo]`.
 *
 * @example planNextWindow(parseCursor(raw).cursor, { now, ...settings })
 */
import { z } from 'zod';
import { DAY_MS, HOUR_MS, MINUTE_MS, ms, type EpochMs } from '../domain/time.js';

export const PUBLISH_DELAY_MS = 2 * MINUTE_MS;
export const RETENTION_MS = 180 * DAY_MS;
/** Keep clear of the retention edge: Duo rejects a mintime older than 180 days. */
const RETENTION_MARGIN_MS = 10 * MINUTE_MS;

const msSchema = z
  .number()
  .int()
  .nonnegative()
  .transform((v) => ms(v));

const WindowSchema = z.object({
  purpose: z.enum(['recent', 'backfill']),
  min: msSchema,
  max: msSchema,
  /** v2: the opaque next_offset to resume with; v1: the inclusive mintime in seconds. */
  resume: z.union([z.string(), z.number().int()]).optional(),
});
export type SyncWindow = z.infer<typeof WindowSchema>;

export const CursorSchema = z.object({
  version: z.literal(1),
  syncedUntil: msSchema.optional(),
  window: WindowSchema.optional(),
  backfill: z.object({ from: msSchema, doneDownTo: msSchema }).optional(),
});
export type StreamCursor = z.infer<typeof CursorSchema>;

export const EMPTY_CURSOR: StreamCursor = { version: 1 };

export interface CursorSettings {
  readonly now: EpochMs;
  /** Re-read this much before `syncedUntil` on every sync (late events). Default 72 h. */
  readonly reconciliationMs: number;
  /** First sync: how far back the background backfill goes. Default 30 days, at most 180. */
  readonly backfillMs: number;
  /** First sync: the quick first window. Default 24 h. */
  readonly firstWindowMs: number;
  /** Backfill window size for v2 streams. */
  readonly backfillChunkMs: number;
}

export const DEFAULT_CURSOR_SETTINGS = {
  reconciliationMs: 72 * HOUR_MS,
  backfillMs: 30 * DAY_MS,
  firstWindowMs: 24 * HOUR_MS,
  backfillChunkMs: DAY_MS,
} as const;

export interface ParsedCursor {
  readonly cursor: StreamCursor;
  /** Set when the stored cursor was unusable and a safe fallback was chosen instead. */
  readonly warning?: string;
}

/**
 * Validates a stored cursor. A corrupt one (bad JSON, wrong shape) or one older than Duo's
 * retention falls back to a safe start with a warning, instead of failing every run after it.
 */
export function parseCursor(stored: unknown, settings: CursorSettings): ParsedCursor {
  if (stored === undefined || stored === null) return { cursor: EMPTY_CURSOR };
  let value: unknown = stored;
  if (typeof stored === 'string') {
    try {
      value = JSON.parse(stored) as unknown;
    } catch {
      return fallback(settings, 'the stored cursor is not JSON');
    }
  }
  const parsed = CursorSchema.safeParse(value);
  if (!parsed.success) {
    return fallback(
      settings,
      `the stored cursor has an unknown shape (${parsed.error.issues[0]?.message ?? 'invalid'})`,
    );
  }
  const cursor = parsed.data;
  const floor = retentionFloor(settings.now);
  if (
    cursor.window &&
    (cursor.window.min > cursor.window.max || cursor.window.max > settings.now)
  ) {
    return fallback(settings, 'the stored cursor has an impossible window');
  }
  if (cursor.syncedUntil !== undefined && cursor.syncedUntil > settings.now) {
    return fallback(settings, 'the stored cursor lies in the future');
  }
  if (cursor.syncedUntil !== undefined && cursor.syncedUntil < floor) {
    return {
      cursor: { version: 1, syncedUntil: floor },
      warning:
        'the last sync is older than Duo keeps logs (180 days): events between then and ' +
        `${new Date(floor).toISOString()} can no longer be fetched`,
    };
  }
  return { cursor };
}

function fallback(settings: CursorSettings, why: string): ParsedCursor {
  const syncedUntil = ms(
    Math.max(retentionFloor(settings.now), settings.now - settings.reconciliationMs),
  );
  return {
    cursor: { version: 1, syncedUntil },
    warning: `${why}; restarting from ${new Date(syncedUntil).toISOString()} (the reconciliation window)`,
  };
}

export function retentionFloor(now: EpochMs): EpochMs {
  return ms(now - RETENTION_MS + RETENTION_MARGIN_MS);
}

/** The newest instant Duo will show: now − 2 minutes. */
export function windowEnd(now: EpochMs): EpochMs {
  return ms(now - PUBLISH_DELAY_MS);
}

/**
 * The next window to read, or undefined when the stream is up to date and has no backfill left.
 * `phase` limits the choice: the first sync reads recent windows of every stream before any
 * backfill.
 */
export function planNextWindow(
  cursor: StreamCursor,
  settings: CursorSettings,
  phase: 'recent' | 'backfill' | 'any',
): SyncWindow | undefined {
  if (cursor.window && (phase === 'any' || cursor.window.purpose === phase)) {
    return clampWindow(cursor.window, settings.now);
  }
  if (cursor.window) return undefined;
  const end = windowEnd(settings.now);
  const floor = retentionFloor(settings.now);
  if (phase !== 'backfill' && (cursor.syncedUntil === undefined || cursor.syncedUntil < end)) {
    const min =
      cursor.syncedUntil === undefined
        ? ms(end - settings.firstWindowMs)
        : ms(Math.max(floor, cursor.syncedUntil - settings.reconciliationMs));
    if (min < end) return { purpose: 'recent', min, max: end };
  }
  if (phase !== 'recent' && cursor.backfill) {
    const from = ms(Math.max(cursor.backfill.from, floor));
    if (cursor.backfill.doneDownTo > from) {
      const min = ms(Math.max(from, cursor.backfill.doneDownTo - settings.backfillChunkMs));
      return { purpose: 'backfill', min, max: cursor.backfill.doneDownTo };
    }
  }
  return undefined;
}

/** A resumed window whose start fell out of retention is moved forward (resume point dropped). */
function clampWindow(window: SyncWindow, now: EpochMs): SyncWindow {
  const floor = retentionFloor(now);
  if (window.min >= floor) return window;
  return { purpose: window.purpose, min: floor, max: ms(Math.max(floor, window.max)) };
}

/** The cursor after a window has been read completely. */
export function completeWindow(
  cursor: StreamCursor,
  window: SyncWindow,
  settings: CursorSettings,
): StreamCursor {
  const rest: StreamCursor = { version: 1 };
  if (cursor.syncedUntil !== undefined) rest.syncedUntil = cursor.syncedUntil;
  if (cursor.backfill) rest.backfill = cursor.backfill;
  if (window.purpose === 'recent') {
    const firstSync = cursor.syncedUntil === undefined;
    rest.syncedUntil = ms(Math.max(cursor.syncedUntil ?? 0, window.max));
    if (firstSync && settings.backfillMs > settings.firstWindowMs) {
      rest.backfill = { from: ms(window.max - settings.backfillMs), doneDownTo: window.min };
    }
    return rest;
  }
  if (rest.backfill) {
    const doneDownTo = ms(Math.min(rest.backfill.doneDownTo, window.min));
    if (doneDownTo <= ms(Math.max(rest.backfill.from, retentionFloor(settings.now))))
      delete rest.backfill;
    else rest.backfill = { from: rest.backfill.from, doneDownTo };
  }
  return rest;
}

/** The cursor after one page of a window: same window, new resume point. */
export function advanceWindow(
  cursor: StreamCursor,
  window: SyncWindow,
  resume: string | number,
): StreamCursor {
  return { ...cursor, window: { ...window, resume } };
}

/** Backfill progress as a share (0–1), for health and progress bars. */
export function backfillProgress(cursor: StreamCursor): number | undefined {
  if (!cursor.backfill) return undefined;
  const total = (cursor.syncedUntil ?? cursor.backfill.doneDownTo) - cursor.backfill.from;
  if (total <= 0) return 1;
  const done = (cursor.syncedUntil ?? cursor.backfill.doneDownTo) - cursor.backfill.doneDownTo;
  return Math.min(1, Math.max(0, done / total));
}
