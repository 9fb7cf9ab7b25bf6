/**
 * How domain objects appear in answers: accounts with their source's name and groups, sources
 * with their last run, next run and health. Every view is built from explicit fields, so a
 * secret can never ride along.
 *
 * @example return { accounts: accounts.map((a) => accountView(a, names, groups)) };
 */
import type { Account, Entitlement } from '../domain/accounts.js';
import type { Source } from '../domain/sources.js';
import { countAccountsByStatus, listEntitlementsOfAccounts } from '../store/accounts.js';
import type { Db } from '../store/dialect.js';
import { listRuns } from '../store/runs.js';
import { listSources } from '../store/sources.js';
import { listStreams } from '../store/streams.js';
import { dueKind } from '../sync/scheduler.js';
import type { StreamStatus } from '../domain/activity.js';
import { runView } from '../core/views.js';

/** Runs and streams render the same way in every front door (reports, the CLI). */
export { runView, streamView } from '../core/views.js';

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
    aliases: a.aliases,
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
