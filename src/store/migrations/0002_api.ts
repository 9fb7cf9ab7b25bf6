/**
 * The HTTP API's tables: local users (scrypt hashes), sessions and API tokens (stored as SHA-256
 * hashes of the secret sent by the client), and the audit trail of what people did. Also indexes
 * the reports read: accounts by status per source, audit entries by time.
 */
import { dialectOf, type Db } from '../dialect.js';
import type { Migration } from './migration.js';
import { sql } from 'kysely';

export const migration0002: Migration = {
  id: '0002_api',
  async up(db: Db): Promise<void> {
    const d = dialectOf(db);
    const s = db.schema;

    await s
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('identity_id', 'text', (c) => c.references('identities.id').onDelete('set null'))
      .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', d.bigint, (c) => c.notNull())
      .addColumn('updated_at', d.bigint, (c) => c.notNull())
      .execute();
    await s
      .createIndex('users_username')
      .on('users')
      .unique()
      .expression(sql`lower(username)`)
      .execute();

    await s
      .createTable('sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('created_at', d.bigint, (c) => c.notNull())
      .addColumn('expires_at', d.bigint, (c) => c.notNull())
      .execute();
    await s.createIndex('sessions_user').on('sessions').column('user_id').execute();

    await s
      .createTable('api_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('created_at', d.bigint, (c) => c.notNull())
      .addColumn('last_used_at', d.bigint)
      .execute();

    await d
      .autoId(s.createTable('audit_log'))
      .addColumn('at', d.bigint, (c) => c.notNull())
      .addColumn('actor_user_id', 'text')
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target_type', 'text', (c) => c.notNull())
      .addColumn('target_id', 'text')
      .addColumn('target_name', 'text')
      .addColumn('details', d.json)
      .addColumn('ip', 'text')
      .execute();
    await s.createIndex('audit_log_at').on('audit_log').columns(['at', 'id']).execute();

    // Reports: active accounts of a source (dormant accounts) without scanning deleted ones.
    await s
      .createIndex('accounts_source_status')
      .on('accounts')
      .columns(['source_id', 'status'])
      .execute();
  },
};
