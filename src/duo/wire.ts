/**
 * Wire shapes of the Duo Admin API: what Duo sends, validated with zod. Unknown new fields are
 * kept (`looseObject`), and the documented oddities are accepted: `total_objects` as a number or
 * `{relation, value}`, `next_offset` as an array, a string, a number or absent, tri-state device
 * fields, `security_agents` as a list, null or "unknown". The simulator builds these shapes too.
 *
 * @example AuthLogPageSchema.parse(body.response) // { authlogs: [...], metadata: {...} }
 */
import { z } from 'zod';

/**
 * Endpoint families that share one Duo rate budget; the client's governor and the simulator's
 * token buckets count in the same families.
 */
export const ENDPOINT_FAMILIES = [
  'logs_authentication',
  'logs_telephony',
  'logs_administrator',
  'logs_offline',
  'logs_activity',
  'logs_trust_monitor',
  'objects_page',
  'object',
  'info',
] as const;
export type EndpointFamily = (typeof ENDPOINT_FAMILIES)[number];

const nullableString = z.string().nullable();
const optionalNullableString = z.string().nullable().optional();

/** `total_objects`: an integer, or `{relation: "eq"|"gte", value}` on some v2 log endpoints. */
export const TotalObjectsSchema = z.union([
  z.number().int().nonnegative(),
  z.looseObject({ relation: z.string(), value: z.number().int().nonnegative() }),
]);
export type TotalObjects = z.infer<typeof TotalObjectsSchema>;

export function totalObjectsValue(total: TotalObjects | null | undefined): number | undefined {
  if (total === null || total === undefined) return undefined;
  return typeof total === 'number' ? total : total.value;
}

/** Top-level paging metadata of list endpoints (users, groups, group members, admins). */
export const ListMetadataSchema = z.looseObject({
  next_offset: z.union([z.number().int(), z.string()]).nullable().optional(),
  prev_offset: z.union([z.number().int(), z.string()]).nullable().optional(),
  total_objects: TotalObjectsSchema.nullable().optional(),
});
export type ListMetadata = z.infer<typeof ListMetadataSchema>;

/** v2 log metadata: `next_offset` is `[ms, id]` (authentication) or `"ms,id"` (telephony, activity). */
export const LogMetadataSchema = z.looseObject({
  next_offset: z
    .union([z.array(z.union([z.string(), z.number()])), z.string()])
    .nullable()
    .optional(),
  total_objects: TotalObjectsSchema.nullable().optional(),
});
export type LogMetadata = z.infer<typeof LogMetadataSchema>;

export const OkEnvelopeSchema = z.looseObject({
  stat: z.literal('OK'),
  response: z.unknown(),
  metadata: z.unknown().optional(),
});

/** Duo's failure body; `code` may arrive as a string or be empty (Go's StatResult tolerates it). */
export const FailEnvelopeSchema = z.looseObject({
  stat: z.literal('FAIL'),
  code: z.union([z.number().int(), z.string()]).optional(),
  message: z.string().optional(),
  message_detail: z.string().nullable().optional(),
});
export type FailEnvelope = z.infer<typeof FailEnvelopeSchema>;

// ---- users and groups ---------------------------------------------------------------------------

export const UserGroupSchema = z.looseObject({
  group_id: z.string(),
  name: z.string(),
  desc: optionalNullableString,
  status: optionalNullableString,
});

export const PhoneSchema = z.looseObject({
  phone_id: z.string(),
  number: optionalNullableString,
  name: optionalNullableString,
  type: optionalNullableString,
  platform: optionalNullableString,
  model: optionalNullableString,
  activated: z.boolean().nullable().optional(),
  capabilities: z.array(z.string()).nullable().optional(),
  last_seen: optionalNullableString,
});

export const TokenSchema = z.looseObject({
  token_id: z.string(),
  serial: optionalNullableString,
  type: optionalNullableString,
});

export const UserSchema = z.looseObject({
  user_id: z.string().min(1),
  username: z.string(),
  realname: optionalNullableString,
  email: optionalNullableString,
  firstname: optionalNullableString,
  lastname: optionalNullableString,
  /** Lowercase in users; kept as a string so a new status is reported, not rejected. */
  status: z.string(),
  lockout_reason: optionalNullableString,
  notes: optionalNullableString,
  created: z.number().int().nullable().optional(),
  last_login: z.number().int().nullable().optional(),
  last_directory_sync: z.number().int().nullable().optional(),
  is_enrolled: z.boolean().nullable().optional(),
  external_id: optionalNullableString,
  alias1: optionalNullableString,
  alias2: optionalNullableString,
  alias3: optionalNullableString,
  alias4: optionalNullableString,
  aliases: z.record(z.string(), z.string().nullable()).nullable().optional(),
  groups: z.array(UserGroupSchema).nullable().optional(),
  phones: z.array(PhoneSchema).nullable().optional(),
  tokens: z.array(TokenSchema).nullable().optional(),
});
export type DuoUser = z.infer<typeof UserSchema>;

export const GroupSchema = z.looseObject({
  group_id: z.string().min(1),
  name: z.string(),
  desc: optionalNullableString,
  status: optionalNullableString,
  push_enabled: z.boolean().nullable().optional(),
  sms_enabled: z.boolean().nullable().optional(),
  voice_enabled: z.boolean().nullable().optional(),
  mobile_otp_enabled: z.boolean().nullable().optional(),
});
export type DuoGroup = z.infer<typeof GroupSchema>;

export const GroupMemberSchema = z.looseObject({
  user_id: z.string().min(1),
  username: z.string(),
});
export type DuoGroupMember = z.infer<typeof GroupMemberSchema>;

export const AdminSchema = z.looseObject({
  admin_id: z.string().min(1),
  name: optionalNullableString,
  email: optionalNullableString,
  role: optionalNullableString,
  /** As Duo words it: `Active`, `Disabled`, `Pending Activation`, `Expired`, … */
  status: optionalNullableString,
  last_login: z.number().int().nullable().optional(),
  created: z.number().int().nullable().optional(),
  restricted_by_admin_units: z.boolean().nullable().optional(),
  /** The admin units the administrator belongs to (ids, or objects on some tenants). */
  admin_units: z.array(z.unknown()).nullable().optional(),
});
export type DuoAdmin = z.infer<typeof AdminSchema>;

export const InfoSummarySchema = z.looseObject({
  admin_count: z.number().int().optional(),
  integration_count: z.number().int().optional(),
  telephony_credits_remaining: z.number().int().optional(),
  user_count: z.number().int().optional(),
});
export type DuoInfoSummary = z.infer<typeof InfoSummarySchema>;

// ---- logs ---------------------------------------------------------------------------------------

/** Device-health flags: true, false, or "unknown" (and null on old records). */
const triState = z.union([z.boolean(), z.string()]).nullable().optional();

const LocationSchema = z
  .looseObject({
    city: optionalNullableString,
    state: optionalNullableString,
    country: optionalNullableString,
  })
  .nullable()
  .optional();

export const AccessDeviceSchema = z.looseObject({
  browser: optionalNullableString,
  browser_version: optionalNullableString,
  epkey: optionalNullableString,
  hostname: optionalNullableString,
  ip: optionalNullableString,
  location: LocationSchema,
  os: optionalNullableString,
  os_version: optionalNullableString,
  is_encryption_enabled: triState,
  is_firewall_enabled: triState,
  is_password_set: triState,
  security_agents: z
    .union([z.array(z.looseObject({})), z.string()])
    .nullable()
    .optional(),
});

export const AuthDeviceSchema = z.looseObject({
  ip: optionalNullableString,
  key: optionalNullableString,
  location: LocationSchema,
  name: optionalNullableString,
});

export const AuthLogSchema = z.looseObject({
  txid: z.string().min(1),
  timestamp: z.number().int(),
  isotimestamp: z.string().optional(),
  event_type: optionalNullableString,
  result: z.string(),
  reason: optionalNullableString,
  factor: optionalNullableString,
  email: optionalNullableString,
  alias: optionalNullableString,
  application: z
    .looseObject({ key: optionalNullableString, name: optionalNullableString })
    .nullable()
    .optional(),
  user: z
    .looseObject({
      key: optionalNullableString,
      name: optionalNullableString,
      groups: z.array(z.string()).nullable().optional(),
    })
    .nullable()
    .optional(),
  access_device: AccessDeviceSchema.nullable().optional(),
  auth_device: AuthDeviceSchema.nullable().optional(),
  trusted_endpoint_status: optionalNullableString,
  ood_software: z.unknown().optional(),
  adaptive_trust_assessments: z.unknown().optional(),
});
export type DuoAuthLog = z.infer<typeof AuthLogSchema>;

/** `response` of `/admin/v2/logs/authentication`. Records are validated one by one by the client. */
export const AuthLogPageSchema = z.looseObject({
  authlogs: z.array(z.unknown()),
  metadata: LogMetadataSchema.nullable().optional(),
});

/** Administrator log (v1): `description` is a JSON string, null, or sometimes not JSON at all. */
export const AdminLogSchema = z.looseObject({
  action: z.string(),
  description: nullableString.optional(),
  isotimestamp: z.string().optional(),
  object: nullableString.optional(),
  timestamp: z.number().int(),
  username: nullableString.optional(),
});
export type DuoAdminLog = z.infer<typeof AdminLogSchema>;

/** Offline enrollment log (v1): same shape as administrator logs, `o2fa_user_*` actions. */
export const OfflineEnrollmentLogSchema = AdminLogSchema;
export type DuoOfflineEnrollmentLog = z.infer<typeof OfflineEnrollmentLogSchema>;

export const TelephonyLogSchema = z.looseObject({
  telephony_id: z.string().min(1),
  ts: z.string(),
  txid: optionalNullableString,
  context: optionalNullableString,
  credits: z.number().nullable().optional(),
  phone: optionalNullableString,
  type: optionalNullableString,
});
export type DuoTelephonyLog = z.infer<typeof TelephonyLogSchema>;

const ActivityPartySchema = z
  .looseObject({
    key: optionalNullableString,
    name: optionalNullableString,
    type: optionalNullableString,
    details: z.unknown().optional(),
  })
  .nullable()
  .optional();

export const ActivityLogSchema = z.looseObject({
  activity_id: z.string().min(1),
  ts: z.string(),
  akey: optionalNullableString,
  /** An object `{name, details}` in practice; a plain string in Duo's Python docstring. */
  action: z
    .union([z.string(), z.looseObject({ name: optionalNullableString })])
    .nullable()
    .optional(),
  actor: ActivityPartySchema,
  target: ActivityPartySchema,
  old_target: z.unknown().optional(),
  application: ActivityPartySchema,
  outcome: z.looseObject({ result: optionalNullableString }).nullable().optional(),
  access_device: z.unknown().optional(),
});
export type DuoActivityLog = z.infer<typeof ActivityLogSchema>;

/** `response` of `/admin/v2/logs/telephony` and `/admin/v2/logs/activity`. */
export const ItemsPageSchema = z.looseObject({
  items: z.array(z.unknown()),
  metadata: LogMetadataSchema.nullable().optional(),
});

// ---- Trust Monitor ------------------------------------------------------------------------------

/** The Trust Monitor event types Duo documents for the `type` filter. */
export const TRUST_MONITOR_TYPES = ['auth', 'bypass_status'] as const;

const TrustMonitorPartySchema = z
  .looseObject({ key: optionalNullableString, name: optionalNullableString })
  .nullable()
  .optional();

const LabelledSchema = z.looseObject({
  type: optionalNullableString,
  label: optionalNullableString,
  summary: optionalNullableString,
});

/**
 * An event of `/admin/v1/trust_monitor/events`: `sv4_id` is its key, `surfaced_timestamp` (ms)
 * its time; `state` and `state_updated_timestamp` change when an administrator triages it, so a
 * re-read may carry a new state. `surfaced_auth` is an authentication log record (`auth` events);
 * `enabled_for` and `enabled_by` name the user and administrator of a `bypass_status` event.
 */
export const TrustMonitorEventSchema = z.looseObject({
  sv4_id: z.string().min(1),
  surfaced_timestamp: z.number().int(),
  type: z.string(),
  state: optionalNullableString,
  state_updated_timestamp: z.number().int().nullable().optional(),
  triage_event_uri: optionalNullableString,
  triaged_as_interesting: z.boolean().nullable().optional(),
  priority_event: z.boolean().nullable().optional(),
  priority_reasons: z.array(LabelledSchema).nullable().optional(),
  explanations: z.array(LabelledSchema).nullable().optional(),
  from_common_netblock: z.boolean().nullable().optional(),
  from_new_user: z.boolean().nullable().optional(),
  low_risk_ip: z.boolean().nullable().optional(),
  surfaced_auth: AuthLogSchema.partial().nullable().optional(),
  bypass_status_enabled: z.number().int().nullable().optional(),
  enabled_by: TrustMonitorPartySchema,
  enabled_for: TrustMonitorPartySchema,
});
export type DuoTrustMonitorEvent = z.infer<typeof TrustMonitorEventSchema>;

/** `response` of `/admin/v1/trust_monitor/events`: `metadata.next_offset` is an opaque string. */
export const TrustMonitorPageSchema = z.looseObject({
  events: z.array(z.unknown()),
  metadata: z
    .looseObject({ next_offset: z.union([z.string(), z.number()]).nullable().optional() })
    .nullable()
    .optional(),
});
