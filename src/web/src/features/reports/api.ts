/**
 * Reports, each also downloadable as CSV (`?format=csv`): dormant accounts, access review of a
 * Duo group, the administrator-action feed and sync health.
 *
 * @example const review = await accessReview(api, entitlementId);
 */
import type { Api, Query } from '../../api/client';
import { listFrom, pageFrom, type Page } from '../../api/shapes';
import type { StreamHealth } from '../sources/api';

export interface DormantAccount {
  readonly accountId?: number | string;
  readonly sourceId?: string;
  readonly sourceName?: string;
  readonly identityId?: string | null;
  readonly identityName?: string | null;
  readonly displayName?: string | null;
  readonly username: string;
  readonly email?: string | null;
  readonly status?: string;
  readonly groups?: readonly (string | { readonly name: string })[];
  readonly lastActivityMs?: number | null;
  readonly lastLoginMs?: number | null;
  readonly daysInactive?: number | null;
}

export interface AccessReviewRow {
  readonly accountId?: number | string;
  readonly identityId?: string | null;
  readonly identityName?: string | null;
  readonly displayName?: string | null;
  readonly username: string;
  readonly email?: string | null;
  readonly status: string;
  readonly lastActivityMs: number | null;
  readonly daysActive90: number;
  readonly suggestion: 'keep' | 'revoke';
  readonly reason: string;
}

export interface AdminAction {
  readonly id?: number | string;
  readonly tsMs: number;
  readonly admin?: string | null;
  readonly username?: string | null;
  readonly action: string;
  readonly object?: string | null;
  readonly description?: unknown;
  readonly sourceName?: string | null;
}

export interface SyncHealthRow extends StreamHealth {
  readonly sourceId: string;
  readonly sourceName: string;
}

interface SyncHealthSource {
  readonly sourceId: string;
  readonly sourceName: string;
  readonly streams: readonly StreamHealth[];
}

export const REPORT_PATHS = {
  dormant: '/reports/dormant-accounts',
  accessReview: '/reports/access-review',
  adminActions: '/reports/admin-actions',
  syncHealth: '/reports/sync-health',
} as const;

export async function dormantAccounts(
  api: Api,
  days: number,
  sourceId?: string,
): Promise<DormantAccount[]> {
  return pageFrom<DormantAccount>(
    await api.get(REPORT_PATHS.dormant, { days, sourceId }),
    'accounts',
  ).items;
}

export async function accessReview(api: Api, entitlementId: string): Promise<AccessReviewRow[]> {
  return pageFrom<AccessReviewRow>(
    await api.get(REPORT_PATHS.accessReview, { entitlementId }),
    'members',
  ).items;
}

export async function adminActions(
  api: Api,
  query: { from?: number; to?: number; cursor?: string },
): Promise<Page<AdminAction>> {
  return pageFrom<AdminAction>(await api.get(REPORT_PATHS.adminActions, query), 'actions');
}

export async function syncHealth(api: Api): Promise<SyncHealthRow[]> {
  const sources = listFrom<SyncHealthSource>(await api.get(REPORT_PATHS.syncHealth), 'sources');
  return sources.flatMap((s) =>
    s.streams.map((stream) => ({ ...stream, sourceId: s.sourceId, sourceName: s.sourceName })),
  );
}

export function csvUrl(api: Api, path: string, query: Query): string {
  return api.url(path, { ...query, format: 'csv' });
}
