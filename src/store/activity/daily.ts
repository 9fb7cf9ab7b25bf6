/**
 * The daily rollup of activity events (`activity_daily`: events per Duo user, UTC day, stream
 * and result) that insights read. Ingest adds each transaction's changes as one `RollupDelta`;
 * `recountActivityDaily` recomputes the rollup from raw events, to check it.
 *
 * @example
 *   const delta = new RollupDelta();
 *   delta.add(userKeyId, event.tsMs, resultId, 1);
 *   await applyRollup(trx, sourceId, 'authentication', delta);
 */
import { sql } from 'kysely';
import { dayOf } from '../../domain/activity.js';
import type { StreamName } from '../../domain/streams.js';
import { DAY_MS } from '../../domain/time.js';
import { pick, runBatches, type BatchStatement } from '../batch.js';
import { epochMs } from '../columns.js';
import type { Db } from '../dialect.js';

type RollupKey = string;

/** Per-transaction rollup changes: `user|day|result` → delta. */
export class RollupDelta {
  readonly #counts = new Map<RollupKey, number>();
  add(userKey: number | null, tsMs: number, result: number | null, delta: number): void {
    const key = `${String(userKey ?? 0)}|${String(dayOf(epochMs(tsMs)))}|${String(result ?? 0)}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + delta);
  }
  rows(): { user_key: number; day: number; result: number; count: number }[] {
    const out: { user_key: number; day: number; result: number; count: number }[] = [];
    for (const [key, count] of this.#counts) {
      if (count === 0) continue;
      const [user, day, result] = key.split('|').map(Number);
      out.push({ user_key: user ?? 0, day: day ?? 0, result: result ?? 0, count });
    }
    // Sorted: concurrent writers lock rollup rows in one order.
    return out.sort((a, b) => a.user_key - b.user_key || a.day - b.day || a.result - b.result);
  }
}

/** Adds a transaction's rollup changes to `activity_daily` (one upsert per changed cell). */
export async function applyRollup(
  trx: Db,
  sourceId: string,
  stream: StreamName,
  delta: RollupDelta,
): Promise<void> {
  const rows = delta.rows().map((r) => ({ ...r, source_id: sourceId, stream }));
  await runBatches(trx, upsertDaily, rows);
}

interface DailyDelta {
  source_id: string;
  user_key: number;
  day: number;
  stream: string;
  result: number;
  count: number;
}

const DAILY_COLUMNS = ['source_id', 'user_key', 'day', 'stream', 'result', 'count'] as const;

const upsertDaily: BatchStatement<DailyDelta, unknown> = {
  name: 'upsert activity_daily',
  columns: DAILY_COLUMNS,
  arrayTypes: {
    source_id: 'text',
    user_key: 'bigint',
    day: 'bigint',
    stream: 'text',
    result: 'bigint',
    count: 'bigint',
  },
  build: (db, rows) =>
    db
      .insertInto('activity_daily')
      .values(rows.map((r) => pick(r, DAILY_COLUMNS)))
      .onConflict((oc) =>
        oc.columns(['user_key', 'day', 'source_id', 'stream', 'result']).doUpdateSet((eb) => ({
          count: eb('activity_daily.count', '+', eb.ref('excluded.count')),
        })),
      ),
};

export interface DailyRollupRow {
  readonly userKey: number;
  readonly day: number;
  readonly stream: string;
  readonly result: number;
  readonly count: number;
}

/** The stored daily rollup of a source (non-zero cells), in key order. */
export async function listActivityDaily(db: Db, sourceId: string): Promise<DailyRollupRow[]> {
  const rows = await db
    .selectFrom('activity_daily')
    .select(['user_key', 'day', 'stream', 'result', 'count'])
    .where('source_id', '=', sourceId)
    .where('count', '<>', 0)
    .orderBy('user_key')
    .orderBy('day')
    .orderBy('stream')
    .orderBy('result')
    .execute();
  return rows.map(toDailyRollupRow);
}

/** The daily rollup recomputed from raw events (what `listActivityDaily` must equal). */
export async function recountActivityDaily(db: Db, sourceId: string): Promise<DailyRollupRow[]> {
  const rows = await recountQuery(db, sourceId)
    .orderBy('user_key')
    .orderBy('day')
    .orderBy('stream')
    .orderBy('result')
    .execute();
  return rows.map(toDailyRollupRow);
}

function recountQuery(db: Db, sourceId: string) {
  const userKey = sql<number>`coalesce(user_key, 0)`;
  const result = sql<number>`coalesce(result, 0)`;
  const day = sql<number>`ts_ms / ${sql.lit(DAY_MS)}`;
  return db
    .selectFrom('activity_events')
    .innerJoin('event_streams', 'event_streams.id', 'activity_events.stream_id')
    .select([
      userKey.as('user_key'),
      day.as('day'),
      'event_streams.stream',
      result.as('result'),
      (eb) => eb.fn.countAll<number>().as('count'),
    ])
    .where('event_streams.source_id', '=', sourceId)
    .groupBy([userKey, day, 'event_streams.stream', result]);
}

function toDailyRollupRow(row: {
  user_key: number;
  day: number;
  stream: string;
  result: number;
  count: number;
}): DailyRollupRow {
  return {
    userKey: row.user_key,
    day: row.day,
    stream: row.stream,
    result: row.result,
    count: row.count,
  };
}
