/**
 * How domain objects appear in answers: accounts with their source's name and groups, sources
 * with their last run, next run and health. Every view is built from explicit fields, so a
 * secret can never ride along.
 *
 * @example return { accounts: accounts.map((a) => accountView(a, names, groups)) };
 */
import type { Account, Entitlement } from '../domain/accounts.js';
import type { Run } from '../domain/runs.js';
import type { Source } from '../domain/sources.js';
import { countAccountsByStatus, listEntitlementsOfAccounts } from '../store/accounts.js';
import type { Db } from '../store/dialect.js';
import { listRuns } from '../store/runs.js';
import { listSources } from '../store/sources.js';
import { listStreams } from '../store/streams.js';
import { dueKind } from '../sync/scheduler.js';
import { CursorSchema, backfillProgress } from '../sync/cursor.js';
import type { StreamStatus } from '../domain/activity.js';

export function groupView(e: Entitlement) {
  return { id: e.id, duoGroupId: e.duoGroupId, name: e.name };
}

export function accountView(
  a: Account,
  sourceNames: ReadonlyMap<string, string>,
  groups: ReadonlyMap<number, readonly Entitlement[]>,
) {
  return {
    id: a.id,
    sourceId: a.sourceId,
    sourceName: sourceNames.get(a.sourceId) ?? null,
    duoUserId: a.duoUserId,
    username: a.username,
    realname: a.realname,
    email: a.email,
    status: a.status,
    lockoutReason: a.lockoutReason,
    aliases: [...a.aliases],
    isEnrolled: a.isEnrolled,
    lastLoginMs: a.lastLoginMs,
    createdMs: a.createdMs,
    identityId: a.identityId,
    correlation: a.correlation,
    firstSeenAt: a.firstSeenAt,
    lastSeenAt: a.lastSeenAt,
    groups: (groups.get(a.id) ?? []).map(groupView),
  };
}

/** Accounts with source names and groups, in two queries for the whole list. */
export async function accountViews(db: Db, accounts: readonly Account[]) {
  const names = new Map((await listSources(db)).map((s) => [s.id, s.name]));
  const groups = await listEntitlementsOfAccounts(
    db,
    accounts.map((a) => a.id),
  );
  return accounts.map((a) => accountView(a, names, groups));
}

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
    error: r.error,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    heartbeatAt: r.heartbeatAt,
  };
}

/**
 * The share of a run done (0–1), from the runner's progress: an aggregation's accounts seen of
 * those Duo announced; a sync's backfill done (the mean over its streams that backfill); null
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
    const share = cursor.success ? backfillProgress(cursor.data) : undefined;
    return share === undefined ? [] : [share];
  });
  return shares.length === 0 ? null : shares.reduce((a, b) => a + b, 0) / shares.length;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function sourceView(s: Source) {
  return {
    id: s.id,
    type: s.type,
    name: s.name,
    description: s.description,
    ownerIdentityId: s.ownerIdentityId,
    governanceGroupId: s.governanceGroupId,
    apiHost: s.apiHost,
    integrationKey: s.integrationKey,
    hasSecret: s.hasSecret,
    settings: s.settings,
    state: s.state,
    lastTest: s.lastTest,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

/** One stream's health as the sources page and the sync-health report show it. */
export function streamView(s: StreamStatus, now: number) {
  const cursor = CursorSchema.safeParse(s.cursor);
  const syncedUntil = cursor.success ? (cursor.data.syncedUntil ?? null) : null;
  const backfill = cursor.success ? backfillProgress(cursor.data) : undefined;
  return {
    stream: s.stream,
    state: s.state,
    lastSuccessAt: s.lastSuccessAt,
    syncedUntil,
    lagMs: syncedUntil === null ? null : Math.max(0, now - syncedUntil),
    backfillProgress: backfill ?? null,
    pages: s.pages,
    rateLimited: s.rateLimited,
    lastError: s.lastError,
    lastRunId: s.lastRunId,
    updatedAt: s.updatedAt,
  };
}

/** A source with its last run, when it runs next, and a health summary. */
export async function sourceSummaryView(
  db: Db,
  s: Source,
  now: number,
  retryAfterMs = 15 * 60_000,
) {
  const kind = s.type === 'duo-activity' ? 'sync' : 'aggregation';
  const [lastRun] = await listRuns(db, { sourceId: s.id, limit: 1 });
  const [lastOfKind] = await listRuns(db, { sourceId: s.id, kind, limit: 1 });
  const interval =
    s.type === 'duo-activity' ? s.settings.syncIntervalMs : s.settings.aggregationIntervalMs;
  let nextRunAt: number | null = null;
  if (s.state === 'verified' && interval !== null) {
    if (dueKind(s, lastOfKind, now, retryAfterMs) !== undefined) nextRunAt = now;
    else if (lastOfKind && (lastOfKind.status === 'running' || lastOfKind.status === 'queued'))
      nextRunAt = null;
    else if (lastOfKind) {
      const started = lastOfKind.startedAt ?? lastOfKind.createdAt;
      nextRunAt =
        lastOfKind.status === 'succeeded'
          ? started + interval
          : Math.min(
              started + interval,
              (lastOfKind.finishedAt ?? started) + Math.min(retryAfterMs, interval),
            );
    }
  }
  const health =
    s.type === 'duo-activity'
      ? streamHealth(await listStreams(db, s.id))
      : { accounts: await countAccountsByStatus(db, s.id) };
  return { ...sourceView(s), lastRun: lastRun ? runView(lastRun) : null, nextRunAt, health };
}

function streamHealth(streams: readonly StreamStatus[]) {
  const byState: Record<string, number> = {};
  for (const s of streams) byState[s.state] = (byState[s.state] ?? 0) + 1;
  const lastSuccess = streams.reduce<number | null>(
    (max, s) =>
      s.lastSuccessAt !== null && (max === null || s.lastSuccessAt > max) ? s.lastSuccessAt : max,
    null,
  );
  return {
    streams: byState,
    failing: streams.filter((s) => s.state === 'failing').map((s) => s.stream),
    lastSuccessAt: lastSuccess,
  };
}
