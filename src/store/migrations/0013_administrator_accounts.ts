/**
 * Duo administrators are accounts beside Duo users, and their admin roles entitlements beside
 * Duo groups: `accounts.kind` (`user` or `administrator`; every existing account is a user) with
 * the administrator's role, admin units and whether the units restrict it, and
 * `entitlements.kind` (`group` or `admin_role`; every existing entitlement is a group).
 * Administrator-log events name their administrator only by name or e-mail (`username`, no user
 * key): the partial index over events without a user key (administrator, offline-enrollment and
 * unattributed telephony rows, a small share of all events) finds an administrator's events
 * and its newest one without reading the stream whole.
 */
import { sql } from 'kysely';
import { dialectOf, type Db } from '../dialect.js';
import type { Migration } from './migration.js';

export const migration0013: Migration = {
  id: '0013_administrator_accounts',
  async up(db: Db): Promise<void> {
    const d = dialectOf(db);
    await db.schema
      .alterTable('accounts')
      .addColumn('kind', 'text', (c) => c.notNull().defaultTo('user'))
      .execute();
    await db.schema.alterTable('accounts').addColumn('admin_role', 'text').execute();
    await db.schema.alterTable('accounts').addColumn('admin_units', d.json).execute();
    await db.schema
      .alterTable('accounts')
      .addColumn('restricted_by_admin_units', 'integer')
      .execute();
    await db.schema
      .createIndex('accounts_source_kind')
      .on('accounts')
      .columns(['source_id', 'kind'])
      .execute();
    await db.schema
      .alterTable('entitlements')
      .addColumn('kind', 'text', (c) => c.notNull().defaultTo('group'))
      .execute();
    await db.schema
      .createIndex('activity_events_unkeyed_username')
      .on('activity_events')
      .columns(['stream_id', 'username', 'ts_ms'])
      .where(sql<boolean>`user_key is null`)
      .execute();
  },
};
