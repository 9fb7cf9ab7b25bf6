/**
 * How runs and streams appear in answers, the same in every front door (the API, the CLI's
 * reports): built from explicit fields, so a secret can never ride along; a stream's sync
 * position and lag read from its cursor.
 *
 * @example const streams = (await listStreams(db, source.id)).map((s) => streamView(s, now));
 */
import type { StreamStatus } from '../domain/activity.js';
import type { Run } from '../domain/runs.js';
import { streamProgress } from '../sync/cursor.js';

export function runView(r: Run) {
  return {
    id: r.id,
    sourceId: r.sourceId,
    kind: r.kind,
    trigger: r.trigger,
    status: r.status,
    counts: r.counts,
    progress: r.progress,
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
    lastRunId: s.lastRunId,
    updatedAt: s.updatedAt,
  };
}
