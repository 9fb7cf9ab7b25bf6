/**
 * The streams events belong to, named once: `event_streams` maps each (source, stream) to the
 * small integer id every event row carries, so no row or index entry repeats the source id and
 * the stream name. A source's deletion removes its event streams and, with them, its events.
 *
 * @example const id = await eventStreamId(trx, sourceId, 'authentication');
 */
import { NotFoundError } from '../../domain/errors.js';
import type { StreamName } from '../../domain/streams.js';
import { chunks } from '../columns.js';
import { dialectOf, rowsPerStatement, type Db } from '../dialect.js';

export interface EventStream {
  readonly id: number;
  readonly sourceId: string;
  readonly stream: StreamName;
}

/**
 * The id of a source's stream, creating it on first use (inside the caller's transaction, so a
 * rollback takes it back too).
 *
 * @example const id = await eventStreamId(trx, sourceId, 'telephony');
 */
export async function eventStreamId(
  trx: Db,
  sourceId: string,
  stream: StreamName,
): Promise<number> {
  const found = await findEventStreamId(trx, sourceId, stream);
  if (found !== undefined) return found;
  await trx
    .insertInto('event_streams')
    .values({ source_id: sourceId, stream })
    .onConflict((oc) => oc.columns(['source_id', 'stream']).doNothing())
    .execute();
  const id = await findEventStreamId(trx, sourceId, stream);
  if (id === undefined) throw new Error(`stream ${stream} of source ${sourceId} was not created`);
  return id;
}

/** The id of a source's stream, or undefined when it has no events yet (never inserts). */
export async function findEventStreamId(
  db: Db,
  sourceId: string,
  stream: StreamName,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('event_streams')
    .select('id')
    .where('source_id', '=', sourceId)
    .where('stream', '=', stream)
    .executeTakeFirst();
  return row?.id;
}

/**
 * The ids of the event streams matching a source and/or stream names (every one when neither is
 * given): what queries filter `activity_events.stream_id` by.
 *
 * @example const ids = await eventStreamIds(db, { streams: ['authentication'] });
 */
export async function eventStreamIds(
  db: Db,
  filter: { readonly sourceId?: string; readonly streams?: readonly StreamName[] },
): Promise<number[]> {
  let q = db.selectFrom('event_streams').select('id');
  if (filter.sourceId !== undefined) q = q.where('source_id', '=', filter.sourceId);
  if (filter.streams !== undefined) q = q.where('stream', 'in', [...filter.streams, '']);
  return (await q.orderBy('id').execute()).map((r) => r.id);
}

/** The event streams with these ids (to name the source and stream of rows read back). */
export async function eventStreamsById(
  db: Db,
  ids: Iterable<number>,
): Promise<Map<number, EventStream>> {
  const found = new Map<number, EventStream>();
  for (const batch of chunks([...new Set(ids)], rowsPerStatement(db, 1))) {
    const rows = await db
      .selectFrom('event_streams')
      .select(['id', 'source_id', 'stream'])
      .where('id', 'in', batch)
      .execute();
    for (const r of rows)
      found.set(r.id, { id: r.id, sourceId: r.source_id, stream: r.stream as StreamName });
  }
  return found;
}

/** The lock ingest holds shared on a source for its transaction, and its deletion exclusively. */
function sourceActivityLock(sourceId: string): string {
  return `duo-insights:source-activity:${sourceId}`;
}

/**
 * Holds the source for the rest of an ingest transaction: its deletion waits for the commit
 * (and then deletes what it wrote), and an ingest after the deletion fails here, naming the
 * source, instead of writing rows nothing refers to (events and rollups carry no foreign key
 * on PostgreSQL: it would cost a query per row). Shared: a source's streams ingest side by side.
 *
 * @example await holdSourceForIngest(trx, sourceId);
 */
export async function holdSourceForIngest(trx: Db, sourceId: string): Promise<void> {
  await dialectOf(trx).lockSharedForTransaction(trx, sourceActivityLock(sourceId));
  const found = await trx
    .selectFrom('sources')
    .select('id')
    .where('id', '=', sourceId)
    .executeTakeFirst();
  if (found === undefined) throw new NotFoundError('source', sourceId);
}

/**
 * Deletes a source's events and rollups (inside the caller's transaction, before the source
 * itself), once every ingest holding the source has committed: their rows are then visible to
 * these deletes, and later ingests find the source gone.
 *
 * @example await deleteSourceActivity(trx, sourceId); await trx.deleteFrom('sources')…
 */
export async function deleteSourceActivity(trx: Db, sourceId: string): Promise<void> {
  await dialectOf(trx).lockForTransaction(trx, sourceActivityLock(sourceId));
  await trx
    .deleteFrom('activity_events')
    .where(
      'stream_id',
      'in',
      trx.selectFrom('event_streams').select('id').where('source_id', '=', sourceId),
    )
    .execute();
  for (const table of [
    'activity_daily',
    'activity_usage_daily',
    'activity_last',
    'activity_org_daily',
  ] as const)
    await trx.deleteFrom(table).where('source_id', '=', sourceId).execute();
}
