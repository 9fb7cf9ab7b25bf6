/**
 * Table rows as Kysely sees them. Rows are not domain objects: each repository maps them with
 * explicit functions. Timestamps are epoch milliseconds (bigint on PostgreSQL, parsed back to
 * numbers by the dialect); JSON columns are text; `Generated` marks auto ids.
 *
 * @example db.selectFrom('sources').selectAll().where('id', '=', id)
 */
import type { Generated } from 'kysely';

export interface IdentitiesTable {
  id: string;
  display_name: string;
  email: string | null;
  username: string | null;
  created_at: number;
  updated_at: number;
}

export interface GovernanceGroupsTable {
  id: string;
  name: string;
  description: string | null;
  created_at: number;
}

export interface GovernanceGroupMembersTable {
  governance_group_id: string;
  identity_id: string;
}

export interface SourcesTable {
  id: string;
  type: string;
  name: string;
  description: string | null;
  owner_identity_id: string;
  governance_group_id: string | null;
  api_host: string | null;
  integration_key: string | null;
  secret_ciphertext: string | null;
  key_id: string | null;
  settings: string;
  state: string;
  last_test: string | null;
  /**
   * "Grant write resource" as the last test found: 1, 0, or null (not tested). Generated: left
   * out of inserts, so a source can be created on a schema before migration 0016 (its tests).
   */
  write_granted: Generated<number | null>;
  created_at: number;
  updated_at: number;
}

export interface AccountsTable {
  id: Generated<number>;
  source_id: string;
  duo_user_id: string;
  username: string;
  realname: string | null;
  email: string | null;
  status: string;
  lockout_reason: string | null;
  aliases: string;
  is_enrolled: number | null;
  last_login_ms: number | null;
  created_ms: number | null;
  identity_id: string | null;
  correlation: string | null;
  deleted_at: number | null;
  first_seen_at: number;
  last_seen_at: number;
  /** The aggregation run that last saw this account (marks the rest deleted). */
  last_seen_run: string | null;
  raw: string | null;
  /** `user` (a Duo user, key `user_id`) or `administrator` (a Duo admin, key `admin_id`). */
  kind: Generated<string>;
  /** An administrator's Duo role (`Owner`, `Help Desk`, …); null for users. */
  admin_role: string | null;
  /** An administrator's admin units (JSON array as Duo sends it); null for users. */
  admin_units: string | null;
  restricted_by_admin_units: number | null;
}

export interface EntitlementsTable {
  id: Generated<number>;
  source_id: string;
  duo_group_id: string;
  name: string;
  description: string | null;
  status: string | null;
  deleted_at: number | null;
  first_seen_at: number;
  last_seen_at: number;
  last_seen_run: string | null;
  raw: string | null;
  /** `group` (a Duo group, key `group_id`) or `admin_role` (a Duo admin role, key its name). */
  kind: Generated<string>;
}

export interface AccountEntitlementsTable {
  account_id: number;
  entitlement_id: number;
}

export interface StringsTable {
  id: Generated<number>;
  value: string;
}

/**
 * One stream of one source, named once: events refer to it by `id` (migration 0009), so no
 * event row or index entry repeats the source id and the stream name.
 */
export interface EventStreamsTable {
  id: Generated<number>;
  source_id: string;
  stream: string;
}

/**
 * One Duo log record. Unique on (stream_id, ts_ms, natural_key): the key leads with time, so
 * new events land at the end of the index.
 */
export interface ActivityEventsTable {
  id: Generated<number>;
  stream_id: number;
  natural_key: string;
  ts_ms: number;
  user_key: number | null;
  username: number | null;
  result: number | null;
  reason: number | null;
  factor: number | null;
  application: number | null;
  location: number | null;
  access_os: number | null;
  access_browser: number | null;
  ip: string | null;
  txid: string | null;
  payload: Uint8Array;
}

export interface StreamsTable {
  source_id: string;
  stream: string;
  state: string;
  cursor: string | null;
  last_success_at: number | null;
  last_error: string | null;
  pages: number;
  rate_limited: number;
  updated_at: number;
}

export interface RunsTable {
  id: string;
  source_id: string;
  kind: string;
  trigger: string;
  status: string;
  counts: string;
  progress: string | null;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  heartbeat_at: number | null;
}

/**
 * Events per source, Duo user, UTC day, stream and result: what insights read instead of raw
 * events. `user_key` and `result` are strings ids, 0 when the event has none (a primary key
 * column cannot be null).
 */
export interface ActivityDailyTable {
  source_id: string;
  user_key: number;
  day: number;
  stream: string;
  result: number;
  count: number;
}

/** Per source and Duo user: the newest event and successful authentication (migration 0008). */
export interface ActivityLastTable {
  source_id: string;
  user_key: number;
  last_ms: number;
  last_success_ms: number | null;
}

/**
 * Per Duo user, UTC day and source: the applications, factors (of authentications) and
 * locations used, each column `value:count:first:last` joined by `;` (migration 0008).
 */
export interface ActivityUsageDailyTable {
  user_key: number;
  day: number;
  source_id: string;
  applications: string;
  factors: string;
  locations: string;
}

/**
 * Per UTC day and source: events naming a Duo user, and Duo users whose last activity is that
 * day (migration 0008).
 */
export interface ActivityOrgDailyTable {
  day: number;
  source_id: string;
  events: number;
  users: number;
}

export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: number;
  /** The holder's host name and process id (null for leases from before 0005). */
  holder_host: string | null;
  holder_pid: number | null;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface SchemaMigrationsTable {
  id: string;
  applied_at: number;
}

export interface UsersTable {
  id: string;
  username: string;
  password_hash: string;
  role: string;
  identity_id: string | null;
  disabled: number;
  /** 1: the user must change their password before anything else (migration 0015). */
  must_change_password: number;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  /** SHA-256 of the session cookie's value (the value itself is never stored). */
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  user_id: string;
  /** SHA-256 of the token (the token is shown once, never stored). */
  token_hash: string;
  /** The first characters of the token, to recognise it in a list. */
  prefix: string;
  created_at: number;
  /** When the token was last used, to within 5 minutes (a use does not always write). */
  last_used_at: number | null;
  /** After this instant the token authenticates nowhere; null: it never expires. */
  expires_at: number | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor_user_id: string | null;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  target_name: string | null;
  details: string | null;
  ip: string | null;
}

/** A record Duo sent that could not be read, kept whole (migration 0003). */
export interface RejectedRecordsTable {
  source_id: string;
  stream: string;
  record_hash: string;
  run_id: string | null;
  position: number;
  error: string;
  raw: string;
  first_seen_at: number;
}

/** Where stored events are forwarded (migration 0014); `config` is JSON without the secret. */
export interface DestinationsTable {
  id: string;
  name: string;
  type: string;
  config: string;
  secret_ciphertext: string | null;
  key_id: string | null;
  /** JSON array of source ids; null: every activity source. */
  source_ids: string | null;
  /** JSON array of stream names; null: every stream. */
  streams: string | null;
  delivered: Generated<number>;
  last_delivered_at: number | null;
  last_error: string | null;
  last_error_at: number | null;
  created_at: number;
  updated_at: number;
}

/** Per destination and event stream: the last event id the destination accepted. */
export interface DestinationCursorsTable {
  destination_id: string;
  stream_id: number;
  last_event_id: number;
}

export interface ReviewCampaignsTable {
  id: string;
  name: string;
  /** JSON: the ReviewScope as created. */
  scope: string;
  /** JSON: the ReviewerChoice as created. */
  reviewers: string;
  due_ms: number;
  state: string;
  /** `duo` or `manual`; null until signed off. */
  remediation_mode: string | null;
  created_by: string;
  created_by_user_id: string | null;
  created_at: number;
  signed_off_by: string | null;
  signed_off_by_user_id: string | null;
  signed_off_at: number | null;
  remediation_started_at: number | null;
  remediated_at: number | null;
}

export interface ReviewCampaignSourcesTable {
  campaign_id: string;
  source_id: string;
  source_name: string;
}

export interface ReviewItemsTable {
  id: Generated<number>;
  campaign_id: string;
  source_id: string;
  account_id: number;
  account_kind: string;
  duo_user_id: string;
  username: string;
  realname: string | null;
  email: string | null;
  identity_id: string | null;
  identity_name: string | null;
  /** Null for an item of an accounts campaign (the account itself is reviewed). */
  entitlement_id: number | null;
  entitlement_kind: string | null;
  duo_group_id: string | null;
  entitlement_name: string | null;
  account_status: string;
  last_activity_ms: number | null;
  last_success_ms: number | null;
  days_active_90: number;
  suggestion: string;
  reason: string;
  decision: string | null;
  decision_comment: string | null;
  decided_by: string | null;
  decided_by_user_id: string | null;
  decided_at: number | null;
}

export interface ReviewItemReviewersTable {
  item_id: number;
  identity_id: string;
  campaign_id: string;
}

export interface ReviewDecisionsTable {
  id: Generated<number>;
  campaign_id: string;
  item_id: number;
  decision: string;
  comment: string | null;
  decided_by: string;
  decided_by_user_id: string | null;
  decided_at: number;
}

export interface ReviewStepsTable {
  id: Generated<number>;
  campaign_id: string;
  item_id: number;
  action: string;
  state: string;
  attempts: Generated<number>;
  /** What is sent: `DELETE /admin/v1/users/DU…/groups/DG…`. */
  request: string | null;
  /** JSON: Duo's answer (HTTP status, stat, code, message) of the last attempt. */
  answer: string | null;
  error: string | null;
  started_at: number | null;
  finished_at: number | null;
  verification: string | null;
  verified_at: number | null;
}

export interface Database {
  identities: IdentitiesTable;
  governance_groups: GovernanceGroupsTable;
  governance_group_members: GovernanceGroupMembersTable;
  sources: SourcesTable;
  accounts: AccountsTable;
  entitlements: EntitlementsTable;
  account_entitlements: AccountEntitlementsTable;
  strings: StringsTable;
  event_streams: EventStreamsTable;
  activity_events: ActivityEventsTable;
  streams: StreamsTable;
  runs: RunsTable;
  activity_daily: ActivityDailyTable;
  activity_last: ActivityLastTable;
  activity_usage_daily: ActivityUsageDailyTable;
  activity_org_daily: ActivityOrgDailyTable;
  leases: LeasesTable;
  settings: SettingsTable;
  schema_migrations: SchemaMigrationsTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  rejected_records: RejectedRecordsTable;
  destinations: DestinationsTable;
  destination_cursors: DestinationCursorsTable;
  review_campaigns: ReviewCampaignsTable;
  review_campaign_sources: ReviewCampaignSourcesTable;
  review_items: ReviewItemsTable;
  review_item_reviewers: ReviewItemReviewersTable;
  review_decisions: ReviewDecisionsTable;
  review_steps: ReviewStepsTable;
}
