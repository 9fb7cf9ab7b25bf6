/**
 * Storage and retention of an Activity Insights – Duo source: what each stream holds (events,
 * oldest and newest, estimated bytes) beside the source's retention and its last retention pass;
 * and "apply retention now" for those who manage the source, audited. The daily passes are the
 * keeper's (`sync/retention.ts`), started with the server.
 *
 * @example const storage = await sourceStorage(app, actor, sourceId);
 */
import { ConflictError } from '../domain/errors.js';
import type { Source } from '../domain/sources.js';
import { DAY_MS, type EpochMs } from '../domain/time.js';
import { sourceStreamStorage, type StreamStorage } from '../store/activity/retention.js';
import type { Db } from '../store/dialect.js';
import { getSource } from '../store/sources.js';
import {
  RETENTION_INTERVAL_MS,
  retentionStatus,
  type RetentionKeeper,
  type RetentionOutcome,
} from '../sync/retention.js';
import { InputError } from '../sync/sources.js';
import { recordAction, type Actor } from './actor.js';
import { assertMayManageSource } from './sources.js';

export interface RetentionDeps {
  readonly db: Db;
  readonly retention: RetentionKeeper;
}

export interface SourceStorage {
  readonly sourceId: string;
  readonly retentionDays: number;
  readonly rollupRetentionDays: number;
  /** Events before this time are deleted by the next pass (now − retentionDays). */
  readonly eventsCutoffMs: EpochMs;
  readonly streams: readonly StreamStorage[];
  readonly events: number;
  readonly estimatedBytes: number;
  /** The last retention pass, or null before the first. */
  readonly lastPass: RetentionOutcome | null;
  /** When the server's keeper runs the next pass (at the latest). */
  readonly nextPassAt: EpochMs;
}

function activitySource(source: Source): Source {
  if (source.type !== 'duo-activity') {
    throw new InputError(
      `source ${source.name} is a Duo source (accounts and groups): only Activity Insights – Duo sources store events and have a retention`,
      [{ field: 'id', message: 'is not an Activity Insights – Duo source' }],
    );
  }
  return source;
}

/** What a source's streams hold, its retention, and its last and next retention pass. */
export async function sourceStorage(
  deps: Pick<RetentionDeps, 'db'>,
  sourceId: string,
  now: EpochMs = Date.now() as EpochMs,
): Promise<SourceStorage> {
  const source = activitySource(await getSource(deps.db, sourceId));
  const streams = await sourceStreamStorage(deps.db, source.id);
  const lastPass = (await retentionStatus(deps.db, source.id)) ?? null;
  return {
    sourceId: source.id,
    retentionDays: source.settings.retentionDays,
    rollupRetentionDays: source.settings.rollupRetentionDays,
    eventsCutoffMs: (now - source.settings.retentionDays * DAY_MS) as EpochMs,
    streams,
    events: streams.reduce((sum, s) => sum + s.events, 0),
    estimatedBytes: streams.reduce((sum, s) => sum + s.estimatedBytes, 0),
    lastPass,
    nextPassAt: (lastPass === null || lastPass.interrupted !== undefined
      ? now
      : Math.max(now, lastPass.at + RETENTION_INTERVAL_MS)) as EpochMs,
  };
}

/**
 * Applies a source's retention now, in batches, and answers what it deleted. Refused while
 * another process (or the daily pass) applies it.
 */
export async function applyRetention(
  deps: RetentionDeps,
  actor: Actor,
  sourceId: string,
): Promise<RetentionOutcome> {
  const source = activitySource(await getSource(deps.db, sourceId));
  await assertMayManageSource(deps.db, actor, source);
  const outcome = await deps.retention.runNow(source);
  if (outcome === undefined) {
    throw new ConflictError(
      `retention of source ${source.name} is already being applied (by the daily pass or another server): its storage shows the result when it ends`,
    );
  }
  await recordAction(deps.db, actor, 'source.retention', {
    type: 'source',
    id: source.id,
    name: source.name,
    details: {
      deleted: outcome.streams.reduce((sum, s) => sum + s.deleted, 0),
      rollupRowsDeleted: outcome.rollupRowsDeleted,
      retentionDays: outcome.retentionDays,
      rollupRetentionDays: outcome.rollupRetentionDays,
      ...(outcome.interrupted === undefined ? {} : { interrupted: outcome.interrupted }),
    },
  });
  return outcome;
}
