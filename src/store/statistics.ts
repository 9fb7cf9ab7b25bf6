/**
 * The planner's statistics after a large write. PostgreSQL plans every query from them: a table
 * its autovacuum has not analysed yet (a first sync that stored millions of events minutes ago,
 * or a server run with autovacuum off) is planned as if it held a few rows, and a search of
 * three filters sorted every match of a common value (286 ms instead of under 2 ms at 300,000
 * events) while a report's pages scanned whole tables. So a run that changed a table by more than
 * autovacuum's own threshold analyses it when it ends. SQLite's planner is used, and tested,
 * without statistics: nothing is done there.
 *
 * @example const analysed = await analyseChangedTables(db); // ['activity_events', …]
 */
import { sql } from 'kysely';
import { dialectOf, type Db } from './dialect.js';

/** Rows changed since the last analysis, beyond which a table is analysed: autovacuum's rule. */
const BASE_ROWS = 50;
const SHARE_OF_TABLE = 0.1;

/** Analyses the tables of the store's schema changed enough since their last analysis. */
export async function analyseChangedTables(db: Db): Promise<string[]> {
  if (dialectOf(db).kind !== 'postgres') return [];
  const { rows } = await sql<{ table: string }>`
    select relname as table from pg_stat_user_tables
    where schemaname = current_schema()
      and n_mod_since_analyze > ${sql.lit(BASE_ROWS)} + ${sql.lit(SHARE_OF_TABLE)} * n_live_tup
    order by relname`.execute(db);
  for (const { table } of rows) await sql`analyze ${sql.table(table)}`.execute(db);
  return rows.map((r) => r.table);
}
