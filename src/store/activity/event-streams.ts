/**
 * The streams events belong to, named once: `event_streams` maps each (source, stream) to the
 * small integer id every event row carries, so no row or index entry repeats the source id and
 * the stream name. A source's deletion removes its event streams and, with them, its events.
 *
 * @example const id = await eventStreamId(trx, sourceId, 'authentication');
 */
import type { StreamName } from '../../domain/streams.js';
import { chunks } from '../columns.js';
import { rowsPerStatement, type Db } from '../dialect.js';

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
