/**
 * A source's activity searched by result or by application reads each stream's matching events
 * newest first from (stream_id, result, ts_ms) and (stream_id, application, ts_ms): without them
 * a rare value (result `fraud`) or one a stream never carries (an application on administrator
 * events) reads the stream's whole (stream_id, ts_ms) range to fill a page.
 */
import type { Db } from '../dialect.js';
import type { Migration } from './migration.js';

export const migration0010: Migration = {
  id: '0010_search_indexes',
  async up(db: Db): Promise<void> {
    await db.schema
      .createIndex('activity_events_stream_result')
      .on('activity_events')
      .columns(['stream_id', 'result', 'ts_ms'])
      .execute();
    await db.schema
      .createIndex('activity_events_stream_application')
      .on('activity_events')
      .columns(['stream_id', 'application', 'ts_ms'])
      .execute();
  },
};
