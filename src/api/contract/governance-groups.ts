/**
 * Governance groups: named sets of identities that may manage the sources attached to them.
 *
 * @example { "id": "…", "name": "IT", "description": null, "members": [{ "displayName": "Alice" }] }
 */
import { z } from 'zod';
import { EpochMs, Next } from './common.js';
import { Identity } from './identities.js';

export const GovernanceGroup = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  createdAt: EpochMs,
});
export type GovernanceGroup = z.infer<typeof GovernanceGroup>;

export const GovernanceGroupList = z.object({
  governanceGroups: z.array(GovernanceGroup),
  next: Next,
});
export type GovernanceGroupList = z.infer<typeof GovernanceGroupList>;

/** One group with its members. */
export const GovernanceGroupDetail = GovernanceGroup.extend({ members: z.array(Identity) });
export type GovernanceGroupDetail = z.infer<typeof GovernanceGroupDetail>;

/** The members after one was added. */
export const MemberList = z.object({ members: z.array(Identity), next: Next });
export type MemberList = z.infer<typeof MemberList>;
