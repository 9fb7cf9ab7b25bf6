/**
 * Three rollups kept at ingest, so insights and reports never read raw events for a heavy
 * identity or the whole organisation:
 *
 * - `activity_last`: per source and Duo user, the newest event and the newest successful
 *   authentication (what "last activity" and "last success" mean in insights and reports);
 * - `activity_usage_daily`: per source, Duo user and UTC day, the applications, factors (of
 *   authentications) and locations used, each with its events and the first and last of them;
 * - `activity_org_daily`: per source and UTC day, the events that name a Duo user and how many
 *   Duo users had their last activity that day (so "users active since day D" is a sum of the
 *   days from D on).
 *
 * Each is filled from the events already stored, in set-based statements.
 */
import { sql, type RawBuilder } from 'kysely';
import { dialectOf, type Db } from '../dialect.js';
import type { Migration } from './migration.js';

export const migration0008: Migration = {
  id: '0008_activity_rollups',
  async up(db: Db): Promise<void> {
    const d = dialectOf(db);
    const s = db.schema;
    await d
      .clustered(
        s
          .createTable('activity_last')
          .addColumn('source_id', 'text', (c) =>
            c.notNull().references('sources.id').onDelete('cascade'),
          )
          .addColumn('user_key', d.bigint, (c) => c.notNull())
          .addColumn('last_ms', d.bigint, (c) => c.notNull())
          .addColumn('last_success_ms', d.bigint)
          .addPrimaryKeyConstraint('activity_last_pk', ['user_key', 'source_id']),
      )
      .execute();
    // One row per Duo user and day; each column holds that day's values of one kind as
    // `value:count:first:last` joined by `;` (first and last in ms since the day began).
    await d
      .clustered(
        s
          .createTable('activity_usage_daily')
          .addColumn('user_key', d.bigint, (c) => c.notNull())
          .addColumn('day', 'integer', (c) => c.notNull())
          .addColumn('source_id', 'text', (c) =>
            c.notNull().references('sources.id').onDelete('cascade'),
          )
          .addColumn('applications', 'text', (c) => c.notNull())
          .addColumn('factors', 'text', (c) => c.notNull())
          .addColumn('locations', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('activity_usage_daily_pk', ['user_key', 'day', 'source_id']),
      )
      .execute();
    await d
      .clustered(
        s
          .createTable('activity_org_daily')
          .addColumn('day', 'integer', (c) => c.notNull())
          .addColumn('source_id', 'text', (c) =>
            c.notNull().references('sources.id').onDelete('cascade'),
          )
          .addColumn('events', d.bigint, (c) => c.notNull())
          .addColumn('users', d.bigint, (c) => c.notNull())
          .addPrimaryKeyConstraint('activity_org_daily_pk', ['day', 'source_id']),
      )
      .execute();
    await backfillActivityRollups(db);
  },
};

const DAY_MS = 86_400_000;

/**
 * Fills the three rollups (which must be empty) from the stored events. `events` is a relation
 * with the columns events had when this migration was written (`source_id` and `stream` in
 * every row); a test passes today's events joined to their streams, to check the backfill writes
 * exactly what ingest writes.
 */
export async function backfillActivityRollups(
  db: Db,
  events: RawBuilder<unknown> = sql`activity_events`,
): Promise<void> {
  const d = dialectOf(db);
  const day = sql.raw(`ts_ms / ${String(DAY_MS)}`);
  await sql`
    insert into activity_last (source_id, user_key, last_ms, last_success_ms)
    select source_id, user_key, max(ts_ms),
      max(case when stream = 'authentication'
        and result = (select id from strings where value = 'success') then ts_ms end)
    from ${events} as ev
    where user_key is not null
    group by user_key, source_id`.execute(db);
  // Per kind, one cell per user, day and value; then one row per user and day.
  const cells = (kind: number, column: string, authenticationOnly: boolean) => sql`
    select user_key, day, source_id, ${sql.lit(kind)} as kind,
      value || ':' || count(*) || ':' || (min(ts_ms) - day * ${sql.lit(DAY_MS)})
        || ':' || (max(ts_ms) - day * ${sql.lit(DAY_MS)}) as cell
    from (
      select user_key, ${day} as day, source_id, ts_ms, ${sql.ref(column)} as value
      from ${events} as ev
      where user_key is not null and ${sql.ref(column)} is not null
        ${authenticationOnly ? sql`and stream = 'authentication'` : sql``}
    ) e
    group by user_key, day, source_id, value`;
  const joined = (kind: number) =>
    sql`coalesce(${d.joinText(sql`case when kind = ${sql.lit(kind)} then cell end`, ';')}, '')`;
  await sql`
    insert into activity_usage_daily (user_key, day, source_id, applications, factors, locations)
    select user_key, day, source_id, ${joined(1)}, ${joined(2)}, ${joined(3)}
    from (
      ${cells(1, 'application', false)}
      union all
      ${cells(2, 'factor', true)}
      union all
      ${cells(3, 'location', false)}
    ) c
    group by user_key, day, source_id`.execute(db);
  await sql`
    insert into activity_org_daily (day, source_id, events, users)
    select day, source_id, sum(events), sum(users) from (
      select ${day} as day, source_id, count(*) as events, 0 as users
      from ${events} as ev where user_key is not null
      group by ${day}, source_id
      union all
      select last_ms / ${sql.lit(DAY_MS)} as day, source_id, 0 as events, count(*) as users
      from activity_last
      group by last_ms / ${sql.lit(DAY_MS)}, source_id
    ) t
    group by day, source_id
    having sum(events) <> 0 or sum(users) <> 0`.execute(db);
}
