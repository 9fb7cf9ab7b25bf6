/**
 * Access-review campaigns, their items, every decision taken and every remediation step.
 *
 * - `review_campaigns`: name, scope and reviewer choice (JSON, as created), due date, state
 *   (`open` → `signed_off` → `remediating` → `remediated`), who created and signed it off, and
 *   how remediation is carried out (`duo`, or `manual` when the credential cannot write).
 * - `review_campaign_sources`: the sources a campaign covers (who may run it: those who manage
 *   them).
 * - `review_items`: one (account, entitlement) per row, fixed at creation with a copy of what
 *   the reviewer decides on (names, status, last activity, last success, days active in 90, the
 *   suggestion and its reason), so the evidence stays true when the account changes or goes;
 *   `account_id`/`entitlement_id` are plain numbers, not foreign keys, for the same reason. The
 *   current decision is kept on the item (filters, progress); `review_decisions` keeps them all.
 * - `review_item_reviewers`: the identities who may decide an item.
 * - `review_decisions`: every decision as taken (keep or revoke, comment, who, when), in order.
 * - `review_steps`: one remediation step per revoked item: the action, its state, the attempts,
 *   Duo's answer, and the verification after the source was aggregated again.
 */
import { dialectOf, type Db } from '../dialect.js';
import type { Migration } from './migration.js';

export const migration0016: Migration = {
  id: '0016_review_campaigns',
  async up(db: Db): Promise<void> {
    const d = dialectOf(db);
    const s = db.schema;
    await s
      .createTable('review_campaigns')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('scope', d.json, (c) => c.notNull())
      .addColumn('reviewers', d.json, (c) => c.notNull())
      .addColumn('due_ms', d.bigint, (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('remediation_mode', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_by_user_id', 'text')
      .addColumn('created_at', d.bigint, (c) => c.notNull())
      .addColumn('signed_off_by', 'text')
      .addColumn('signed_off_by_user_id', 'text')
      .addColumn('signed_off_at', d.bigint)
      .addColumn('remediation_started_at', d.bigint)
      .addColumn('remediated_at', d.bigint)
      .execute();
    await s
      .createTable('review_campaign_sources')
      .addColumn('campaign_id', 'text', (c) =>
        c.notNull().references('review_campaigns.id').onDelete('cascade'),
      )
      .addColumn('source_id', 'text', (c) => c.notNull())
      .addColumn('source_name', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('review_campaign_sources_pk', ['campaign_id', 'source_id'])
      .execute();
    await d
      .autoId(s.createTable('review_items'))
      .addColumn('campaign_id', 'text', (c) =>
        c.notNull().references('review_campaigns.id').onDelete('cascade'),
      )
      .addColumn('source_id', 'text', (c) => c.notNull())
      .addColumn('account_id', d.bigint, (c) => c.notNull())
      .addColumn('account_kind', 'text', (c) => c.notNull())
      .addColumn('duo_user_id', 'text', (c) => c.notNull())
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('realname', 'text')
      .addColumn('email', 'text')
      .addColumn('identity_id', 'text')
      .addColumn('identity_name', 'text')
      .addColumn('entitlement_id', d.bigint)
      .addColumn('entitlement_kind', 'text')
      .addColumn('duo_group_id', 'text')
      .addColumn('entitlement_name', 'text')
      .addColumn('account_status', 'text', (c) => c.notNull())
      .addColumn('last_activity_ms', d.bigint)
      .addColumn('last_success_ms', d.bigint)
      .addColumn('days_active_90', 'integer', (c) => c.notNull())
      .addColumn('suggestion', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('decision', 'text')
      .addColumn('decision_comment', 'text')
      .addColumn('decided_by', 'text')
      .addColumn('decided_by_user_id', 'text')
      .addColumn('decided_at', d.bigint)
      .execute();
    await s
      .createIndex('review_items_campaign')
      .on('review_items')
      .columns(['campaign_id', 'username', 'id'])
      .execute();
    await s
      .createTable('review_item_reviewers')
      .addColumn('item_id', d.bigint, (c) =>
        c.notNull().references('review_items.id').onDelete('cascade'),
      )
      .addColumn('identity_id', 'text', (c) => c.notNull())
      .addColumn('campaign_id', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('review_item_reviewers_pk', ['item_id', 'identity_id'])
      .execute();
    await s
      .createIndex('review_item_reviewers_identity')
      .on('review_item_reviewers')
      .columns(['identity_id', 'campaign_id', 'item_id'])
      .execute();
    await d
      .autoId(s.createTable('review_decisions'))
      .addColumn('campaign_id', 'text', (c) =>
        c.notNull().references('review_campaigns.id').onDelete('cascade'),
      )
      .addColumn('item_id', d.bigint, (c) =>
        c.notNull().references('review_items.id').onDelete('cascade'),
      )
      .addColumn('decision', 'text', (c) => c.notNull())
      .addColumn('comment', 'text')
      .addColumn('decided_by', 'text', (c) => c.notNull())
      .addColumn('decided_by_user_id', 'text')
      .addColumn('decided_at', d.bigint, (c) => c.notNull())
      .execute();
    await s
      .createIndex('review_decisions_item')
      .on('review_decisions')
      .columns(['item_id', 'id'])
      .execute();
    await d
      .autoId(s.createTable('review_steps'))
      .addColumn('campaign_id', 'text', (c) =>
        c.notNull().references('review_campaigns.id').onDelete('cascade'),
      )
      .addColumn('item_id', d.bigint, (c) =>
        c.notNull().unique().references('review_items.id').onDelete('cascade'),
      )
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('request', 'text')
      .addColumn('answer', d.json)
      .addColumn('error', 'text')
      .addColumn('started_at', d.bigint)
      .addColumn('finished_at', d.bigint)
      .addColumn('verification', 'text')
      .addColumn('verified_at', d.bigint)
      .execute();
    await s
      .createIndex('review_steps_campaign')
      .on('review_steps')
      .columns(['campaign_id', 'state', 'id'])
      .execute();
  },
};
