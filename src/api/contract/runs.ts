/**
 * Runs (a connection test, an aggregation or a sync): status from a closed set, counts per
 * stream, the runner's progress and `progressShare`, the share done (0–1) when it can be told.
 *
 * @example { "id": "…", "kind": "sync", "status": "running", "progressShare": 0.4, … }
 */
import { z } from 'zod';
import { RUN_KINDS, RUN_TRIGGERS, RUN_STATUSES } from '../../domain/runs.js';
import { EpochMs, Next, StoredError } from './common.js';

// The closed sets are the domain's own: an answer never drifts from what the product stores.
export { RUN_KINDS, RUN_TRIGGERS, RUN_STATUSES };
export type { RunStatus } from '../../domain/runs.js';

/** What a sync counted for one stream. */
export const StreamRunCounts = z.object({
  pages: z.number(),
  eventsNew: z.number(),
  eventsUpdated: z.number(),
  rejected: z.number(),
  rateLimited: z.number(),
});
export type StreamRunCounts = z.infer<typeof StreamRunCounts>;

/** What a run did so far, as its page shows it (null where the kind of run has none). */
export const RunStats = z.object({
  pages: z.number().int().nullable().describe('a sync: Duo pages stored, over its streams'),
  events: z.number().int().nullable().describe('a sync: events stored, new and updated'),
  windows: z
    .object({ done: z.number().int(), total: z.number().int() })
    .nullable()
    .describe('a sync: time windows read, of those planned when its streams started'),
  firstSync: z.boolean().describe('a sync reading a stream for the first time'),
  warnings: z.array(z.string()).describe('what the run warned about, in order'),
});
export type RunStats = z.infer<typeof RunStats>;

export const Run = z.object({
  id: z.string(),
  sourceId: z.string(),
  kind: z.enum(RUN_KINDS),
  trigger: z.enum(RUN_TRIGGERS),
  status: z.enum(RUN_STATUSES),
  counts: z
    .record(z.string(), z.union([StreamRunCounts, z.number()]))
    .describe('a sync: per stream; an aggregation: accounts, entitlements, …'),
  progress: z.unknown().describe('the runner’s own progress record, shown as is'),
  progressShare: z
    .number()
    .min(0)
    .max(1)
    .nullable()
    .describe(
      'share done, 0–1 (accounts seen of expected; the backfill of the stream least far along); null: unknown',
    ),
  stats: RunStats,
  error: StoredError.nullable(),
  createdAt: EpochMs,
  startedAt: EpochMs.nullable(),
  finishedAt: EpochMs.nullable(),
  heartbeatAt: EpochMs.nullable(),
});
export type Run = z.infer<typeof Run>;

export const RunList = z.object({ runs: z.array(Run), next: Next });
export type RunList = z.infer<typeof RunList>;

/** The answer of `aggregate` and `sync` (202): the run started, to poll at `/runs/:runId`. */
export const RunStarted = z.object({ runId: z.string(), run: Run });
export type RunStarted = z.infer<typeof RunStarted>;
