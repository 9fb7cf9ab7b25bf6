/**
 * Reports (each also CSV with `?format=csv`, documented as text/csv): dormant accounts, the
 * access review of a Duo group, the administrator-action feed, sync health.
 *
 * @example { "days": 90, "generatedAt": 1700000000000, "accounts": [{ "username": "bob", "idleDays": 120, … }] }
 */
import { DestinationHealth } from './destinations.js';
import { z } from 'zod';
import { ACCOUNT_KINDS, ENTITLEMENT_KINDS } from './accounts.js';
import { EpochMs, Next } from './common.js';
import { Run } from './runs.js';
import { ConnectionTest, SOURCE_STATES, SOURCE_TYPES, Stream } from './sources.js';

/** An account as reports show it, with its identity and last activity. */
export const ReportAccount = z.object({
  accountId: z.number(),
  kind: z.enum(ACCOUNT_KINDS),
  adminRole: z.string().nullable().describe('an administrator’s Duo role; null for a user'),
  sourceId: z.string(),
  sourceName: z.string(),
  duoUserId: z.string(),
  username: z.string(),
  realname: z.string().nullable(),
  email: z.string().nullable(),
  status: z.string(),
  identityId: z.string().nullable(),
  identityName: z.string().nullable(),
  identityEmail: z.string().nullable(),
  lastLoginMs: EpochMs.nullable().describe('Duo’s own last_login'),
  lastEventMs: EpochMs.nullable().describe(
    'the newest stored event (an administrator’s: its newest administrator-log event)',
  ),
  lastActivityMs: EpochMs.nullable().describe('the later of the two'),
});

export const DormantAccount = ReportAccount.extend({
  idleDays: z.number().nullable(),
  groups: z.array(z.string()),
});
export type DormantAccount = z.infer<typeof DormantAccount>;

export const DormantAccountsReport = z.object({
  days: z.number(),
  kind: z.enum(ACCOUNT_KINDS).describe('the kind of accounts listed'),
  generatedAt: EpochMs,
  accounts: z.array(DormantAccount),
});
export type DormantAccountsReport = z.infer<typeof DormantAccountsReport>;

export const AccessReviewMember = ReportAccount.extend({
  daysActive: z.number(),
  daysActive90: z.number(),
  suggestion: z.enum(['keep', 'revoke']),
  reason: z.string(),
});
export type AccessReviewMember = z.infer<typeof AccessReviewMember>;

export const AccessReviewReport = z.object({
  entitlement: z.object({
    id: z.number(),
    kind: z.enum(ENTITLEMENT_KINDS),
    duoGroupId: z.string(),
    name: z.string(),
  }),
  source: z.object({ id: z.string(), name: z.string() }),
  generatedAt: EpochMs,
  members: z.array(AccessReviewMember),
});
export type AccessReviewReport = z.infer<typeof AccessReviewReport>;

export const AdminAction = z.object({
  id: z.number(),
  sourceId: z.string(),
  tsMs: EpochMs,
  admin: z.string().nullable(),
  action: z.string().nullable(),
  object: z.string().nullable(),
  description: z.unknown(),
  payload: z.unknown(),
});
export type AdminAction = z.infer<typeof AdminAction>;

export const AdminActionList = z.object({ actions: z.array(AdminAction), next: Next });
export type AdminActionList = z.infer<typeof AdminActionList>;

export const SecurityEvent = z.object({
  id: z.number(),
  sourceId: z.string(),
  sv4Id: z.string(),
  surfacedMs: EpochMs,
  type: z.string().nullable(),
  state: z.string().nullable(),
  stateUpdatedMs: z.number().nullable(),
  triagedAsInteresting: z.boolean(),
  priority: z.boolean(),
  reasons: z.array(z.string()),
  explanations: z.array(z.string()),
  duoUserKey: z.string().nullable(),
  username: z.string().nullable(),
  identityId: z.string().nullable(),
  identityName: z.string().nullable(),
  application: z.string().nullable(),
  location: z.string().nullable(),
  ip: z.string().nullable(),
  result: z.string().nullable(),
  enabledBy: z.string().nullable(),
  triageUri: z.string().nullable(),
  summary: z.string(),
});
export type SecurityEvent = z.infer<typeof SecurityEvent>;

export const SecurityEventList = z.object({ events: z.array(SecurityEvent), next: Next });
export type SecurityEventList = z.infer<typeof SecurityEventList>;

export const SyncHealthSource = z.object({
  sourceId: z.string(),
  sourceName: z.string(),
  type: z.enum(SOURCE_TYPES),
  state: z.enum(SOURCE_STATES),
  lastTest: ConnectionTest.nullable(),
  lastRun: Run.nullable(),
  streams: z.array(Stream),
});
export type SyncHealthSource = z.infer<typeof SyncHealthSource>;

export const SyncHealthReport = z.object({
  generatedAt: EpochMs,
  sources: z.array(SyncHealthSource),
  destinations: z
    .array(
      DestinationHealth.extend({
        destinationId: z.string(),
        name: z.string(),
        type: z.enum(['syslog', 'http', 'file']),
      }),
    )
    .describe('each destination’s delivery health (admins; empty for other roles)'),
});
export type SyncHealthReport = z.infer<typeof SyncHealthReport>;

/** A report as JSON, or as CSV (`?format=csv`: every matching row). */
export function jsonOrCsv<T extends z.ZodType>(json: T) {
  return {
    description: 'JSON; with ?format=csv, the same rows as CSV (every matching row)',
    content: {
      'application/json': { schema: json },
      'text/csv': { schema: z.string().describe('CSV with a header row') },
    },
  };
}
