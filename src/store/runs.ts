/**
 * Runs: one execution of a connection test, an aggregation or a sync, with its status (a
 * closed set), counts, progress, error and heartbeat.
 *
 * @example
 *   const run = await createRun(db, { sourceId, kind: 'sync', trigger: 'schedule' });
 *   await startRun(db, run.id); ...; await finishRun(db, run.id, { status: 'succeeded', counts });
 */
import type { Selectable } from 'kysely';
import type { StoredError } from '../domain/activity.js';
import { NotFoundError } from '../domain/errors.js';
import {
  type Run,
  type RunCounts,
  type RunKind,
  type RunStatus,
  type RunTrigger,
} from '../domain/runs.js';
import { nowMs, type EpochMs } from '../domain/time.js';
import { epochMs, epochMsOrNull, fromJson, newId, toJson, toJsonOrNull } from './columns.js';
import type { Db } from './dialect.js';
import type { RunsTable } from './schema.js';

export function toRun(row: Selectable<RunsTable>): Run {
  return {
    id: row.id,
    sourceId: row.source_id,
    kind: row.kind as RunKind,
    trigger: row.trigger as RunTrigger,
    status: row.status as RunStatus,
    counts: (fromJson(row.counts) as RunCounts | null) ?? {},
    progress: fromJson(row.progress),
    error: fromJson(row.error) as StoredError | null,
    createdAt: epochMs(row.created_at),
    startedAt: epochMsOrNull(row.started_at),
    finishedAt: epochMsOrNull(row.finished_at),
    heartbeatAt: epochMsOrNull(row.heartbeat_at),
  };
}

/** Queues a run (status `queued`). */
export async function createRun(
  db: Db,
  input: { readonly sourceId: string; readonly kind: RunKind; readonly trigger: RunTrigger },
): Promise<Run> {
  const row = await db
    .insertInto('runs')
    .values({
      id: newId(),
      source_id: input.sourceId,
      kind: input.kind,
      trigger: input.trigger,
      status: 'queued',
      counts: toJson({}),
      progress: null,
      error: null,
      created_at: nowMs(),
      started_at: null,
      finished_at: null,
      heartbeat_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toRun(row);
}

export async function findRun(db: Db, id: string): Promise<Run | undefined> {
  const row = await db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toRun(row);
}

export async function getRun(db: Db, id: string): Promise<Run> {
  const run = await findRun(db, id);
  if (!run) throw new NotFoundError('run', id);
  return run;
}

/** Marks a queued run `running` now (and beats its heart). */
export async function startRun(db: Db, id: string, now: EpochMs = nowMs()): Promise<Run> {
  return updateRun(db, id, { status: 'running', started_at: now, heartbeat_at: now });
}

/** Saves progress and/or counts so far, and beats the heart (proof the runner is alive). */
export async function recordRunProgress(
  db: Db,
  id: string,
  update: { readonly progress?: unknown; readonly counts?: RunCounts },
  now: EpochMs = nowMs(),
): Promise<Run> {
  return updateRun(db, id, {
    heartbeat_at: now,
    ...(update.progress === undefined ? {} : { progress: toJsonOrNull(update.progress) }),
    ...(update.counts === undefined ? {} : { counts: toJson(update.counts) }),
  });
}

/** Ends a run with a final status, its counts and (when it failed) a sanitised error. */
export async function finishRun(
  db: Db,
  id: string,
  outcome: {
    readonly status: Extract<RunStatus, 'succeeded' | 'partial' | 'failed' | 'cancelled'>;
    readonly counts?: RunCounts;
    readonly error?: StoredError | null;
    readonly progress?: unknown;
  },
  now: EpochMs = nowMs(),
): Promise<Run> {
  return updateRun(db, id, {
    status: outcome.status,
    finished_at: now,
    heartbeat_at: now,
    ...(outcome.counts === undefined ? {} : { counts: toJson(outcome.counts) }),
    ...(outcome.error === undefined ? {} : { error: toJsonOrNull(outcome.error) }),
    ...(outcome.progress === undefined ? {} : { progress: toJsonOrNull(outcome.progress) }),
  });
}

async function updateRun(
  db: Db,
  id: string,
  columns: Partial<Omit<Selectable<RunsTable>, 'id'>>,
): Promise<Run> {
  const row = await db
    .updateTable('runs')
    .set(columns)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFoundError('run', id);
  return toRun(row);
}

/** A source's runs, newest first; `before` is the last run of the previous page. */
export async function listRuns(
  db: Db,
  query: {
    readonly sourceId: string;
    readonly kind?: RunKind;
    readonly limit?: number;
    readonly before?: Run;
  },
): Promise<Run[]> {
  let q = db.selectFrom('runs').selectAll().where('source_id', '=', query.sourceId);
  if (query.kind !== undefined) q = q.where('kind', '=', query.kind);
  const before = query.before;
  if (before)
    // A row value starts the (source_id, created_at) index range at the cursor; both columns
    // are NOT NULL.
    q = q.where((eb) =>
      eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(before.createdAt, before.id)),
    );
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit ?? 50)
    .execute();
  return rows.map(toRun);
}

/** The source's queued or running run (of a kind), if any. */
export async function findActiveRun(
  db: Db,
  sourceId: string,
  kind?: RunKind,
): Promise<Run | undefined> {
  let q = db
    .selectFrom('runs')
    .selectAll()
    .where('source_id', '=', sourceId)
    .where('status', 'in', ['queued', 'running']);
  if (kind !== undefined) q = q.where('kind', '=', kind);
  const row = await q.orderBy('created_at', 'desc').executeTakeFirst();
  return row && toRun(row);
}

/**
 * Fails a source's runs still marked `queued` or `running`. Only the holder of the source's
 * lease calls this: any such run belongs to a process that died (its lease expired and was taken
 * over) — `queued` when it died between creating its run and starting it. Returns how many were
 * failed.
 *
 * @example await failAbandonedRunsOfSource(db, sourceId); // right after acquiring the lease
 */
export async function failAbandonedRunsOfSource(
  db: Db,
  sourceId: string,
  now: EpochMs = nowMs(),
): Promise<number> {
  const result = await db
    .updateTable('runs')
    .set({ status: 'failed', finished_at: now, error: toJson(ABANDONED) })
    .where('source_id', '=', sourceId)
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * The sources with a run still queued or running: each such run is live (its process holds
 * the source's lease) or abandoned (its process stopped); the lease tells which.
 */
export async function listSourcesWithUnfinishedRuns(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('runs')
    .select('source_id')
    .distinct()
    .where('status', 'in', ['queued', 'running'])
    .execute();
  return rows.map((r) => r.source_id);
}

const ABANDONED: StoredError = {
  code: 'abandoned',
  message: 'the process running this stopped before it finished',
};

/**
 * Fails runs left `running` by a process that died: no heartbeat since `heartbeatBefore`.
 * Returns how many were failed.
 */
export async function failAbandonedRuns(
  db: Db,
  heartbeatBefore: EpochMs,
  now: EpochMs = nowMs(),
): Promise<number> {
  const result = await db
    .updateTable('runs')
    .set({ status: 'failed', finished_at: now, error: toJson(ABANDONED) })
    .where('status', '=', 'running')
    .where((eb) =>
      eb.or([eb('heartbeat_at', 'is', null), eb('heartbeat_at', '<', heartbeatBefore)]),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
