/**
 * Whether a Duo source's credential may change users and groups in Duo ("Grant write resource"),
 * as its last Test Connection found: `sources.write_granted` 1 (granted), 0 (not granted) or
 * null (not tested: every existing source, an activity source, and new credentials until tested).
 */
import type { Db } from '../dialect.js';
import type { Migration } from './migration.js';

export const migration0016: Migration = {
  id: '0016_source_write_permission',
  async up(db: Db): Promise<void> {
    await db.schema.alterTable('sources').addColumn('write_granted', 'integer').execute();
  },
};
