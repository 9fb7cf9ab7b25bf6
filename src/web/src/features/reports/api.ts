/**
 * Reports, each also downloadable as CSV (`?format=csv`): dormant accounts, access review of a
 * Duo group, the administrator-action feed, the security events (Trust Monitor) and sync health.
 *
 * @example const review = await accessReview(api, entitlementId);
 */
import type { Api, Query } from '../../api/client';
import { pageOf, type Page } from '../../api/shapes';
import type {
  AccessReviewReport,
  AdminAction,
  AdminActionList,
  DormantAccount,
  DormantAccountsReport,
  SecurityEvent,
  SecurityEventList,
  Stream,
  SyncHealthReport,
} from '../../../../api/contract/index.js';

export type {
  AccessReviewMember,
  AccessReviewReport,
  AdminAction,
  DormantAccount,
  SecurityEvent,
} from '../../../../api/contract/index.js';

/** One stream of one source, as the sync-health table shows it. */
export interface SyncHealthRow extends Stream {
  readonly sourceId: string;
  readonly sourceName: string;
}

export const REPORT_PATHS = {
  dormant: '/reports/dormant-accounts',
  accessReview: '/reports/access-review',
  adminActions: '/reports/admin-actions',
  securityEvents: '/reports/security-events',
  syncHealth: '/reports/sync-health',
} as const;

export async function dormantAccounts(
  api: Api,
  days: number,
  sourceId?: string,
): Promise<DormantAccount[]> {
  const body = await api.get<DormantAccountsReport>(REPORT_PATHS.dormant, { days, sourceId });
  return body.accounts;
}

/** The review of one Duo group: the group, its source and its members. */
export async function accessReview(api: Api, entitlementId: string): Promise<AccessReviewReport> {
  return api.get<AccessReviewReport>(REPORT_PATHS.accessReview, { entitlementId });
}

/** The console address of the access review of one group of one source. */
export function accessReviewPath(sourceId: string, entitlementId: string): string {
  const query = new URLSearchParams({ sourceId, entitlementId });
  return `/reports/access-review?${query.toString()}`;
}

export async function adminActions(
  api: Api,
  query: { from?: number; to?: number; cursor?: string },
): Promise<Page<AdminAction>> {
  const body = await api.get<AdminActionList>(REPORT_PATHS.adminActions, query);
  return pageOf(body.actions, body.next);
}

export async function securityEvents(
  api: Api,
  query: { state?: string; type?: string; from?: number; to?: number; cursor?: string },
): Promise<Page<SecurityEvent>> {
  const body = await api.get<SecurityEventList>(REPORT_PATHS.securityEvents, query);
  return pageOf(body.events, body.next);
}

export async function syncHealth(api: Api): Promise<SyncHealthRow[]> {
  const body = await api.get<SyncHealthReport>(REPORT_PATHS.syncHealth);
  return body.sources.flatMap((s) =>
    s.streams.map((stream) => ({ ...stream, sourceId: s.sourceId, sourceName: s.sourceName })),
  );
}

export function csvUrl(api: Api, path: string, query: Query): string {
  return api.url(path, { ...query, format: 'csv' });
}
