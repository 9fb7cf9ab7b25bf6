/**
 * Identities (people), their Duo accounts and manual correlation (`/identities`, `/accounts`).
 *
 * @example const { items } = await searchIdentities(api, 'al');
 */
import type { Api } from '../../api/client';
import { pageOf, type Page } from '../../api/shapes';
import type {
  Identity,
  IdentityDetail,
  IdentityList,
  IdentityListItem,
} from '../../../../api/contract/index.js';

export type { Identity, IdentityDetail, IdentityListItem } from '../../../../api/contract/index.js';

export interface NewIdentity {
  readonly displayName: string;
  readonly email?: string | null;
  readonly username?: string | null;
}

/** `q` needs two letters or more; without it the API lists identities by name. */
export async function searchIdentities(
  api: Api,
  q: string,
  options: { limit?: number; cursor?: string } = {},
): Promise<Page<IdentityListItem>> {
  const body = await api.get<IdentityList>('/identities', { q, ...options });
  return pageOf(body.identities, body.next);
}

/** The server's CSV of every identity the search matches (all of them without `q`). */
export function identitiesCsvUrl(api: Api, q: string): string {
  return api.url('/identities', { q, format: 'csv' });
}

/** The server's CSV of an identity's Duo accounts. */
export function identityAccountsCsvUrl(api: Api, id: string): string {
  return api.url(`/identities/${id}`, { format: 'csv' });
}

export function getIdentity(api: Api, id: string): Promise<IdentityDetail> {
  return api.get<IdentityDetail>(`/identities/${id}`);
}

export function createIdentity(api: Api, input: NewIdentity): Promise<Identity> {
  return api.post<Identity>('/identities', input);
}

export async function linkAccount(
  api: Api,
  accountId: string | number,
  identityId: string,
): Promise<void> {
  await api.put(`/accounts/${accountId}/identity`, { identityId });
}
