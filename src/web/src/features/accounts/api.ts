/**
 * A source's accounts (Duo users and Duo administrators), a page at a time, with the entitlements each holds
 * (`/sources/:id/accounts`); one account with the actions that apply to it (`/accounts/:id`) and
 * those actions (`/accounts/:id/actions`). Field names of the REST contract live here and nowhere else.
 *
 * @example const page = await listAccounts(api, source.id, { group: String(entitlement.id) });
 * @example await accountAction(api, account.id, 'disable');
 */
import type { Api } from '../../api/client';
import { pageOf, type Page } from '../../api/shapes';
import type {
  Account,
  AccountAction,
  AccountDetail,
  AccountList,
} from '../../../../api/contract/index.js';

export type { Account, AccountAction, AccountDetail } from '../../../../api/contract/index.js';

/** One account with its source's type and write permission and the actions that apply. */
export function getAccount(api: Api, id: number): Promise<AccountDetail> {
  return api.get<AccountDetail>(`/accounts/${String(id)}`);
}

/** Disables, enables or unlocks the Duo user in Duo; the account as Duo has it now. */
export function accountAction(api: Api, id: number, action: AccountAction): Promise<Account> {
  return api.post<Account>(`/accounts/${String(id)}/actions`, { action });
}

/** The filters of an account list, named as the API's query parameters. */
export interface AccountFilter {
  /** `user` (Duo users) or `administrator` (Duo administrators); absent: both. */
  readonly kind?: string;
  readonly status?: string;
  /** An entitlement id or Duo group id (the API's query parameter is called `group`). */
  readonly group?: string;
  readonly correlated?: string;
  readonly q?: string;
  /** The server's sort: `username`, `kind`, `realname`, `email`, `status`, `correlation`, `lastLogin`. */
  readonly sort?: string;
  readonly order?: 'asc' | 'desc';
  readonly cursor?: string;
}

/** A page of accounts and how many match the filter in all. */
export async function listAccounts(
  api: Api,
  id: string,
  filter: AccountFilter,
): Promise<Page<Account> & { readonly total: number }> {
  const body = await api.get<AccountList>(`/sources/${id}/accounts`, { ...filter });
  return { ...pageOf(body.accounts, body.next), total: body.total };
}

/** The server's CSV of every account the filter matches, in its order (`format=csv`). */
export function accountsCsvUrl(api: Api, id: string, filter: AccountFilter): string {
  return api.url(`/sources/${id}/accounts`, { ...filter, cursor: undefined, format: 'csv' });
}

/** The names of the entitlements an account holds (its `groups` in the answer). */
export function entitlementNames(account: Account): string[] {
  return account.groups.map((e) => e.name);
}
