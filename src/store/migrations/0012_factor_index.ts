/**
 * A source's activity searched by factor reads each stream's matching events newest first from
 * (stream_id, factor, ts_ms), as result and application searches read theirs: without it a rare
 * factor (a hardware token among pushes) reads the stream's whole (stream_id, ts_ms) range to
 * fill a page. Partial: administrator and activity-log events name no factor and are left out.
 */
import { sql } from 'kysely';
import type { Db } from '../dialect.js';
import type { Migration } from './migration.js';

export const migration0012: Migration = {
  id: '0012_factor_index',
  async up(db: Db): Promise<void> {
    await db.schema
      .createIndex('activity_events_stream_factor')
      .on('activity_events')
      .columns(['stream_id', 'factor', 'ts_ms'])
      .where(sql<boolean>`factor is not null`)
      .execute();
  },
};
