/**
 * A run is one execution of a connection test, an aggregation or an activity sync, with a
 * status from a closed set, counts per stream, progress and a sanitised error.
 *
 * @example if (isFinished(run.status)) showDuration(run.finishedAt - run.startedAt);
 */
import type { StoredError } from './activity.js';
import type { EpochMs } from './time.js';

export const RUN_KINDS = ['test', 'aggregation', 'sync'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

export const RUN_TRIGGERS = ['manual', 'schedule', 'startup', 'create'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export const RUN_STATUSES = [
  'queued',
  'running',
  'succeeded',
  'partial',
  'failed',
  'cancelled',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const FINISHED_RUN_STATUSES: readonly RunStatus[] = [
  'succeeded',
  'partial',
  'failed',
  'cancelled',
];

export function isFinished(status: RunStatus): boolean {
  return FINISHED_RUN_STATUSES.includes(status);
}

export interface StreamRunCounts {
  readonly pages: number;
  readonly eventsNew: number;
  readonly eventsUpdated: number;
  readonly rejected: number;
  readonly rateLimited: number;
}

/** Syncs key by stream name; aggregations use their own keys (accounts, entitlements, ...). */
export type RunCounts = Readonly<Record<string, StreamRunCounts | number>>;

export interface Run {
  readonly id: string;
  readonly sourceId: string;
  readonly kind: RunKind;
  readonly trigger: RunTrigger;
  readonly status: RunStatus;
  readonly counts: RunCounts;
  /** Shape owned by the runner (e.g. backfill share done); shown as is. */
  readonly progress: unknown;
  readonly error: StoredError | null;
  readonly startedAt: EpochMs | null;
  readonly finishedAt: EpochMs | null;
  readonly heartbeatAt: EpochMs | null;
  readonly createdAt: EpochMs;
}
