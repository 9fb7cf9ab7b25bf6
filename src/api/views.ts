/**
 * How domain objects appear in answers: accounts with their source's name and entitlements, sources
 * with their last run, next run and health. Every view is built from explicit fields, so a
 * secret can never ride along.
 *
 * @example return { accounts: accounts.map((a) => accountView(a, names, entitlements)) };
 */
import type { Account, Entitlement } from '../domain/accounts.js';
import type { Source } from '../domain/sources.js';
import type { SourceSummary } from '../core/sources.js';
import { listEntitlementsOfAccounts } from '../store/accounts.js';
import type { Db } from '../store/dialect.js';
import { listSources } from '../store/sources.js';
import { runView } from '../core/views.js';

/** Runs and streams render the same way in every front door (reports, the CLI). */
export { runView, streamView } from '../core/views.js';

/**
 * An entitlement (a Duo group, or an administrator's admin role) as an account's `groups` and
 * an entitlement list show it.
 */
export function entitlementView(e: Entitlement) {
  return { id: e.id, kind: e.kind, duoGroupId: e.duoGroupId, name: e.name };
}

export function accountView(
  a: Account,
  sourceNames: ReadonlyMap<string, string>,
  entitlements: ReadonlyMap<number, readonly Entitlement[]>,
) {
  return {
    id: a.id,
    kind: a.kind,
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
    adminRole: a.adminRole,
    adminUnits: [...a.adminUnits],
    restrictedByAdminUnits: a.restrictedByAdminUnits,
    identityId: a.identityId,
    correlation: a.correlation,
    firstSeenAt: a.firstSeenAt,
    lastSeenAt: a.lastSeenAt,
    groups: (entitlements.get(a.id) ?? []).map(entitlementView),
  };
}

/** Accounts with source names and entitlements, in two queries for the whole list. */
export async function accountViews(db: Db, accounts: readonly Account[]) {
  const names = new Map((await listSources(db)).map((s) => [s.id, s.name]));
  const entitlements = await listEntitlementsOfAccounts(
    db,
    accounts.map((a) => a.id),
  );
  return accounts.map((a) => accountView(a, names, entitlements));
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
    writeGranted: s.writeGranted,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

/** A source with its last run, when it runs next, and a health summary. */
export function sourceSummaryView(summary: SourceSummary) {
  return {
    ...sourceView(summary.source),
    lastRun: summary.lastRun ? runView(summary.lastRun) : null,
    nextRunAt: summary.nextRunAt,
    health:
      'accounts' in summary.health
        ? {
            accounts: { ...summary.health.accounts },
            administrators: {
              ...summary.health.administrators,
              byStatus: { ...summary.health.administrators.byStatus },
            },
          }
        : {
            streams: { ...summary.health.streams },
            failing: [...summary.health.failing],
            lastSuccessAt: summary.health.lastSuccessAt,
          },
  };
}
