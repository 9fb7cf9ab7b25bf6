/**
 * Retention: deleting a stream's raw events older than a cutoff, and a source's per-day rollups
 * older than theirs, a small batch per statement so a deletion never holds the write lock (SQLite)
 * or a long transaction (PostgreSQL) for more than a moment. The caller loops and pauses between
 * batches; each batch commits on its own, so an interrupted deletion simply continues next time.
 * `activity_last` (last activity and last success per Duo user) is never deleted: it is what an
 * identity's "last activity" reads long after the events are gone.
 *
 * @example while ((await deleteEventsBefore(db, { streamId, beforeMs, limit: 2_000 })) > 0) await pause();
 */
import { sql } from 'kysely';
import { dayOf } from '../../domain/activity.js';
import type { StreamName } from '../../domain/streams.js';
import type { EpochMs } from '../../domain/time.js';
import { epochMs } from '../columns.js';
import { dialectOf, type Db } from '../dialect.js';

/**
 * Deletes up to `limit` of a stream's events with `ts_ms < beforeMs`, oldest first, and answers
 * how many it deleted (0: nothing older is left). The rows are found on the unique
 * (stream_id, ts_ms, natural_key) index: a range read, never a scan of the table.
 */
export async function deleteEventsBefore(
  db: Db,
  batch: { readonly streamId: number; readonly beforeMs: EpochMs; readonly limit: number },
): Promise<number> {
  const oldest = db
    .selectFrom('activity_events')
    .select('id')
    .where('stream_id', '=', batch.streamId)
    .where('ts_ms', '<', batch.beforeMs)
    .orderBy('stream_id')
    .orderBy('ts_ms')
    .limit(batch.limit);
  const result = await db
    .deleteFrom('activity_events')
    .where('id', 'in', oldest)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Deletes a source's per-day rollups (`activity_daily`, `activity_usage_daily`) of the Duo users
 * `userKeys` for days before `beforeDay`: each table's primary key leads with (user_key, day), so
 * this reads only the rows it deletes.
 */
export async function deleteUserRollupsBefore(
  db: Db,
  batch: {
    readonly sourceId: string;
    readonly userKeys: readonly number[];
    readonly beforeDay: number;
  },
): Promise<number> {
  if (batch.userKeys.length === 0) return 0;
  let deleted = 0;
  for (const table of ['activity_daily', 'activity_usage_daily'] as const) {
    const result = await db
      .deleteFrom(table)
      .where('user_key', 'in', [...batch.userKeys])
      .where('day', '<', batch.beforeDay)
      .where('source_id', '=', batch.sourceId)
      .executeTakeFirst();
    deleted += Number(result.numDeletedRows);
  }
  return deleted;
}

/** Deletes a source's organisation per-day totals before `beforeDay` (a row per day: one statement). */
export async function deleteOrgRollupsBefore(
  db: Db,
  query: { readonly sourceId: string; readonly beforeDay: number },
): Promise<number> {
  const result = await db
    .deleteFrom('activity_org_daily')
    .where('day', '<', query.beforeDay)
    .where('source_id', '=', query.sourceId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * The next `limit` Duo users of a source after `afterUserKey`, in key order: the batches the
 * rollup deletion walks (every user with activity has an `activity_last` row).
 */
export async function sourceUserKeys(
  db: Db,
  query: { readonly sourceId: string; readonly afterUserKey: number; readonly limit: number },
): Promise<number[]> {
  const rows = await db
    .selectFrom('activity_last')
    .select('user_key')
    .where('source_id', '=', query.sourceId)
    .where('user_key', '>', query.afterUserKey)
    .orderBy('user_key')
    .limit(query.limit)
    .execute();
  return rows.map((r) => r.user_key);
}

/** The first UTC day a rollup cutoff keeps (days before it are deleted). */
export function rollupCutoffDay(beforeMs: EpochMs): number {
  return dayOf(beforeMs);
}

/** What one stream of a source holds. */
export interface StreamStorage {
  readonly stream: StreamName;
  readonly streamId: number;
  readonly events: number;
  readonly oldestMs: EpochMs | null;
  readonly newestMs: EpochMs | null;
  /**
   * The store's event bytes (events, rollups and their indexes) shared out by event count: an
   * estimate, since neither database sizes one stream's rows without reading them all.
   */
  readonly estimatedBytes: number;
}

/**
 * Events, oldest and newest event and estimated bytes of each stream of a source. Counts read the
 * stream's range of the unique index; oldest and newest are one index probe each.
 */
export async function sourceStreamStorage(db: Db, sourceId: string): Promise<StreamStorage[]> {
  const streams = await db
    .selectFrom('event_streams')
    .select(['id', 'stream'])
    .where('source_id', '=', sourceId)
    .orderBy('stream')
    .execute();
  const counted = [];
  for (const { id, stream } of streams) {
    const row = await db
      .selectFrom('activity_events')
      .select((eb) => [
        eb.fn.countAll<number>().as('events'),
        eb.fn.min<number | null>('ts_ms').as('oldest'),
        eb.fn.max<number | null>('ts_ms').as('newest'),
      ])
      .where('stream_id', '=', id)
      .executeTakeFirstOrThrow();
    counted.push({
      stream: stream as StreamName,
      streamId: id,
      events: row.events,
      oldestMs: row.oldest === null ? null : epochMs(row.oldest),
      newestMs: row.newest === null ? null : epochMs(row.newest),
    });
  }
  const total = await totalEvents(db);
  const bytes = total === 0 ? 0 : await eventBytes(db);
  return counted.map((s) => ({
    ...s,
    estimatedBytes: total === 0 ? 0 : Math.round((bytes * s.events) / total),
  }));
}

async function totalEvents(db: Db): Promise<number> {
  const row = await db
    .selectFrom('activity_events')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return row.count;
}

/**
 * Bytes the events take: on PostgreSQL the events table with its indexes and TOAST; on SQLite the
 * file's pages in use (events are nearly all of it; sizing one table would read every page).
 */
async function eventBytes(db: Db): Promise<number> {
  if (dialectOf(db).kind === 'postgres') {
    const { rows } = await sql<{
      bytes: string;
    }>`select pg_total_relation_size('activity_events') as bytes`.execute(db);
    return Number(rows[0]?.bytes ?? 0);
  }
  const pages = await sql<{ n: number }>`select page_count - freelist_count as n
    from pragma_page_count(), pragma_freelist_count()`.execute(db);
  const size = await sql<{ n: number }>`select page_size as n from pragma_page_size()`.execute(db);
  return (pages.rows[0]?.n ?? 0) * (size.rows[0]?.n ?? 0);
}
