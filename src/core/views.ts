/**
 * How runs and streams appear in answers, the same in every front door (the API, the CLI's
 * reports): built from explicit fields, so a secret can never ride along; a stream's sync
 * position and lag read from its cursor.
 *
 * @example const streams = (await listStreams(db, source.id)).map((s) => streamView(s, now));
 */
import type { StreamStatus } from '../domain/activity.js';
import type { Run } from '../domain/runs.js';
import { backfillProgress, CursorSchema, streamProgress } from '../sync/cursor.js';

export function runView(r: Run) {
  return {
    id: r.id,
    sourceId: r.sourceId,
    kind: r.kind,
    trigger: r.trigger,
    status: r.status,
    counts: r.counts,
    progress: r.progress,
    progressShare: progressShare(r),
    stats: runStats(r),
    error: r.error,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    heartbeatAt: r.heartbeatAt,
  };
}

/** One stream's health as the sources page and the sync-health report show it. */
export function streamView(s: StreamStatus, now: number) {
  const { syncedUntil, backfillProgress } = streamProgress(s.cursor);
  return {
    stream: s.stream,
    state: s.state,
    lastSuccessAt: s.lastSuccessAt,
    syncedUntil,
    lagMs: syncedUntil === null ? null : Math.max(0, now - syncedUntil),
    backfillProgress,
    pages: s.pages,
    rateLimited: s.rateLimited,
    lastError: s.lastError,
    updatedAt: s.updatedAt,
  };
}

/**
 * The share of a run done (0–1), from the runner's progress: an aggregation's accounts seen of
 * those Duo announced; a sync's backfill done — of the stream least far along, since the streams
 * read side by side and the run ends with the slowest (a finished backfill counts whole); null
 * when the progress tells nothing.
 *
 * @example progressShare({ kind: 'aggregation', progress: { accounts: { seen: 50, expected: 200 } } }) // 0.25
 */
export function progressShare(r: Pick<Run, 'kind' | 'progress'>): number | null {
  const progress = asRecord(r.progress);
  if (progress === undefined) return null;
  if (r.kind === 'aggregation') {
    const accounts = asRecord(progress['accounts']);
    const seen = accounts?.['seen'];
    const expected = accounts?.['expected'];
    if (accounts?.['done'] === true) return 1;
    if (typeof seen !== 'number' || typeof expected !== 'number' || expected <= 0) return null;
    return Math.min(1, Math.max(0, seen / expected));
  }
  const shares = Object.values(progress).flatMap((value) => {
    const cursor = CursorSchema.safeParse(asRecord(value)?.['cursor']);
    if (!cursor.success) return [];
    const share = backfillProgress(cursor.data);
    if (share !== undefined) return [share];
    // A backfill window read to its end leaves no backfill in the cursor: that stream is done.
    return asRecord(asRecord(value)?.['window'])?.['purpose'] === 'backfill' ? [1] : [];
  });
  return shares.length === 0 ? null : Math.min(...shares);
}
/**
 * What a run did so far, in the terms its page shows: a sync's pages and events (new and
 * updated, over its streams) and its windows done of those planned; whether it is a source's
 * first sync; the warnings it gave. Null where the kind of run does not have it.
 *
 * @example runStats(run) // { pages: 12, events: 11034, windows: { done: 7, total: 10 }, … }
 */
export function runStats(r: Pick<Run, 'kind' | 'counts' | 'progress'>) {
  const progress = asRecord(r.progress) ?? {};
  let pages = 0;
  let events = 0;
  for (const value of Object.values(r.counts)) {
    if (typeof value === 'number') continue;
    pages += value.pages;
    events += value.eventsNew + value.eventsUpdated;
  }
  const windows = asRecord(progress['windows']);
  const done = windows?.['done'];
  const total = windows?.['total'];
  const warnings = progress['warnings'];
  return {
    pages: r.kind === 'sync' ? pages : null,
    events: r.kind === 'sync' ? events : null,
    windows:
      typeof done === 'number' && typeof total === 'number'
        ? { done, total: Math.max(done, total) }
        : null,
    firstSync: progress['firstSync'] === true,
    warnings: Array.isArray(warnings)
      ? warnings.filter((w): w is string => typeof w === 'string')
      : [],
  };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
