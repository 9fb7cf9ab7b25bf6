/**
 * Destinations: where stored activity events are forwarded (syslog, HTTP, a folder of JSON
 * lines), each with its own cursor per event stream.
 *
 * - `destinations`: the settings (JSON, no secret), the secret (HEC token, HMAC key or TLS client
 *   key) encrypted like a source's Duo secret key, and the delivery health kept with each
 *   delivered batch (delivered count, last delivered at, last error).
 * - `destination_cursors`: per destination and event stream, the id of the last event the
 *   destination accepted. Within one stream ids grow in commit order (a stream is written by one
 *   run at a time, page after page), so "the events after this id" never skips a late commit.
 * - an index on `activity_events (stream_id, id)`: a destination reads each stream's events after
 *   its cursor in id order. On SQLite an index on `stream_id` alone is that index (the rowid
 *   `id` ends every index entry); PostgreSQL names both columns.
 */
import { dialectOf, type Db } from '../dialect.js';
import type { Migration } from './migration.js';

export const migration0014: Migration = {
  id: '0014_destinations',
  async up(db: Db): Promise<void> {
    const d = dialectOf(db);
    const s = db.schema;
    await s
      .createTable('destinations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('config', d.json, (c) => c.notNull())
      .addColumn('secret_ciphertext', 'text')
      .addColumn('key_id', 'text')
      .addColumn('source_ids', d.json)
      .addColumn('streams', d.json)
      .addColumn('delivered', d.bigint, (c) => c.notNull().defaultTo(0))
      .addColumn('last_delivered_at', d.bigint)
      .addColumn('last_error', 'text')
      .addColumn('last_error_at', d.bigint)
      .addColumn('created_at', d.bigint, (c) => c.notNull())
      .addColumn('updated_at', d.bigint, (c) => c.notNull())
      .execute();
    await d
      .clustered(
        s
          .createTable('destination_cursors')
          .addColumn('destination_id', 'text', (c) =>
            c.notNull().references('destinations.id').onDelete('cascade'),
          )
          .addColumn('stream_id', d.bigint, (c) =>
            c.notNull().references('event_streams.id').onDelete('cascade'),
          )
          .addColumn('last_event_id', d.bigint, (c) => c.notNull())
          .addPrimaryKeyConstraint('destination_cursors_pk', ['destination_id', 'stream_id']),
      )
      .execute();
    await s
      .createIndex('activity_events_stream_id')
      .on('activity_events')
      .columns(d.kind === 'sqlite' ? ['stream_id'] : ['stream_id', 'id'])
      .execute();
  },
};
