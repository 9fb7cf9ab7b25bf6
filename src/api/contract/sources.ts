/**
 * Sources: a source (never its secret key: `hasSecret` only), in lists and alone with its last
 * run, next run and health; a connection test's verdict; streams; entitlements and their members;
 * rejected records.
 *
 * @example { "id": "…", "type": "duo", "name": "Duo accounts", "state": "verified", "lastRun": null, … }
 */
import { z } from 'zod';
import { SOURCE_TYPES, SOURCE_STATES } from '../../domain/sources.js';
import { STREAM_STATES } from '../../domain/activity.js';
import { Account, Group } from './accounts.js';
import { EpochMs, Next, StoredError } from './common.js';
import { Run } from './runs.js';

// The closed sets are the domain's own: an answer never drifts from what the product stores.
export { SOURCE_TYPES, SOURCE_STATES, STREAM_STATES };

export type SourceType = (typeof SOURCE_TYPES)[number];
export type SourceState = (typeof SOURCE_STATES)[number];
export type StreamState = (typeof STREAM_STATES)[number];

export const SourceSettings = z.object({
  syncIntervalMs: z.number(),
  aggregationIntervalMs: z.number().nullable(),
  reconciliationHours: z.number(),
  backfillDays: z.number(),
  maxDeleteShare: z.number(),
  createIdentities: z.boolean(),
  caFile: z.string().nullable(),
  proxyUrl: z.string().nullable(),
  retentionDays: z.number().describe('days raw events are kept'),
  rollupRetentionDays: z.number().describe('days the per-day rollups are kept'),
});
export type SourceSettings = z.infer<typeof SourceSettings>;

/** A connection test's verdict: the cause in `code`/`message` and the fix in `details.fix`. */
export const ConnectionTest = z.object({
  ok: z.boolean(),
  at: EpochMs,
  code: z.string().optional(),
  message: z.string(),
  details: z
    .unknown()
    .optional()
    .describe('an object: fix, permission, clockSkewSeconds, networkReason, httpStatus, …'),
  writeGranted: z
    .boolean()
    .nullable()
    .optional()
    .describe(
      'a Duo source: whether the credential may change users and groups in Duo ("Grant write resource"); null when the test could not tell',
    ),
});
export type ConnectionTest = z.infer<typeof ConnectionTest>;

/** How long a Test Connection started now would wait for Duo's rate limit. */
export const ConnectionTestWait = z.object({
  waitSeconds: z.number().int().describe('0 when the test would reach Duo at once'),
});
export type ConnectionTestWait = z.infer<typeof ConnectionTestWait>;

export const Source = z.object({
  id: z.string(),
  type: z.enum(SOURCE_TYPES),
  name: z.string(),
  description: z.string().nullable(),
  ownerIdentityId: z.string(),
  governanceGroupId: z.string().nullable(),
  apiHost: z.string().nullable(),
  integrationKey: z.string().nullable(),
  hasSecret: z.boolean().describe('whether a secret key is stored (it is never answered)'),
  settings: SourceSettings,
  state: z.enum(SOURCE_STATES),
  lastTest: ConnectionTest.nullable(),
  writeGranted: z
    .boolean()
    .nullable()
    .describe(
      'whether the last Test Connection found "Grant write resource" (access reviews remove revoked access in Duo, accounts can be disabled, enabled, unlocked); null: not tested',
    ),
  createdAt: EpochMs,
  updatedAt: EpochMs,
});
export type Source = z.infer<typeof Source>;

/** An activity source's streams by state; a Duo source's accounts by status. */
export const SourceHealth = z.union([
  z.object({
    streams: z.record(z.string(), z.number()),
    failing: z.array(z.string()),
    lastSuccessAt: EpochMs.nullable(),
  }),
  z.object({
    accounts: z.record(z.string(), z.number()).describe('Duo users by status'),
    administrators: z
      .object({
        available: z
          .boolean()
          .nullable()
          .describe(
            'whether the last aggregation could read Duo administrators (needs "Grant administrators"); null before one has',
          ),
        reason: z.string().nullable(),
        byStatus: z.record(z.string(), z.number()),
      })
      .describe('Duo administrators, aggregated as accounts of kind administrator'),
  }),
]);
export type SourceHealth = z.infer<typeof SourceHealth>;

/** A source with its last run, when it runs next (null: not scheduled) and its health. */
export const SourceSummary = Source.extend({
  lastRun: Run.nullable(),
  nextRunAt: EpochMs.nullable(),
  health: SourceHealth,
});
export type SourceSummary = z.infer<typeof SourceSummary>;

export const SourceList = z.object({ sources: z.array(SourceSummary), next: Next });
export type SourceList = z.infer<typeof SourceList>;

/** One stream's health: state, last success, cursor time, lag, backfill, pages, 429s, error. */
export const Stream = z.object({
  stream: z.string(),
  state: z.enum(STREAM_STATES),
  lastSuccessAt: EpochMs.nullable(),
  syncedUntil: EpochMs.nullable(),
  lagMs: z.number().nullable(),
  backfillProgress: z.number().nullable().describe('share of the backfill done, 0–1'),
  pages: z.number(),
  rateLimited: z.number(),
  lastError: StoredError.nullable(),
  updatedAt: EpochMs,
});
export type Stream = z.infer<typeof Stream>;

export const StreamList = z.object({ streams: z.array(Stream), next: Next });
export type StreamList = z.infer<typeof StreamList>;

/** An entitlement (a Duo group) of a source. */
export const Entitlement = Group.extend({
  sourceId: z.string(),
  description: z.string().nullable(),
  status: z.string().nullable(),
});
export type Entitlement = z.infer<typeof Entitlement>;

export const EntitlementList = z.object({ entitlements: z.array(Entitlement), next: Next });
export type EntitlementList = z.infer<typeof EntitlementList>;

/** The accounts holding one entitlement. */
export const EntitlementMembers = z.object({
  entitlement: Group,
  accounts: z.array(Account),
  next: Next,
});
export type EntitlementMembers = z.infer<typeof EntitlementMembers>;

/** A record Duo sent that could not be read, kept whole with where it came from. */
export const RejectedRecord = z.object({
  sourceId: z.string(),
  stream: z.string(),
  runId: z.string().nullable(),
  position: z.number(),
  error: z.string(),
  raw: z.unknown(),
  firstSeenAt: EpochMs,
});
export type RejectedRecord = z.infer<typeof RejectedRecord>;

export const RejectedRecordList = z.object({ records: z.array(RejectedRecord), next: Next });
export type RejectedRecordList = z.infer<typeof RejectedRecordList>;

/** What one stream of an Activity Insights source holds. */
export const StreamStorage = z.object({
  stream: z.string(),
  streamId: z.number(),
  events: z.number(),
  oldestMs: EpochMs.nullable(),
  newestMs: EpochMs.nullable(),
  estimatedBytes: z
    .number()
    .describe("the store's event bytes shared out by event count (an estimate)"),
});

/** What a retention pass over one stream did. */
export const StreamRetention = z.object({
  stream: z.string(),
  cutoffMs: EpochMs.describe('events before this time were to be deleted'),
  deletedBeforeMs: EpochMs.describe('events before this time were deleted (earlier when held)'),
  deleted: z.number(),
  heldBy: z.string().optional().describe('what kept events the cutoff would have deleted'),
});

/** A retention pass over a source. */
export const RetentionPass = z.object({
  sourceId: z.string(),
  at: EpochMs,
  tookMs: z.number(),
  retentionDays: z.number(),
  rollupRetentionDays: z.number(),
  streams: z.array(StreamRetention),
  rollupRowsDeleted: z.number(),
  interrupted: z.string().optional().describe('why the pass stopped early; the next goes on'),
});

/** A source's storage: per stream, its retention and its last and next retention pass. */
export const SourceStorage = z.object({
  sourceId: z.string(),
  retentionDays: z.number(),
  rollupRetentionDays: z.number(),
  eventsCutoffMs: EpochMs,
  streams: z.array(StreamStorage),
  events: z.number(),
  estimatedBytes: z.number(),
  lastPass: RetentionPass.nullable(),
  nextPassAt: EpochMs,
});
export type StreamStorage = z.infer<typeof StreamStorage>;
export type StreamRetention = z.infer<typeof StreamRetention>;
export type RetentionPass = z.infer<typeof RetentionPass>;
export type SourceStorage = z.infer<typeof SourceStorage>;
