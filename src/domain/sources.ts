/**
 * A source is one configured connector: a Duo source (accounts and entitlements by
 * aggregation) or an Activity Insights – Duo source (log streams). Credentials are write-only:
 * a `Source` says whether a secret is set, never what it is.
 *
 * @example if (source.state !== 'verified') throw new Error('test the connection first');
 */
import { SourceNotReadyError } from './errors.js';
import type { RunKind } from './runs.js';
import { DAY_MS, HOUR_MS, type EpochMs } from './time.js';

export const SOURCE_TYPES = ['duo', 'duo-activity'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

/**
 * `unconfigured` (no credentials) → `configured` (credentials saved, untested) → `verified`
 * (last test passed) or `failing` (last test or run failed). Only a verified source syncs.
 */
export const SOURCE_STATES = ['unconfigured', 'configured', 'verified', 'failing'] as const;
export type SourceState = (typeof SOURCE_STATES)[number];

export interface SourceSettings {
  /** Activity sync interval. Default 24 h. */
  readonly syncIntervalMs: number;
  /** Aggregation schedule; null = manual only. */
  readonly aggregationIntervalMs: number | null;
  /** Trailing window re-read on every sync. Default 72 h. */
  readonly reconciliationHours: number;
  /** History fetched in the background on the first sync. Default 30, at most 180. */
  readonly backfillDays: number;
  /** Aggregation refuses to delete more than this share of accounts. Default 0.2. */
  readonly maxDeleteShare: number;
  /** Aggregation creates an identity for an account that correlates to none. Default true. */
  readonly createIdentities: boolean;
  /**
   * A PEM file of CA certificates trusted for this source's Duo host (absolute path on the
   * server); null = the process's `DUO_INSIGHTS_CA_FILE`, if any.
   */
  readonly caFile: string | null;
  /**
   * The HTTPS proxy this source reaches Duo through (`http://proxy:3128`, no password); null =
   * the process's `HTTPS_PROXY`, if any.
   */
  readonly proxyUrl: string | null;
  /**
   * Days raw events are kept (default 400, at least Duo's own 180): older ones are deleted in
   * small batches, off the sync's path, once every destination has delivered them.
   */
  readonly retentionDays: number;
  /** Days the per-day rollups (chart, days active, usage) are kept: default 3 years, ≥ retentionDays. */
  readonly rollupRetentionDays: number;
}

export const DEFAULT_SOURCE_SETTINGS: SourceSettings = {
  syncIntervalMs: 24 * HOUR_MS,
  aggregationIntervalMs: null,
  reconciliationHours: 72,
  backfillDays: 30,
  maxDeleteShare: 0.2,
  createIdentities: true,
  caFile: null,
  proxyUrl: null,
  retentionDays: 400,
  rollupRetentionDays: 3 * 365,
};

/** Raw events are kept at least as long as Duo keeps them, so a re-read never recreates deleted ones. */
export const MIN_RETENTION_DAYS = 180;
/** The longest retention a source may set, raw events or rollups (ten years). */
export const MAX_RETENTION_DAYS = 3650;

/** Why a source's two retentions do not fit together (rollups outlive their events), or undefined. */
export function retentionProblem(
  settings: Pick<SourceSettings, 'retentionDays' | 'rollupRetentionDays'>,
): string | undefined {
  return settings.rollupRetentionDays < settings.retentionDays
    ? `must be at least retentionDays (${settings.retentionDays}): rollups are kept at least as long as the events they count`
    : undefined;
}

/** The verdict of the last Test Connection, as shown to the user. */
export interface ConnectionTestResult {
  readonly ok: boolean;
  readonly at: EpochMs;
  /** A closed code from the Duo client (e.g. `bad_signature`), absent when ok. */
  readonly code?: string;
  readonly message: string;
  /** Extra facts (permissions found, clock skew, ...), shape owned by the tester. */
  readonly details?: unknown;
  /**
   * A Duo source's test: whether the credential may change users and groups ("Grant write
   * resource"); null when the probe could not tell; absent for an activity source.
   */
  readonly writeGranted?: boolean | null;
}

export interface Source {
  readonly id: string;
  readonly type: SourceType;
  readonly name: string;
  readonly description: string | null;
  readonly ownerIdentityId: string;
  readonly governanceGroupId: string | null;
  readonly apiHost: string | null;
  readonly integrationKey: string | null;
  /** Whether a secret key is stored (it is never returned). */
  readonly hasSecret: boolean;
  readonly settings: SourceSettings;
  readonly state: SourceState;
  readonly lastTest: ConnectionTestResult | null;
  /**
   * Whether the credential may change users and groups in Duo ("Grant write resource"), as the
   * last Test Connection of a Duo source found; null when not tested (an activity source, new
   * credentials, a test that failed before it could tell).
   */
  readonly writeGranted: boolean | null;
  readonly createdAt: EpochMs;
  readonly updatedAt: EpochMs;
}

export interface NewSource {
  readonly type: SourceType;
  readonly name: string;
  readonly description?: string | null;
  readonly ownerIdentityId: string;
  readonly governanceGroupId?: string | null;
  readonly settings?: Partial<SourceSettings>;
}

/** What Duo needs to sign requests; only ever held in memory, never logged. */
export interface SourceCredentials {
  readonly apiHost: string;
  readonly integrationKey: string;
  readonly secretKey: string;
}

/** The deepest backfill a first sync may fetch, in days: Duo keeps logs for 180 days. */
export const MAX_BACKFILL_DAYS = 180;

export function backfillMs(settings: SourceSettings): number {
  return settings.backfillDays * DAY_MS;
}

/** What a source runs: Duo sources aggregate, Activity Insights sources sync. */
export type SourceRunKind = Extract<RunKind, 'sync' | 'aggregation'>;

/** The kind of run a source has: `aggregation` for a Duo source, `sync` for an activity one. */
export function runKindOf(source: Pick<Source, 'type'>): SourceRunKind {
  return source.type === 'duo-activity' ? 'sync' : 'aggregation';
}

/**
 * Refuses a run of the wrong kind for the source's type, with the one wording every front door
 * (the API, the command line, the scheduler) and the sync engine give.
 *
 * @example assertRunKind(source, 'sync') // throws 'source "Duo" is a Duo source: aggregate it instead'
 */
export function assertRunKind(source: Pick<Source, 'name' | 'type'>, kind: SourceRunKind): void {
  if (kind === runKindOf(source)) return;
  throw new SourceNotReadyError(
    source.type === 'duo'
      ? `source "${source.name}" is a Duo source: aggregate it instead`
      : `source "${source.name}" is an Activity Insights source: sync it instead`,
  );
}
