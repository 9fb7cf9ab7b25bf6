/**
 * Access-review campaigns (`/reviews`): the list, a new campaign, a campaign with its progress,
 * its items a page at a time, decisions (listed items or every item a filter selects), sign-off,
 * remediation (a dry run first) and the evidence. Field names of the REST contract live here.
 *
 * @example await decide(api, campaign.id, { select: { suggestion: 'revoke' }, decision: 'revoke' });
 */
import type { Api, Query } from '../../api/client';
import type {
  Campaign,
  CampaignList,
  DecisionsBody,
  DecisionsResult,
  NewCampaignBody,
  RemediationAnswer,
  ReviewItemFilter,
  ReviewItemList,
} from '../../../../api/contract/index.js';

export type {
  Campaign,
  DecisionsBody,
  NewCampaignBody,
  PlannedChange,
  RemediationAnswer,
  ReviewerChoice,
  ReviewItem,
  ReviewItemFilter,
  ReviewScope,
  ReviewStep,
} from '../../../../api/contract/index.js';

export type CampaignState = Campaign['state'];
export type Decision = 'keep' | 'revoke';

/** The states in their order, as the console says them. */
export const STATE_LABELS: Record<CampaignState, string> = {
  open: 'Open',
  signed_off: 'Signed off',
  remediating: 'Remediating',
  remediated: 'Remediated',
};

/** The server's sorts of a campaign's items. */
export type ReviewItemSort =
  'username' | 'lastActivity' | 'daysActive90' | 'suggestion' | 'decision' | 'entitlement';

export interface ReviewItemQuery extends ReviewItemFilter {
  readonly sort?: ReviewItemSort;
  readonly order?: 'asc' | 'desc';
  readonly limit?: number;
  readonly cursor?: string;
}

export async function listCampaigns(
  api: Api,
  filter: { state?: CampaignState; mine?: boolean } = {},
): Promise<Campaign[]> {
  const body = await api.get<CampaignList>('/reviews', {
    state: filter.state,
    ...(filter.mine ? { mine: 'true' } : {}),
  });
  return body.campaigns;
}

export function createCampaign(api: Api, input: NewCampaignBody): Promise<Campaign> {
  return api.post<Campaign>('/reviews', input);
}

export function getCampaign(api: Api, id: string): Promise<Campaign> {
  return api.get<Campaign>(`/reviews/${id}`);
}

/** The query string of a filter: booleans as `true`, absent values left out. */
function itemQuery(query: ReviewItemQuery): Query {
  const out: Query = {};
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    out[key] = typeof value === 'boolean' ? String(value) : (value as string | number);
  }
  return out;
}

export function listReviewItems(
  api: Api,
  id: string,
  query: ReviewItemQuery,
): Promise<ReviewItemList> {
  return api.get<ReviewItemList>(`/reviews/${id}/items`, itemQuery(query));
}

export function decide(api: Api, id: string, body: DecisionsBody): Promise<DecisionsResult> {
  return api.post<DecisionsResult>(`/reviews/${id}/decisions`, body);
}

export function signOff(api: Api, id: string): Promise<Campaign> {
  return api.post<Campaign>(`/reviews/${id}/sign-off`);
}

export function remediate(api: Api, id: string, dryRun: boolean): Promise<RemediationAnswer> {
  return api.post<RemediationAnswer>(`/reviews/${id}/remediate`, { dryRun });
}

/** The evidence file: `csv` (one row per item) or `json` (the campaign, every decision). */
export function evidenceUrl(api: Api, id: string, format: 'csv' | 'json'): string {
  return api.url(`/reviews/${id}/evidence`, { format });
}

/** The server's CSV of the items a filter selects (the revocations to make by hand, say). */
export function itemsCsvUrl(api: Api, id: string, filter: ReviewItemFilter): string {
  return api.url(`/reviews/${id}/items`, { ...itemQuery(filter), format: 'csv' });
}

/** The console address of a campaign, and of a new one for a group. */
export function campaignPath(id: string): string {
  return `/reviews/${id}`;
}

export function newCampaignPath(scope?: { sourceId: string; entitlementId: string }): string {
  if (!scope) return '/reviews/new';
  return `/reviews/new?${new URLSearchParams(scope).toString()}`;
}
