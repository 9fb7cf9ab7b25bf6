/**
 * Entitlements: the Duo groups a `duo` source aggregates (key: Duo `group_id`).
 *
 * @example await upsertEntitlements(db, { sourceId, runId, entitlements: groups });
 */
import type { Selectable } from 'kysely';
import type {
  Account,
  DeletionOutcome,
  Entitlement,
  EntitlementKind,
  EntitlementSnapshot,
} from '../domain/accounts.js';
import { NotFoundError } from '../domain/errors.js';
import { nowMs, type EpochMs } from '../domain/time.js';
import { chunks, epochMsOrNull, toJsonOrNull } from './columns.js';
import { rowsPerStatement, type Db } from './dialect.js';
import type { EntitlementsTable } from './schema.js';
import { markMissingDeleted, type MarkMissingInput } from './snapshots.js';
import { toAccount } from './accounts-mapper.js';

export function toEntitlement(row: Selectable<EntitlementsTable>): Entitlement {
  return {
    id: row.id,
    kind: row.kind as EntitlementKind,
    sourceId: row.source_id,
    duoGroupId: row.duo_group_id,
    name: row.name,
    description: row.description,
    status: row.status,
    deletedAt: epochMsOrNull(row.deleted_at),
  };
}

export interface UpsertEntitlementsInput {
  readonly sourceId: string;
  readonly runId: string;
  /** One page of the snapshot (any size; written in statement-sized batches). */
  readonly entitlements: readonly EntitlementSnapshot[];
  readonly now?: EpochMs;
}

/**
 * Inserts or refreshes a page of groups, stamping each with the run (see
 * `markMissingEntitlementsDeleted`). A deleted entitlement seen again is restored.
 */
export async function upsertEntitlements(
  db: Db,
  input: UpsertEntitlementsInput,
): Promise<{ readonly inserted: number; readonly updated: number }> {
  const now = input.now ?? nowMs();
  const unique = [...new Map(input.entitlements.map((e) => [e.duoGroupId, e])).values()];
  return db.transaction().execute(async (trx) => {
    let inserted = 0;
    for (const batch of chunks(unique, rowsPerStatement(trx, 12))) {
      const existing = await trx
        .selectFrom('entitlements')
        .select('duo_group_id')
        .where('source_id', '=', input.sourceId)
        .where(
          'duo_group_id',
          'in',
          batch.map((e) => e.duoGroupId),
        )
        .execute();
      inserted += batch.length - existing.length;
      await trx
        .insertInto('entitlements')
        .values(
          batch.map((e) => ({
            source_id: input.sourceId,
            kind: e.kind ?? 'group',
            duo_group_id: e.duoGroupId,
            name: e.name,
            description: e.description ?? null,
            status: e.status ?? null,
            deleted_at: null,
            first_seen_at: now,
            last_seen_at: now,
            last_seen_run: input.runId,
            raw: toJsonOrNull(e.raw),
          })),
        )
        .onConflict((oc) =>
          oc.columns(['source_id', 'duo_group_id']).doUpdateSet((eb) => ({
            name: eb.ref('excluded.name'),
            description: eb.ref('excluded.description'),
            status: eb.ref('excluded.status'),
            deleted_at: null,
            last_seen_at: eb.ref('excluded.last_seen_at'),
            last_seen_run: eb.ref('excluded.last_seen_run'),
            raw: eb.ref('excluded.raw'),
          })),
        )
        .execute();
    }
    return { inserted, updated: unique.length - inserted };
  });
}

/**
 * Ids of the source's entitlements for these Duo groups, creating any not yet known (from
 * the groups embedded in users) without stamping them as seen by a groups snapshot.
 */
export async function ensureEntitlements(
  db: Db,
  sourceId: string,
  groups: readonly {
    readonly duoGroupId: string;
    readonly name: string;
    readonly kind?: EntitlementKind;
  }[],
  now: EpochMs = nowMs(),
): Promise<Map<string, number>> {
  const unique = [...new Map(groups.map((g) => [g.duoGroupId, g])).values()];
  const ids = new Map<string, number>();
  for (const batch of chunks(unique, rowsPerStatement(db, 12))) {
    await db
      .insertInto('entitlements')
      .values(
        batch.map((g) => ({
          source_id: sourceId,
          kind: g.kind ?? 'group',
          duo_group_id: g.duoGroupId,
          name: g.name,
          description: null,
          status: null,
          deleted_at: null,
          first_seen_at: now,
          last_seen_at: now,
          last_seen_run: null,
          raw: null,
        })),
      )
      .onConflict((oc) => oc.columns(['source_id', 'duo_group_id']).doNothing())
      .execute();
    const rows = await db
      .selectFrom('entitlements')
      .select(['id', 'duo_group_id'])
      .where('source_id', '=', sourceId)
      .where(
        'duo_group_id',
        'in',
        batch.map((g) => g.duoGroupId),
      )
      .execute();
    for (const row of rows) ids.set(row.duo_group_id, row.id);
  }
  return ids;
}

/**
 * After a COMPLETE groups snapshot: marks the source's entitlements the run did not see as
 * deleted, unless the snapshot was empty or more than `maxDeleteShare` would go.
 */
export async function markMissingEntitlementsDeleted(
  db: Db,
  input: MarkMissingInput,
): Promise<DeletionOutcome> {
  return markMissingDeleted(db, 'entitlements', { ...input, kind: input.kind ?? 'group' });
}

export async function findEntitlement(db: Db, id: number): Promise<Entitlement | undefined> {
  const row = await db
    .selectFrom('entitlements')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row && toEntitlement(row);
}

export async function getEntitlement(db: Db, id: number): Promise<Entitlement> {
  const found = await findEntitlement(db, id);
  if (!found) throw new NotFoundError('entitlement', String(id));
  return found;
}

export async function findEntitlementByDuoGroupId(
  db: Db,
  sourceId: string,
  duoGroupId: string,
): Promise<Entitlement | undefined> {
  const row = await db
    .selectFrom('entitlements')
    .selectAll()
    .where('source_id', '=', sourceId)
    .where('duo_group_id', '=', duoGroupId)
    .executeTakeFirst();
  return row && toEntitlement(row);
}

export async function listEntitlements(
  db: Db,
  query: {
    readonly sourceId: string;
    readonly includeDeleted?: boolean;
    /** Only Duo groups, or only admin roles; absent: both. */
    readonly kind?: EntitlementKind;
  },
): Promise<Entitlement[]> {
  let q = db.selectFrom('entitlements').selectAll().where('source_id', '=', query.sourceId);
  if (query.includeDeleted !== true) q = q.where('deleted_at', 'is', null);
  if (query.kind !== undefined) q = q.where('kind', '=', query.kind);
  const rows = await q.orderBy('name').orderBy('id').execute();
  return rows.map(toEntitlement);
}

/** The accounts holding an entitlement (deleted accounts excluded): an access review's rows. */
export async function listEntitlementMembers(db: Db, entitlementId: number): Promise<Account[]> {
  const rows = await db
    .selectFrom('account_entitlements as ae')
    .innerJoin('accounts as a', 'a.id', 'ae.account_id')
    .selectAll('a')
    .where('ae.entitlement_id', '=', entitlementId)
    .where('a.deleted_at', 'is', null)
    .orderBy('a.username')
    .execute();
  return rows.map(toAccount);
}
