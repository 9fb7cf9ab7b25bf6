/**
 * On PostgreSQL, a foreign key runs a query per written row (`select … for key share` of the
 * referenced row, from a trigger): every event checked its stream and every new rollup cell its
 * source — 385k and 282k queries in a 300k-event build, a fifth of the server's ingest CPU.
 * Those keys go: ingest checks its source once per transaction instead (holding it shared,
 * `activity/event-streams.ts`), and deleting a source deletes its events and rollups itself,
 * under the same lock taken exclusively. SQLite keeps its keys (checked by an index probe in the
 * write itself; dropping one would rebuild the table).
 */
import { dialectOf, type Db } from '../dialect.js';
import type { Migration } from './migration.js';

export const migration0011: Migration = {
  id: '0011_ingest_without_row_checks',
  async up(db: Db): Promise<void> {
    const d = dialectOf(db);
    for (const table of [
      'activity_events',
      'activity_daily',
      'activity_usage_daily',
      'activity_last',
      'activity_org_daily',
    ])
      await d.dropPerRowForeignKeys(db, table);
  },
};
