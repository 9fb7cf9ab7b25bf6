/**
 * Duo accounts (a Duo user in one source) with their source's name and groups, and manual
 * correlation's answer (the account itself).
 *
 * @example { "id": 7, "username": "alice", "status": "active", "groups": [{ "name": "VPN" }], … }
 */
import { z } from 'zod';
import { CORRELATIONS } from '../../domain/accounts.js';
import { EpochMs, Next } from './common.js';

// The closed sets are the domain's own: an answer never drifts from what the product stores.
export { CORRELATIONS };

/** A Duo group an account belongs to. */
export const Group = z.object({ id: z.number(), duoGroupId: z.string(), name: z.string() });
export type Group = z.infer<typeof Group>;

export const Account = z.object({
  id: z.number(),
  sourceId: z.string(),
  sourceName: z.string().nullable(),
  duoUserId: z.string(),
  username: z.string(),
  realname: z.string().nullable(),
  email: z.string().nullable(),
  status: z.string().describe('active, disabled, locked out, bypass, pending deletion, …'),
  lockoutReason: z.string().nullable(),
  aliases: z.array(z.string()),
  isEnrolled: z.boolean().nullable(),
  lastLoginMs: EpochMs.nullable().describe('Duo’s own last_login'),
  createdMs: EpochMs.nullable(),
  identityId: z.string().nullable(),
  correlation: z.enum(CORRELATIONS).nullable(),
  firstSeenAt: EpochMs,
  lastSeenAt: EpochMs,
  groups: z.array(Group),
});
export type Account = z.infer<typeof Account>;

export const AccountList = z.object({ accounts: z.array(Account), next: Next });
export type AccountList = z.infer<typeof AccountList>;
