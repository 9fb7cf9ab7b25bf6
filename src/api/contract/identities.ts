/**
 * Identities (people): in lists with how many Duo accounts they have, alone with the accounts.
 *
 * @example { "identities": [{ "id": "…", "displayName": "Alice Adams", "accountCount": 2 }], "next": null }
 */
import { z } from 'zod';
import { Account } from './accounts.js';
import { EpochMs, Next } from './common.js';

export const Identity = z.object({
  id: z.string(),
  displayName: z.string(),
  email: z.string().nullable(),
  username: z.string().nullable(),
  createdAt: EpochMs,
  updatedAt: EpochMs,
});
export type Identity = z.infer<typeof Identity>;

/** An identity in the list: with the number of Duo accounts correlated to it. */
export const IdentityListItem = Identity.extend({ accountCount: z.number().int() });
export type IdentityListItem = z.infer<typeof IdentityListItem>;

export const IdentityList = z.object({ identities: z.array(IdentityListItem), next: Next });
export type IdentityList = z.infer<typeof IdentityList>;

/** One identity with its Duo accounts (status, groups, source). */
export const IdentityDetail = Identity.extend({ accounts: z.array(Account) });
export type IdentityDetail = z.infer<typeof IdentityDetail>;
