/**
 * The audit trail: who did what to which thing, when, from where.
 *
 * @example { "entries": [{ "action": "source.create", "actor": "admin", … }], "next": null }
 */
import { z } from 'zod';
import { EpochMs, Next } from './common.js';

export const AuditEntry = z.object({
  id: z.number(),
  at: EpochMs,
  actorUserId: z.string().nullable(),
  actor: z.string(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  targetName: z.string().nullable(),
  details: z.unknown(),
  ip: z.string().nullable(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditList = z.object({ entries: z.array(AuditEntry), next: Next });
export type AuditList = z.infer<typeof AuditList>;
