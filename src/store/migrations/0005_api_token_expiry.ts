/**
 * API tokens may expire: `expires_at` (epoch milliseconds; null: never). A token past it
 * authenticates nowhere. Tokens created before this migration never expire.
 */
import { dialectOf, type Db } from '../dialect.js';
import type { Migration } from './migration.js';

export const migration0005: Migration = {
  id: '0005_api_token_expiry',
  async up(db: Db): Promise<void> {
    await db.schema
      .alterTable('api_tokens')
      .addColumn('expires_at', dialectOf(db).bigint)
      .execute();
  },
};
