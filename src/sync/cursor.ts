/**
 * A stream's cursor: what has been synced and where an unfinished window resumes. It is saved
 * in the same transaction as the page it follows (store `ingestActivityPage`), so after a crash
 * the next run resumes exactly there: nothing lost, nothing stored twice.
 *
 * - `syncedUntil`: every event with `ts <= syncedUntil` that Duo showed at that time is stored.
 * - `window`: the window being read; v2 streams resume with the same `mintime`/`maxtime` and the
 *   saved `next_offset` (and the count of records read so far, which proves the window's end
 *   against Duo's `total_objects`), v1 streams at the saved inclusive `mintime` (seconds).
 * - `backfill`: older history still to fetch, `[from, doneDownTo]`, read as one window: every
 *   window is resumable, so splitting history into smaller ones would only cost requests.
 *
 * @example planNextWindow(parseCursor(raw).cursor, { now, ...settings })
 */
import { z } from 'zod';
import { DAY_MS, HOUR_MS, MINUTE_MS, ms, type EpochMs } from '../domain/time.js';

export const PUBLISH_DELAY_MS = 2 * MINUTE_MS;
export const RETENTION_MS = 180 * DAY_MS;
/** Keep clear of the retention edge: Duo rejects a mintime older than 180 days. */
const RETENTION_MARGIN_MS = 10 * MINUTE_MS;
/**
 * A window being read moves its `mintime` up to the retention floor once it is this close to
 * 180 days (a long read, e.g. a 180-day backfill at Duo's pace, outlives the margin above).
 */
const RETENTION_REFRESH_MS = 5 * MINUTE_MS;

const msSchema = z
  .number()
  .int()
  .nonnegative()
  .transform((v) => ms(v));

const ResumableSchema = z.object({
  min: msSchema,
  max: msSchema,
  /** v2: the opaque next_offset to resume with; v1: the inclusive mintime in seconds. */
  resume: z.union([z.string(), z.number().int()]).optional(),
  /**
   * v2: records Duo has sent for this window so far, and the exact `total_objects` it gave for
   * the window. When the two meet the window is complete without asking Duo for the empty page
   * after its last. Absent when unknown (the count then proves nothing).
   */
  read: z.number().int().nonnegative().optional(),
  total: z.number().int().nonnegative().optional(),
});
type Resumable = z.infer<typeof ResumableSchema>;

export const CursorSchema = z.object({
  version: z.literal(1),
  syncedUntil: msSchema.optional(),
  /** The oldest instant every window so far has covered (history is complete from here on). */
  coveredFrom: msSchema.optional(),
  /** A recent window in progress. */
  window: ResumableSchema.optional(),
  /** History still to fetch, `[from, doneDownTo]`, with the backfill window in progress. */
  backfill: z
    .object({ from: msSchema, doneDownTo: msSchema, window: ResumableSchema.optional() })
    .optional(),
});
export type StreamCursor = z.infer<typeof CursorSchema>;

/** A window to read: recent (up to now − 2 min) or backfill (older history). */
export interface SyncWindow extends Resumable {
  readonly purpose: 'recent' | 'backfill';
}

export const EMPTY_CURSOR: StreamCursor = { version: 1 };

export interface CursorSettings {
  readonly now: EpochMs;
  /** Re-read this much before `syncedUntil` on every sync (late events). Default 72 h. */
  readonly reconciliationMs: number;
  /** First sync: how far back the background backfill goes. Default 30 days, at most 180. */
  readonly backfillMs: number;
  /** First sync: the quick first window. Default 24 h. */
  readonly firstWindowMs: number;
  /**
   * Longest backfill window. Default: Duo's whole retention, so a backfill is one window (a
   * quiet stream's 30 days cost one request); Duo allows a mintime..maxtime span up to 180 days.
   */
  readonly backfillChunkMs: number;
}

export const DEFAULT_CURSOR_SETTINGS = {
  reconciliationMs: 72 * HOUR_MS,
  backfillMs: 30 * DAY_MS,
  firstWindowMs: 24 * HOUR_MS,
  backfillChunkMs: RETENTION_MS,
} as const;

export interface ParsedCursor {
  readonly cursor: StreamCursor;
  /** Set when the stored cursor was unusable and a safe fallback was chosen instead. */
  readonly warning?: string;
}

/**
 * Validates a stored cursor. A corrupt one (bad JSON, wrong shape, impossible times) or one
 * older than Duo's retention falls back to a safe start with a warning, instead of failing
 * every run after it.
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
  const windows = [cursor.window, cursor.backfill?.window].filter((w) => w !== undefined);
  if (windows.some((w) => w.min > w.max || w.max > settings.now)) {
    return fallback(settings, 'the stored cursor has an impossible window');
  }
  if (cursor.syncedUntil !== undefined && cursor.syncedUntil > settings.now) {
    return fallback(settings, 'the stored cursor lies in the future');
  }
  const floor = retentionFloor(settings.now);
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

/**
 * Whether a window starting at `min` must move its start up to the retention floor before its
 * next request: Duo rejects a `mintime` older than 180 days, and a long read gets there.
 *
 * @example needsRetentionRefresh(window.min, now) ? retentionFloor(now) : window.min
 */
export function needsRetentionRefresh(min: EpochMs, now: EpochMs): boolean {
  return min < now - RETENTION_MS + RETENTION_REFRESH_MS;
}

/** The newest instant Duo will show: now − 2 minutes. */
export function windowEnd(now: EpochMs): EpochMs {
  return ms(now - PUBLISH_DELAY_MS);
}

/**
 * The next window of a phase: `recent` resumes an unfinished recent window or reads from the
 * reconciliation point to now − 2 min; `backfill` resumes or starts the next older chunk.
 * Undefined when the phase has nothing to do.
 */
export function planNextWindow(
  cursor: StreamCursor,
  settings: CursorSettings,
  phase: 'recent' | 'backfill',
): SyncWindow | undefined {
  const floor = retentionFloor(settings.now);
  if (phase === 'recent') {
    if (cursor.window) return clampWindow({ purpose: 'recent', ...cursor.window }, floor);
    const end = windowEnd(settings.now);
    if (cursor.syncedUntil !== undefined && cursor.syncedUntil >= end) return undefined;
    const min =
      cursor.syncedUntil === undefined
        ? ms(Math.max(floor, end - settings.firstWindowMs))
        : ms(Math.max(floor, cursor.syncedUntil - settings.reconciliationMs));
    return min < end ? { purpose: 'recent', min, max: end } : undefined;
  }
  const backfill = cursor.backfill;
  if (!backfill) return undefined;
  if (backfill.window) return clampWindow({ purpose: 'backfill', ...backfill.window }, floor);
  const from = ms(Math.max(backfill.from, floor));
  if (backfill.doneDownTo <= from) return undefined;
  const min = ms(Math.max(from, backfill.doneDownTo - settings.backfillChunkMs));
  return { purpose: 'backfill', min, max: backfill.doneDownTo };
}

/**
 * A resumed window whose start fell out of retention starts again at the floor, at the same
 * resume point; its count no longer matches Duo's total for the moved window, so it is dropped.
 */
function clampWindow(window: SyncWindow, floor: EpochMs): SyncWindow {
  if (window.min >= floor) return window;
  return {
    purpose: window.purpose,
    min: floor,
    max: ms(Math.max(floor, window.max)),
    ...(window.resume === undefined ? {} : { resume: window.resume }),
  };
}

/** Where a page leaves its window, beyond the resume point (v2 windows only). */
export interface WindowProgress {
  /** The window's `mintime` now (moved up when it reached the retention floor). */
  readonly min: EpochMs;
  /** Records Duo has sent for the window so far; undefined when unknown. */
  readonly read?: number | undefined;
  /** Duo's exact `total_objects` for the window; undefined when unknown. */
  readonly total?: number | undefined;
}

/** The cursor after one page of a window: the same window, a new resume point. */
export function advanceWindow(
  cursor: StreamCursor,
  window: SyncWindow,
  resume: string | number,
  position?: WindowProgress,
): StreamCursor {
  const progress: Resumable = {
    min: position?.min ?? window.min,
    max: window.max,
    resume,
    ...(position?.read === undefined ? {} : { read: position.read }),
    ...(position?.total === undefined ? {} : { total: position.total }),
  };
  if (window.purpose === 'recent') return { ...cursor, window: progress };
  if (!cursor.backfill) return cursor;
  return { ...cursor, backfill: { ...cursor.backfill, window: progress } };
}

/** The cursor after a window has been read completely. */
export function completeWindow(
  cursor: StreamCursor,
  window: SyncWindow,
  settings: CursorSettings,
): StreamCursor {
  const coveredFrom = ms(Math.min(cursor.coveredFrom ?? window.min, window.min));
  if (window.purpose === 'recent') {
    const next: StreamCursor = {
      ...withoutRecentWindow(cursor),
      coveredFrom,
      syncedUntil: ms(Math.max(cursor.syncedUntil ?? 0, window.max)),
    };
    const firstSync = cursor.syncedUntil === undefined;
    if (firstSync && !next.backfill && settings.backfillMs > window.max - window.min) {
      next.backfill = { from: ms(window.max - settings.backfillMs), doneDownTo: window.min };
    }
    return next;
  }
  const { backfill, ...rest } = cursor;
  if (!backfill) return { ...rest, coveredFrom };
  const doneDownTo = ms(Math.min(backfill.doneDownTo, window.min));
  const from = ms(Math.max(backfill.from, retentionFloor(settings.now)));
  return doneDownTo <= from
    ? { ...rest, coveredFrom }
    : { ...rest, coveredFrom, backfill: { from: backfill.from, doneDownTo } };
}

function withoutRecentWindow(cursor: StreamCursor): StreamCursor {
  const copy = { ...cursor };
  delete copy.window;
  return copy;
}

/**
 * Asks for history back to `from` (e.g. `sync --backfill-days 90` after a 30-day first sync):
 * adds or widens the backfill below what is already covered. A stream never synced is left
 * alone (its first sync plans the backfill).
 */
export function extendBackfill(cursor: StreamCursor, from: EpochMs): StreamCursor {
  if (cursor.syncedUntil === undefined) return cursor;
  if (cursor.backfill) {
    return from < cursor.backfill.from
      ? { ...cursor, backfill: { ...cursor.backfill, from } }
      : cursor;
  }
  const covered = cursor.coveredFrom ?? cursor.syncedUntil;
  return from < covered ? { ...cursor, backfill: { from, doneDownTo: covered } } : cursor;
}

/**
 * Backfill progress as a share (0–1), for health and progress bars: the time covered, counting
 * the backfill window read so far (its records come oldest first, so the resume point's time is
 * how far it got).
 */
export function backfillProgress(cursor: StreamCursor): number | undefined {
  if (!cursor.backfill) return undefined;
  const top = cursor.syncedUntil ?? cursor.backfill.doneDownTo;
  const total = top - cursor.backfill.from;
  if (total <= 0) return 1;
  const window = cursor.backfill.window;
  const reached = window === undefined ? undefined : resumeTime(window.resume);
  const inWindow =
    window === undefined || reached === undefined
      ? 0
      : Math.min(window.max, Math.max(window.min, reached)) - window.min;
  const done = top - cursor.backfill.doneDownTo + inWindow;
  return Math.min(1, Math.max(0, done / total));
}

/** The time a resume point has reached: a v2 `next_offset` starts with ms, a v1 one is seconds. */
function resumeTime(resume: string | number | undefined): number | undefined {
  if (typeof resume === 'number') return resume * 1000;
  const ms = resume === undefined ? Number.NaN : Number(resume.split(',')[0]);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** How far a stream has come, as health and progress show it, read from its stored cursor. */
export interface StreamProgress {
  /** Everything up to this time is stored (null: nothing yet, or a cursor that cannot be read). */
  readonly syncedUntil: number | null;
  /** The first sync's backfill done, as a share (0–1); null when there is none. */
  readonly backfillProgress: number | null;
}

/**
 * A stream's progress from its stored cursor, whatever its shape: one reading for the API, the
 * command line and the reports.
 *
 * @example streamProgress(stream.cursor) // → { syncedUntil: 1767225600000, backfillProgress: 0.5 }
 */
export function streamProgress(stored: unknown): StreamProgress {
  const parsed = CursorSchema.safeParse(stored);
  if (!parsed.success) return { syncedUntil: null, backfillProgress: null };
  return {
    syncedUntil: parsed.data.syncedUntil ?? null,
    backfillProgress: backfillProgress(parsed.data) ?? null,
  };
}
