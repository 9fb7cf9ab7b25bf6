/**
 * Records Duo sent that could not be read (a field of the wrong type, an unknown shape): kept
 * whole, with where they came from, so nothing Duo sent is lost and they can be replayed once
 * the reader understands them. One row per distinct record and stream (re-reads add nothing).
 */
import { dialectOf, type Db } from '../dialect.js';
import type { Migration } from './migration.js';

export const migration0003: Migration = {
  id: '0003_rejected_records',
  async up(db: Db): Promise<void> {
    const d = dialectOf(db);
    await db.schema
      .createTable('rejected_records')
      .addColumn('source_id', 'text', (c) =>
        c.notNull().references('sources.id').onDelete('cascade'),
      )
      .addColumn('stream', 'text', (c) => c.notNull())
      .addColumn('record_hash', 'text', (c) => c.notNull())
      .addColumn('run_id', 'text')
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('error', 'text', (c) => c.notNull())
      .addColumn('raw', 'text', (c) => c.notNull())
      .addColumn('first_seen_at', d.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('rejected_records_pk', ['source_id', 'stream', 'record_hash'])
      .execute();
  },
};
