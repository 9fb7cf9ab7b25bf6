/**
 * An identity's activity timeline and insights (`/identities/:id/activity`, `/insights`).
 *
 * @example const page = await listActivity(api, id, { result: 'denied' });
 */
import type { Api } from '../../api/client';
import type { ActivityEvent, ActivityEventList, Insights } from '../../../../api/contract/index.js';

export type { ActivityEvent, Insights, UsageCount } from '../../../../api/contract/index.js';

/** A factor seen, with its name as people say it (`SMS passcode`). */
export type FactorCount = Insights['factors'][number];
/** Authentication results on a day (the chart's stacked series). */
export type DailyCount = Insights['daily'][number];
/** Events of a type other than authentication (telephony, administrator, …) on a day. */
export type DailyTypeCount = Insights['dailyByType'][number];

export interface ActivityFilter {
  /** `administrator`: what the person did as a Duo administrator (the administrator log). */
  readonly as?: 'user' | 'administrator';
  readonly stream?: string;
  readonly result?: string;
  readonly factor?: string;
  readonly application?: string;
  readonly from?: number;
  readonly to?: number;
}

export interface ActivityPage {
  readonly events: ActivityEvent[];
  readonly next: string | undefined;
}

export async function listActivity(
  api: Api,
  identityId: string,
  filter: ActivityFilter,
  cursor?: string,
  limit = 50,
): Promise<ActivityPage> {
  const body = await api.get<ActivityEventList>(`/identities/${identityId}/activity`, {
    ...filter,
    cursor,
    limit,
  });
  return { events: body.events, next: body.next ?? undefined };
}

/** The server's CSV of every event a filter matches (not only the pages loaded). */
export function activityCsvUrl(api: Api, identityId: string, filter: ActivityFilter): string {
  return api.url(`/identities/${identityId}/activity`, { ...filter, format: 'csv' });
}

export function getInsights(api: Api, identityId: string): Promise<Insights> {
  return api.get<Insights>(`/identities/${identityId}/insights`);
}

/** Chart buckets: Duo's results folded into the three the chart stacks. */
export type ResultBucket = 'success' | 'denied' | 'fraud';

export function resultBucket(result: string | null | undefined): ResultBucket {
  const value = (result ?? '').toLowerCase();
  if (value === 'success') return 'success';
  if (value === 'fraud') return 'fraud';
  return 'denied';
}

/** The UTC midnight (ms) of a daily bucket. */
export function dayStartMs(cell: { readonly dayMs: number }): number {
  return cell.dayMs;
}
