/**
 * An identity's activity timeline and insights (`/identities/:id/activity`, `/insights`).
 *
 * @example const page = await listActivity(api, id, { result: 'denied' });
 */
import type { Api } from '../../api/client';
import { isRecord } from '../../api/client';
import { cursorText } from '../../api/shapes';

export interface ActivityEvent {
  readonly id: number | string;
  readonly stream: string;
  readonly tsMs: number;
  readonly result: string | null;
  readonly reason: string | null;
  readonly factor: string | null;
  /** The factor as people say it (`SMS passcode`). */
  readonly factorLabel?: string | null;
  readonly application: string | null;
  readonly location: string | null;
  readonly ip: string | null;
  readonly accessOs?: string | null;
  readonly accessBrowser?: string | null;
  readonly username?: string | null;
  readonly sourceName?: string | null;
}

export interface ActivityFilter {
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

export interface UsageCount {
  readonly value: string;
  /** Factors: the name as people say it (`SMS passcode`). */
  readonly label?: string;
  readonly count: number;
  readonly firstMs?: number;
  readonly lastMs?: number;
}

export interface DailyCount {
  /** Days since 1970-01-01 (UTC), or an ISO date. */
  readonly day: number | string;
  readonly result: string | null;
  readonly stream?: string;
  readonly count: number;
}

/** Events of a type other than authentication (telephony, administrator, …) on a day. */
export interface DailyTypeCount {
  readonly day: number | string;
  readonly type: string;
  readonly count: number;
}

/** Authentications in the last 90 days by result; `denied` includes errors. */
export interface AuthenticationTotals {
  readonly total: number;
  readonly success: number;
  readonly denied: number;
  readonly fraud: number;
}

export interface Insights {
  readonly lastActivityMs: number | null;
  readonly lastSuccessMs: number | null;
  readonly daysActive90: number;
  readonly counts: { readonly d30: number; readonly d90: number };
  readonly orgAverage: { readonly d30: number; readonly d90: number };
  readonly applications: readonly UsageCount[];
  readonly factors: readonly UsageCount[];
  readonly locations: readonly UsageCount[];
  readonly newLocations: readonly (UsageCount | string)[];
  /** Whether places can be called new: not before the identity has a long enough history. */
  readonly locationHistory?: {
    readonly newWithinDays: number;
    readonly enough: boolean;
    readonly firstActivityMs: number | null;
  };
  readonly authentications?: AuthenticationTotals;
  /** Events of the last 90 days per type (`authentication`, `telephony`, …). */
  readonly eventsByType?: Readonly<Record<string, number>>;
  /** Authentication results per day (the chart's stacked series). */
  readonly daily: readonly DailyCount[];
  /** Every other type per day, shown apart from the authentication results. */
  readonly dailyByType?: readonly DailyTypeCount[];
}

export async function listActivity(
  api: Api,
  identityId: string,
  filter: ActivityFilter,
  cursor?: string,
  limit = 50,
): Promise<ActivityPage> {
  const body = await api.get<unknown>(`/identities/${identityId}/activity`, {
    ...filter,
    cursor,
    limit,
  });
  const events =
    isRecord(body) && Array.isArray(body['events']) ? (body['events'] as ActivityEvent[]) : [];
  return { events, next: isRecord(body) ? cursorText(body['next']) : undefined };
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
export function dayStartMs(day: number | string): number {
  if (typeof day === 'number') return day < 1e7 ? day * 86_400_000 : day;
  const parsed = Date.parse(day.length === 10 ? `${day}T00:00:00Z` : day);
  return Number.isNaN(parsed) ? 0 : parsed;
}
