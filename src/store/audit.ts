/**
 * The audit trail: who created, configured, tested, synced, deleted what, and when. Append only;
 * newest first when read, keyset-paged on (at, id).
 *
 * @example await recordAudit(db, { actor: 'alice', action: 'source.create', targetType: 'source', targetId });
 */
import type { Selectable } from 'kysely';
import { nowMs, type EpochMs } from '../domain/time.js';
import type { AuditEntry } from '../domain/users.js';
import { epochMs, fromJson, toJsonOrNull } from './columns.js';
import type { Db } from './dialect.js';
import type { AuditLogTable } from './schema.js';

function toAuditEntry(row: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: row.id,
    at: epochMs(row.at),
    actorUserId: row.actor_user_id,
    actor: row.actor,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    targetName: row.target_name,
    details: fromJson(row.details),
    ip: row.ip,
  };
}

export interface NewAuditEntry {
  readonly actorUserId?: string | null;
  readonly actor: string;
  readonly action: string;
  readonly targetType: string;
  readonly targetId?: string | null;
  readonly targetName?: string | null;
  /** Facts worth keeping (never a secret). */
  readonly details?: unknown;
  readonly ip?: string | null;
  readonly at?: EpochMs;
}

export async function recordAudit(db: Db, entry: NewAuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at: entry.at ?? nowMs(),
      actor_user_id: entry.actorUserId ?? null,
      actor: entry.actor,
      action: entry.action,
      target_type: entry.targetType,
      target_id: entry.targetId ?? null,
      target_name: entry.targetName ?? null,
      details: toJsonOrNull(entry.details),
      ip: entry.ip ?? null,
    })
    .execute();
}

export interface AuditCursor {
  readonly at: number;
  readonly id: number;
}

/** Newest first; `before` is the last entry of the previous page. */
export async function listAudit(
  db: Db,
  query: { readonly before?: AuditCursor; readonly limit?: number } = {},
): Promise<AuditEntry[]> {
  let q = db.selectFrom('audit_log').selectAll();
  const before = query.before;
  if (before)
    // A row value walks the (at, id) index from the cursor; both columns are NOT NULL.
    q = q.where((eb) => eb(eb.refTuple('at', 'id'), '<', eb.tuple(before.at, before.id)));
  const rows = await q
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit ?? 100)
    .execute();
  return rows.map(toAuditEntry);
}

/**
 * Each user's latest sign-in to the console (the `auth.login` entries of the trail): user id →
 * when. A user who never signed in is absent.
 *
 * @example (await lastSignIns(db)).get(user.id) // 1700000000000
 */
export async function lastSignIns(db: Db): Promise<Map<string, EpochMs>> {
  const rows = await db
    .selectFrom('audit_log')
    .select(['actor_user_id', (eb) => eb.fn.max('at').as('at')])
    .where('action', '=', 'auth.login')
    .where('actor_user_id', 'is not', null)
    .groupBy('actor_user_id')
    .execute();
  return new Map(
    rows.flatMap((r) => (r.actor_user_id === null ? [] : [[r.actor_user_id, epochMs(r.at)]])),
  );
}
