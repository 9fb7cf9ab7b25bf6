/**
 * Brings a database to the current schema by running, in order, each migration not yet
 * recorded in `schema_migrations`. Each migration commits with its record, so a crash leaves
 * the schema at a known step. Servers starting at once wait for each other: each step holds the
 * migration lock (PostgreSQL: an advisory lock; SQLite: the write lock), so every migration runs
 * once and the others find it recorded.
 *
 * @example const applied = await migrate(db); // ['0001_initial'] on an empty database
 */
import { dialectOf, type Db } from './dialect.js';
import { MIGRATIONS } from './migrations/index.js';
import type { Migration } from './migrations/migration.js';

export async function migrate(
  db: Db,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<string[]> {
  const d = dialectOf(db);
  // Under the lock too: PostgreSQL's `create table if not exists` is not safe against itself
  // (two at once: one fails on a duplicate key in pg_type).
  await db.transaction().execute(async (trx) => {
    await d.lockForMigration(trx);
    await trx.schema
      .createTable('schema_migrations')
      .ifNotExists()
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('applied_at', d.bigint, (c) => c.notNull())
      .execute();
  });
  const applied: string[] = [];
  for (const migration of migrations) {
    const ran = await db.transaction().execute(async (trx) => {
      await d.lockForMigration(trx);
      const done = await trx
        .selectFrom('schema_migrations')
        .select('id')
        .where('id', '=', migration.id)
        .executeTakeFirst();
      if (done) return false;
      await migration.up(trx);
      await trx
        .insertInto('schema_migrations')
        .values({ id: migration.id, applied_at: Date.now() })
        .execute();
      return true;
    });
    if (ran) applied.push(migration.id);
  }
  return applied;
}

/** Migration ids recorded as applied, oldest first. */
export async function appliedMigrations(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('schema_migrations').select('id').orderBy('id').execute();
  return rows.map((r) => r.id);
}
