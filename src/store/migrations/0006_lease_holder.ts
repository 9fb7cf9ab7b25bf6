/**
 * Who holds a lease, as a process: its host name and process id. A run killed with its process
 * then frees its source at once (a lease of a process of this host that no longer exists is
 * taken over) instead of keeping it busy until the lease expires. Null for leases written
 * before this migration (they simply expire).
 */
import type { Db } from '../dialect.js';
import type { Migration } from './migration.js';

export const migration0006: Migration = {
  id: '0006_lease_holder',
  async up(db: Db): Promise<void> {
    await db.schema.alterTable('leases').addColumn('holder_host', 'text').execute();
    await db.schema.alterTable('leases').addColumn('holder_pid', 'integer').execute();
  },
};
