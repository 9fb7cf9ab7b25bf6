/**
 * Duo accounts (a Duo user in one source) with their source's name and groups, and manual
 * correlation's answer (the account itself).
 *
 * @example { "id": 7, "username": "alice", "status": "active", "groups": [{ "name": "VPN" }], … }
 */
import { z } from 'zod';
import {
  ACCOUNT_ACTIONS,
  ACCOUNT_KINDS,
  CORRELATIONS,
  ENTITLEMENT_KINDS,
} from '../../domain/accounts.js';
import { SOURCE_TYPES } from '../../domain/sources.js';
import { EpochMs, Next } from './common.js';

// The closed sets are the domain's own: an answer never drifts from what the product stores.
export { ACCOUNT_ACTIONS, ACCOUNT_KINDS, CORRELATIONS, ENTITLEMENT_KINDS };

/** A Duo group an account belongs to, or an administrator's admin role (`kind: admin_role`). */
export const Group = z.object({
  id: z.number(),
  kind: z.enum(ENTITLEMENT_KINDS).describe('group: a Duo group; admin_role: a Duo admin role'),
  duoGroupId: z.string().describe('the Duo group_id; for an admin role, the role’s name'),
  name: z.string(),
});
export type Group = z.infer<typeof Group>;

export const Account = z.object({
  id: z.number(),
  kind: z
    .enum(ACCOUNT_KINDS)
    .describe('user: a Duo user (key user_id); administrator: a Duo admin (key admin_id)'),
  sourceId: z.string(),
  sourceName: z.string().nullable(),
  duoUserId: z.string().describe('the Duo user_id; for an administrator, its admin_id'),
  username: z.string(),
  realname: z.string().nullable(),
  email: z.string().nullable(),
  status: z
    .string()
    .describe(
      'as Duo words it: users active, disabled, locked out, bypass, pending deletion; administrators Active, Disabled, Pending Activation, …',
    ),
  lockoutReason: z.string().nullable(),
  aliases: z.array(z.string()),
  isEnrolled: z.boolean().nullable(),
  lastLoginMs: EpochMs.nullable().describe('Duo’s own last_login'),
  createdMs: EpochMs.nullable(),
  adminRole: z.string().nullable().describe('an administrator’s Duo role; null for a user'),
  adminUnits: z.array(z.unknown()).describe('an administrator’s admin units as Duo sends them'),
  restrictedByAdminUnits: z.boolean().nullable(),
  identityId: z.string().nullable(),
  correlation: z.enum(CORRELATIONS).nullable(),
  firstSeenAt: EpochMs,
  lastSeenAt: EpochMs,
  groups: z.array(Group),
});
export type Account = z.infer<typeof Account>;

export type AccountAction = (typeof ACCOUNT_ACTIONS)[number];

/** One account alone: its source's type and write permission, and the actions that apply. */
export const AccountDetail = Account.extend({
  sourceType: z.enum(SOURCE_TYPES),
  writeGranted: z
    .boolean()
    .nullable()
    .describe(
      'whether the source’s credential may change users in Duo ("Grant write resource"), as its last Test Connection found; null: not tested',
    ),
  actions: z
    .array(z.enum(ACCOUNT_ACTIONS))
    .describe('the actions that apply to the account’s status (a Duo user of a Duo source)'),
});
export type AccountDetail = z.infer<typeof AccountDetail>;

export const AccountList = z.object({
  accounts: z.array(Account),
  total: z.number().int().describe('how many accounts match the filters, on every page'),
  next: Next,
});
export type AccountList = z.infer<typeof AccountList>;
