/** Every migration, in order. Append only: a shipped migration is never edited or removed. */
import { migration0001 } from './0001_initial.js';
import { migration0002 } from './0002_api.js';
import { migration0003 } from './0003_rejected_records.js';
import { migration0004 } from './0004_factor_names.js';
import { migration0005 } from './0005_api_token_expiry.js';
import { migration0006 } from './0006_lease_holder.js';
import { migration0007 } from './0007_drop_unused_stream_columns.js';
import { migration0008 } from './0008_activity_rollups.js';
import { migration0009 } from './0009_compact_events.js';
import { migration0010 } from './0010_search_indexes.js';
import { migration0011 } from './0011_ingest_without_row_checks.js';
import { migration0012 } from './0012_factor_index.js';
import { migration0013 } from './0013_administrator_accounts.js';
import { migration0014 } from './0014_destinations.js';
import { migration0015 } from './0015_password_change_required.js';
import { migration0016 } from './0016_review_campaigns.js';
// Two branches numbered a migration 0016; their ids differ, so both apply (the lead renumbers).
import { migration0016 as migration0016SourceWritePermission } from './0016_source_write_permission.js';
import type { Migration } from './migration.js';

export const MIGRATIONS: readonly Migration[] = [
  migration0001,
  migration0002,
  migration0003,
  migration0004,
  migration0005,
  migration0006,
  migration0007,
  migration0008,
  migration0009,
  migration0010,
  migration0011,
  migration0012,
  migration0013,
  migration0014,
  migration0015,
  migration0016,
  migration0016SourceWritePermission,
];
