/**
 * The first schema: identities, governance groups, sources, accounts and entitlements, the
 * activity store (strings dictionary, events, daily rollup), streams, runs, leases, settings.
 * Forward-only: a later change is a new numbered file, never an edit here.
 */
import { sql } from 'kysely';
import { dialectOf, type Db } from '../dialect.js';
import type { Migration } from './migration.js';

export const migration0001: Migration = {
  id: '0001_initial',
  async up(db: Db): Promise<void> {
    const d = dialectOf(db);
    const s = db.schema;

    await s
      .createTable('identities')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('username', 'text')
      .addColumn('created_at', d.bigint, (c) => c.notNull())
      .addColumn('updated_at', d.bigint, (c) => c.notNull())
      .execute();
    await s
      .createIndex('identities_email')
      .on('identities')
      .expression(sql`lower(email)`)
      .execute();
    await s
      .createIndex('identities_username')
      .on('identities')
      .expression(sql`lower(username)`)
      .execute();

    await s
      .createTable('governance_groups')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('description', 'text')
      .addColumn('created_at', d.bigint, (c) => c.notNull())
      .execute();
    await s
      .createTable('governance_group_members')
      .addColumn('governance_group_id', 'text', (c) =>
        c.notNull().references('governance_groups.id').onDelete('cascade'),
      )
      .addColumn('identity_id', 'text', (c) =>
        c.notNull().references('identities.id').onDelete('cascade'),
      )
      .addPrimaryKeyConstraint('governance_group_members_pk', [
        'governance_group_id',
        'identity_id',
      ])
      .execute();
    await s
      .createIndex('governance_group_members_identity')
      .on('governance_group_members')
      .column('identity_id')
      .execute();

    await s
      .createTable('sources')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('description', 'text')
      .addColumn('owner_identity_id', 'text', (c) => c.notNull().references('identities.id'))
      .addColumn('governance_group_id', 'text', (c) =>
        c.references('governance_groups.id').onDelete('set null'),
      )
      .addColumn('api_host', 'text')
      .addColumn('integration_key', 'text')
      .addColumn('secret_ciphertext', 'text')
      .addColumn('key_id', 'text')
      .addColumn('settings', d.json, (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('last_test', d.json)
      .addColumn('created_at', d.bigint, (c) => c.notNull())
      .addColumn('updated_at', d.bigint, (c) => c.notNull())
      .execute();

    await d
      .autoId(s.createTable('accounts'))
      .addColumn('source_id', 'text', (c) =>
        c.notNull().references('sources.id').onDelete('cascade'),
      )
      .addColumn('duo_user_id', 'text', (c) => c.notNull())
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('realname', 'text')
      .addColumn('email', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('lockout_reason', 'text')
      .addColumn('aliases', d.json, (c) => c.notNull())
      .addColumn('is_enrolled', 'integer')
      .addColumn('last_login_ms', d.bigint)
      .addColumn('created_ms', d.bigint)
      .addColumn('identity_id', 'text', (c) => c.references('identities.id').onDelete('set null'))
      .addColumn('correlation', 'text')
      .addColumn('deleted_at', d.bigint)
      .addColumn('first_seen_at', d.bigint, (c) => c.notNull())
      .addColumn('last_seen_at', d.bigint, (c) => c.notNull())
      .addColumn('last_seen_run', 'text')
      .addColumn('raw', d.json)
      .addUniqueConstraint('accounts_source_user', ['source_id', 'duo_user_id'])
      .execute();
    await s.createIndex('accounts_identity').on('accounts').column('identity_id').execute();
    await s.createIndex('accounts_duo_user').on('accounts').column('duo_user_id').execute();

    await d
      .autoId(s.createTable('entitlements'))
      .addColumn('source_id', 'text', (c) =>
        c.notNull().references('sources.id').onDelete('cascade'),
      )
      .addColumn('duo_group_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('status', 'text')
      .addColumn('deleted_at', d.bigint)
      .addColumn('first_seen_at', d.bigint, (c) => c.notNull())
      .addColumn('last_seen_at', d.bigint, (c) => c.notNull())
      .addColumn('last_seen_run', 'text')
      .addColumn('raw', d.json)
      .addUniqueConstraint('entitlements_source_group', ['source_id', 'duo_group_id'])
      .execute();

    await d
      .clustered(
        s
          .createTable('account_entitlements')
          .addColumn('account_id', d.bigint, (c) =>
            c.notNull().references('accounts.id').onDelete('cascade'),
          )
          .addColumn('entitlement_id', d.bigint, (c) =>
            c.notNull().references('entitlements.id').onDelete('cascade'),
          )
          .addPrimaryKeyConstraint('account_entitlements_pk', ['account_id', 'entitlement_id']),
      )
      .execute();
    await s
      .createIndex('account_entitlements_entitlement')
      .on('account_entitlements')
      .column('entitlement_id')
      .execute();

    await d
      .autoId(s.createTable('strings'))
      .addColumn('value', 'text', (c) => c.notNull().unique())
      .execute();

    // The strings columns carry no foreign keys: ingest checks nine per row otherwise, and
    // strings are never deleted.
    await d
      .autoId(s.createTable('activity_events'))
      .addColumn('source_id', 'text', (c) =>
        c.notNull().references('sources.id').onDelete('cascade'),
      )
      .addColumn('stream', 'text', (c) => c.notNull())
      .addColumn('natural_key', 'text', (c) => c.notNull())
      .addColumn('ts_ms', d.bigint, (c) => c.notNull())
      .addColumn('user_key', d.bigint)
      .addColumn('username', d.bigint)
      .addColumn('result', d.bigint)
      .addColumn('reason', d.bigint)
      .addColumn('factor', d.bigint)
      .addColumn('application', d.bigint)
      .addColumn('location', d.bigint)
      .addColumn('access_os', d.bigint)
      .addColumn('access_browser', d.bigint)
      .addColumn('ip', 'text')
      .addColumn('txid', 'text')
      .addColumn('payload', d.blob, (c) => c.notNull())
      .addUniqueConstraint('activity_events_natural_key', ['source_id', 'stream', 'natural_key'])
      .execute();
    await s
      .createIndex('activity_events_user_ts')
      .on('activity_events')
      .columns(['user_key', 'ts_ms'])
      .execute();
    await s
      .createIndex('activity_events_stream_ts')
      .on('activity_events')
      .columns(['source_id', 'stream', 'ts_ms'])
      .execute();
    // Rows that name another event's txid (telephony → its auth); an auth event's own txid
    // is its natural key and is not stored again, so this index stays small.
    await s
      .createIndex('activity_events_txid')
      .on('activity_events')
      .columns(['source_id', 'txid'])
      .where(sql<boolean>`txid is not null`)
      .execute();

    await s
      .createTable('streams')
      .addColumn('source_id', 'text', (c) =>
        c.notNull().references('sources.id').onDelete('cascade'),
      )
      .addColumn('stream', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('cursor', d.json)
      .addColumn('backfill', d.json)
      .addColumn('last_success_at', d.bigint)
      .addColumn('last_error', d.json)
      .addColumn('last_run_id', 'text')
      .addColumn('pages', d.bigint, (c) => c.notNull().defaultTo(0))
      .addColumn('rate_limited', d.bigint, (c) => c.notNull().defaultTo(0))
      .addColumn('updated_at', d.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('streams_pk', ['source_id', 'stream'])
      .execute();

    await s
      .createTable('runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('source_id', 'text', (c) =>
        c.notNull().references('sources.id').onDelete('cascade'),
      )
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('counts', d.json, (c) => c.notNull())
      .addColumn('progress', d.json)
      .addColumn('error', d.json)
      .addColumn('created_at', d.bigint, (c) => c.notNull())
      .addColumn('started_at', d.bigint)
      .addColumn('finished_at', d.bigint)
      .addColumn('heartbeat_at', d.bigint)
      .execute();
    await s
      .createIndex('runs_source_created')
      .on('runs')
      .columns(['source_id', 'created_at'])
      .execute();

    // Keyed for the insights' access path: a list of users, a range of days.
    await d
      .clustered(
        s
          .createTable('activity_daily')
          .addColumn('source_id', 'text', (c) =>
            c.notNull().references('sources.id').onDelete('cascade'),
          )
          .addColumn('user_key', d.bigint, (c) => c.notNull())
          .addColumn('day', 'integer', (c) => c.notNull())
          .addColumn('stream', 'text', (c) => c.notNull())
          .addColumn('result', d.bigint, (c) => c.notNull())
          .addColumn('count', d.bigint, (c) => c.notNull())
          .addPrimaryKeyConstraint('activity_daily_pk', [
            'user_key',
            'day',
            'source_id',
            'stream',
            'result',
          ]),
      )
      .execute();
    await s
      .createIndex('activity_daily_source_day')
      .on('activity_daily')
      .columns(['source_id', 'day'])
      .execute();

    await s
      .createTable('leases')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('holder', 'text', (c) => c.notNull())
      .addColumn('expires_at', d.bigint, (c) => c.notNull())
      .execute();

    await s
      .createTable('settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
};
