/**
 * Identities (people), their Duo accounts and manual correlation (`/identities`, `/accounts`).
 *
 * @example const { items } = await searchIdentities(api, 'al');
 */
import type { Api } from '../../api/client';
import { listFrom, objectFrom, pageFrom, type Page } from '../../api/shapes';
import type { Account } from '../sources/api';

export interface Identity {
  readonly id: string;
  readonly displayName: string;
  readonly email: string | null;
  readonly username: string | null;
  readonly accountCount?: number;
  readonly createdAt?: number;
}

export interface IdentityDetail extends Identity {
  readonly accounts: readonly Account[];
}

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
): Promise<Page<Identity>> {
  return pageFrom<Identity>(await api.get('/identities', { q, ...options }), 'identities');
}

export async function getIdentity(api: Api, id: string): Promise<IdentityDetail> {
  const body = await api.get<unknown>(`/identities/${id}`);
  const identity = objectFrom<Identity>(body, 'identity');
  return { ...identity, accounts: listFrom<Account>(body, 'accounts') };
}

export async function createIdentity(api: Api, input: NewIdentity): Promise<Identity> {
  return objectFrom<Identity>(await api.post('/identities', input), 'identity');
}

export async function linkAccount(
  api: Api,
  accountId: string | number,
  identityId: string,
): Promise<void> {
  await api.put(`/accounts/${accountId}/identity`, { identityId });
}
