/** Row ↔ domain mapping of accounts, shared by accounts.ts and entitlements.ts. */
import type { Selectable } from 'kysely';
import type { Account, AccountKind, Correlation } from '../domain/accounts.js';
import { epochMs, epochMsOrNull, fromFlag, fromJson } from './columns.js';
import type { AccountsTable } from './schema.js';

export function toAccount(row: Selectable<AccountsTable>): Account {
  return {
    id: row.id,
    kind: row.kind as AccountKind,
    sourceId: row.source_id,
    duoUserId: row.duo_user_id,
    username: row.username,
    realname: row.realname,
    email: row.email,
    status: row.status,
    lockoutReason: row.lockout_reason,
    aliases: (fromJson(row.aliases) as string[] | null) ?? [],
    isEnrolled: fromFlag(row.is_enrolled),
    lastLoginMs: epochMsOrNull(row.last_login_ms),
    createdMs: epochMsOrNull(row.created_ms),
    adminRole: row.admin_role,
    adminUnits: (fromJson(row.admin_units) as unknown[] | null) ?? [],
    restrictedByAdminUnits: fromFlag(row.restricted_by_admin_units),
    identityId: row.identity_id,
    correlation: row.correlation as Correlation | null,
    deletedAt: epochMsOrNull(row.deleted_at),
    firstSeenAt: epochMs(row.first_seen_at),
    lastSeenAt: epochMs(row.last_seen_at),
  };
}
