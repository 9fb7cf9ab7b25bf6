/**
 * Compact activity events, written at the end of their indexes:
 *
 * - `event_streams` names each (source, stream) once; an event row holds its integer id instead
 *   of the 36-character source id and the stream name, and so does every index entry.
 * - The unique key is (stream_id, ts_ms, natural_key): it leads with time, so a new event lands
 *   at the end of the index instead of at a random place (a Duo record keeps its time when Duo
 *   sends it again). Its (stream_id, ts_ms) prefix serves what the (source_id, stream, ts_ms)
 *   index served: counts per stream and time, the timeline of a source or stream, deletes of a
 *   source's events.
 * - The (stream_id, txid) index holds only telephony rows still waiting for their authentication's user
 *   (`user_key is null`): the only rows the txid is looked up for.
 *
 * Existing events are copied set-based, in id order, keeping their ids (timeline cursors stay
 * valid); the indexes are built after the copy.
 */
import { sql } from 'kysely';
import { dialectOf, type Db } from '../dialect.js';
import type { Migration } from './migration.js';

export const migration0009: Migration = {
  id: '0009_compact_events',
  async up(db: Db): Promise<void> {
    const d = dialectOf(db);
    const s = db.schema;

    await d
      .autoId(s.createTable('event_streams'))
      .addColumn('source_id', 'text', (c) =>
        c.notNull().references('sources.id').onDelete('cascade'),
      )
      .addColumn('stream', 'text', (c) => c.notNull())
      .addUniqueConstraint('event_streams_source_stream', ['source_id', 'stream'])
      .execute();
    await sql`insert into event_streams (source_id, stream)
      select distinct source_id, stream from activity_events order by source_id, stream`.execute(
      db,
    );

    // The strings columns carry no foreign keys: ingest checks nine per row otherwise, and
    // strings are never deleted.
    await d
      .autoId(s.createTable('activity_events_compact'))
      .addColumn('stream_id', d.bigint, (c) =>
        c.notNull().references('event_streams.id').onDelete('cascade'),
      )
      .addColumn('natural_key', 'text', (c) => c.notNull())
      .addColumn('ts_ms', d.bigint, (c) => c.notNull())
      .addColumn('user_key', d.bigint)
      .addColumn('username', d.bigint)
      .addColumn('result', d.bigint)
      .addColumn('reason', d.bigint)
      .addColumn('factor', d.bigint)
      .addColumn('application', d.bigint)
      .addColumn('location', d.bigint)
      .addColumn('access_os', d.bigint)
      .addColumn('access_browser', d.bigint)
      .addColumn('ip', 'text')
      .addColumn('txid', 'text')
      .addColumn('payload', d.blob, (c) => c.notNull())
      .execute();
    await sql`insert into activity_events_compact (id, stream_id, natural_key, ts_ms, user_key,
        username, result, reason, factor, application, location, access_os, access_browser, ip,
        txid, payload)
      select e.id, es.id, e.natural_key, e.ts_ms, e.user_key, e.username, e.result, e.reason,
        e.factor, e.application, e.location, e.access_os, e.access_browser, e.ip, e.txid, e.payload
      from activity_events e
      join event_streams es on es.source_id = e.source_id and es.stream = e.stream
      order by e.id`.execute(db);
    await s.dropTable('activity_events').execute();
    await s.alterTable('activity_events_compact').renameTo('activity_events').execute();
    await d.continueAutoId(db, 'activity_events');

    await s
      .createIndex('activity_events_natural_key')
      .on('activity_events')
      .unique()
      .columns(['stream_id', 'ts_ms', 'natural_key'])
      .execute();
    await s
      .createIndex('activity_events_user_ts')
      .on('activity_events')
      .columns(['user_key', 'ts_ms'])
      .execute();
    // Telephony rows naming their authentication's txid while they wait for its user; an
    // authentication's own txid is its natural key and is not stored again.
    await s
      .createIndex('activity_events_waiting_txid')
      .on('activity_events')
      .columns(['stream_id', 'txid'])
      .where(sql<boolean>`txid is not null and user_key is null`)
      .execute();
  },
};
