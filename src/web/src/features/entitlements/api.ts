/**
 * A source's entitlements (Duo groups) and the accounts holding one
 * (`/sources/:id/entitlements`). Field names of the REST contract live here and nowhere else.
 *
 * @example const members = await listEntitlementMembers(api, source.id, String(entitlement.id));
 */
import type { Api } from '../../api/client';
import type {
  Account,
  Entitlement,
  EntitlementList,
  EntitlementMembers,
} from '../../../../api/contract/index.js';

export type { Entitlement } from '../../../../api/contract/index.js';

export async function listEntitlements(api: Api, id: string): Promise<Entitlement[]> {
  return (await api.get<EntitlementList>(`/sources/${id}/entitlements`)).entitlements;
}

/** The server's CSV of a source's entitlements. */
export function entitlementsCsvUrl(api: Api, id: string): string {
  return api.url(`/sources/${id}/entitlements`, { format: 'csv' });
}

/** The server's CSV of the accounts holding an entitlement. */
export function entitlementMembersCsvUrl(api: Api, id: string, entitlementId: string): string {
  return api.url(`/sources/${id}/entitlements/${entitlementId}/members`, { format: 'csv' });
}

export async function listEntitlementMembers(
  api: Api,
  id: string,
  entitlementId: string,
): Promise<Account[]> {
  const body = await api.get<EntitlementMembers>(
    `/sources/${id}/entitlements/${entitlementId}/members`,
  );
  return body.accounts;
}
