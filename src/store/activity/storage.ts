/**
 * What activity occupies: stored events per stream of a source, and bytes on disk in total and
 * per stored event (the figures the benchmark reports).
 *
 * @example const { bytesPerEvent } = await storageStats(db);
 */
import type { StreamName } from '../../domain/streams.js';
import type { EpochMs } from '../../domain/time.js';
import { dialectOf, type Db, type TableSize } from '../dialect.js';

/**
 * Stored events per stream of a source in `[fromMs, toMs)` (the ground truth tests compare
 * with the simulator's). Streams without events are absent.
 */
export async function countActivityEvents(
  db: Db,
  query: { readonly sourceId: string; readonly fromMs?: EpochMs; readonly toMs?: EpochMs },
): Promise<Partial<Record<StreamName, number>>> {
  const counts: Partial<Record<StreamName, number>> = {};
  const streams = await db
    .selectFrom('event_streams')
    .select(['id', 'stream'])
    .where('source_id', '=', query.sourceId)
    .execute();
  // One range of the (stream_id, ts_ms, …) unique index per stream: a count of index entries.
  for (const { id, stream } of streams) {
    let q = db
      .selectFrom('activity_events')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('stream_id', '=', id);
    if (query.fromMs !== undefined) q = q.where('ts_ms', '>=', query.fromMs);
    if (query.toMs !== undefined) q = q.where('ts_ms', '<', query.toMs);
    const { count } = await q.executeTakeFirstOrThrow();
    if (count > 0) counts[stream as StreamName] = count;
  }
  return counts;
}

export interface StorageStats {
  /** Every table of the store, indexes included. */
  readonly totalBytes: number;
  /** `activity_events`, `event_streams`, its rollups and `strings`, indexes included. */
  readonly activityBytes: number;
  readonly events: number;
  /** `activityBytes / events` (0 without events). */
  readonly bytesPerEvent: number;
  readonly tables: readonly TableSize[];
}

/** Bytes on disk, in total and per stored event (SQLite `dbstat`, PostgreSQL relation sizes). */
export async function storageStats(db: Db): Promise<StorageStats> {
  const tables = await dialectOf(db).tableSizes(db);
  const activityTables = new Set([
    'activity_events',
    'event_streams',
    'activity_daily',
    'activity_last',
    'activity_usage_daily',
    'activity_org_daily',
    'strings',
  ]);
  const activityBytes = tables
    .filter((t) => activityTables.has(t.table))
    .reduce((sum, t) => sum + t.bytes, 0);
  const row = await db
    .selectFrom('activity_events')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  const events = row.count;
  return {
    totalBytes: tables.reduce((sum, t) => sum + t.bytes, 0),
    activityBytes,
    events,
    bytesPerEvent: events === 0 ? 0 : activityBytes / events,
    tables,
  };
}
