/**
 * A source's accounts (Duo users and Duo administrators), a page at a time, with the entitlements each holds
 * (`/sources/:id/accounts`). Field names of the REST contract live here and nowhere else.
 *
 * @example const page = await listAccounts(api, source.id, { group: String(entitlement.id) });
 */
import type { Api } from '../../api/client';
import { pageOf, type Page } from '../../api/shapes';
import type { Account, AccountList } from '../../../../api/contract/index.js';

export type { Account } from '../../../../api/contract/index.js';

/** The filters of an account list, named as the API's query parameters. */
export interface AccountFilter {
  /** `user` (Duo users) or `administrator` (Duo administrators); absent: both. */
  readonly kind?: string;
  readonly status?: string;
  /** An entitlement id or Duo group id (the API's query parameter is called `group`). */
  readonly group?: string;
  readonly correlated?: string;
  readonly q?: string;
  readonly cursor?: string;
}

export async function listAccounts(
  api: Api,
  id: string,
  filter: AccountFilter,
): Promise<Page<Account>> {
  const body = await api.get<AccountList>(`/sources/${id}/accounts`, { ...filter });
  return pageOf(body.accounts, body.next);
}

/** The names of the entitlements an account holds (its `groups` in the answer). */
export function entitlementNames(account: Account): string[] {
  return account.groups.map((e) => e.name);
}
