/**
 * Drops two columns of `streams` that nothing ever wrote: `backfill` (a stream's backfill lives
 * in its cursor) and `last_run_id` (a stream's runs are found from `runs`). Both held null on
 * every row, so no data is lost.
 */
import type { Db } from '../dialect.js';
import type { Migration } from './migration.js';

export const migration0007: Migration = {
  id: '0007_drop_unused_stream_columns',
  async up(db: Db): Promise<void> {
    await db.schema.alterTable('streams').dropColumn('backfill').execute();
    await db.schema.alterTable('streams').dropColumn('last_run_id').execute();
  },
};
