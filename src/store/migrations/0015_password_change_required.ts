/**
 * A user may have to change their password before doing anything else:
 * `users.must_change_password` (0 or 1). Set for the first admin's generated password, for a
 * password an admin (or `duo-insights user reset-password`) set for someone, and cleared when
 * the user changes it. Every existing user keeps the password they have.
 */
import type { Db } from '../dialect.js';
import type { Migration } from './migration.js';

export const migration0015: Migration = {
  id: '0015_password_change_required',
  async up(db: Db): Promise<void> {
    await db.schema
      .alterTable('users')
      .addColumn('must_change_password', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
