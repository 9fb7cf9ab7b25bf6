/**
 * Accounts: the Duo users a `duo` source aggregates (key: Duo `user_id`), their group
 * memberships (entitlements) and their link to an identity.
 *
 * Aggregation writes a snapshot page by page (`upsertAccounts`, any number of pages, each
 * stamped with the run id), then `markMissingAccountsDeleted` once the snapshot is complete.
 *
 * @example
 *   for await (const page of duo.users()) await upsertAccounts(db, { sourceId, runId, accounts: page });
 *   const outcome = await markMissingAccountsDeleted(db, { sourceId, runId, maxDeleteShare: 0.2 });
 */
import { sql } from 'kysely';
import type {
  Account,
  AccountKind,
  AccountSnapshot,
  Correlation,
  DeletionOutcome,
  Entitlement,
} from '../domain/accounts.js';
import { NotFoundError } from '../domain/errors.js';
import type { Identity } from '../domain/identities.js';
import { createIdentities, toIdentity, type NewIdentityWithId } from './identities.js';
import { nowMs, type EpochMs } from '../domain/time.js';
import { toAccount } from './accounts-mapper.js';
import { chunks, sameJson, toFlag, toJson, toJsonOrNull } from './columns.js';
import { dialectOf, rowsPerStatement, type Db } from './dialect.js';
import { ensureEntitlements, toEntitlement } from './entitlements.js';
import { assertReferencesExist } from './references.js';
import { markMissingDeleted, type MarkMissingInput } from './snapshots.js';

export { toAccount };

export interface UpsertAccountsInput {
  readonly sourceId: string;
  readonly runId: string;
  /** One page of the snapshot (e.g. 300 users). */
  readonly accounts: readonly AccountSnapshot[];
  readonly now?: EpochMs;
}

/**
 * Inserts or refreshes a page of users in one transaction, stamping each with the run. An
 * account's groups, when given, replace its memberships (unknown groups become entitlements).
 * A deleted account seen again is restored; its identity link is kept.
 */
export async function upsertAccounts(
  db: Db,
  input: UpsertAccountsInput,
): Promise<{ readonly inserted: number; readonly updated: number }> {
  const now = input.now ?? nowMs();
  const unique = [...new Map(input.accounts.map((a) => [a.duoUserId, a])).values()];
  return db.transaction().execute(async (trx) => {
    let inserted = 0;
    let updated = 0;
    const accountIds = new Map<string, number>();
    for (const batch of chunks(unique, rowsPerStatement(trx, 23))) {
      const existing = await trx
        .selectFrom('accounts')
        .select([
          'id',
          'duo_user_id',
          'username',
          'realname',
          'email',
          'status',
          'lockout_reason',
          'aliases',
          'is_enrolled',
          'last_login_ms',
          'created_ms',
          'admin_role',
          'admin_units',
          'restricted_by_admin_units',
          'deleted_at',
          'raw',
        ])
        .where('source_id', '=', input.sourceId)
        .where(
          'duo_user_id',
          'in',
          batch.map((a) => a.duoUserId),
        )
        .execute();
      inserted += batch.length - existing.length;
      const groupsBefore = await membershipsOf(
        trx,
        existing.map((e) => e.id),
      );
      const before = new Map(existing.map((e) => [e.duo_user_id, e]));
      for (const a of batch) {
        const stored = before.get(a.duoUserId);
        if (stored && accountChanged(stored, a, groupsBefore.get(stored.id) ?? [])) updated += 1;
      }
      const rows = await trx
        .insertInto('accounts')
        .values(
          batch.map((a) => ({
            source_id: input.sourceId,
            kind: a.kind ?? 'user',
            duo_user_id: a.duoUserId,
            username: a.username,
            realname: a.realname ?? null,
            email: a.email ?? null,
            status: a.status,
            lockout_reason: a.lockoutReason ?? null,
            aliases: toJson(a.aliases ?? []),
            is_enrolled: toFlag(a.isEnrolled),
            last_login_ms: a.lastLoginMs ?? null,
            created_ms: a.createdMs ?? null,
            admin_role: a.adminRole ?? null,
            admin_units: a.adminUnits === undefined ? null : toJson(a.adminUnits),
            restricted_by_admin_units: toFlag(a.restrictedByAdminUnits),
            identity_id: null,
            correlation: null,
            deleted_at: null,
            first_seen_at: now,
            last_seen_at: now,
            last_seen_run: input.runId,
            raw: toJsonOrNull(a.raw),
          })),
        )
        .onConflict((oc) =>
          oc.columns(['source_id', 'duo_user_id']).doUpdateSet((eb) => ({
            username: eb.ref('excluded.username'),
            realname: eb.ref('excluded.realname'),
            email: eb.ref('excluded.email'),
            status: eb.ref('excluded.status'),
            lockout_reason: eb.ref('excluded.lockout_reason'),
            aliases: eb.ref('excluded.aliases'),
            is_enrolled: eb.ref('excluded.is_enrolled'),
            last_login_ms: eb.ref('excluded.last_login_ms'),
            created_ms: eb.ref('excluded.created_ms'),
            admin_role: eb.ref('excluded.admin_role'),
            admin_units: eb.ref('excluded.admin_units'),
            restricted_by_admin_units: eb.ref('excluded.restricted_by_admin_units'),
            deleted_at: null,
            last_seen_at: eb.ref('excluded.last_seen_at'),
            last_seen_run: eb.ref('excluded.last_seen_run'),
            raw: eb.ref('excluded.raw'),
          })),
        )
        .returning(['id', 'duo_user_id'])
        .execute();
      for (const row of rows) accountIds.set(row.duo_user_id, row.id);
    }

    const withGroups = unique.filter((a) => a.groups !== undefined);
    if (withGroups.length > 0) {
      const groupIds = await ensureEntitlements(
        trx,
        input.sourceId,
        withGroups.flatMap((a) => a.groups ?? []),
        now,
      );
      const ids = withGroups.flatMap((a) => {
        const id = accountIds.get(a.duoUserId);
        return id === undefined ? [] : [id];
      });
      for (const batch of chunks(ids, rowsPerStatement(trx, 1)))
        await trx.deleteFrom('account_entitlements').where('account_id', 'in', batch).execute();
      const links = withGroups.flatMap((a) => {
        const accountId = accountIds.get(a.duoUserId);
        if (accountId === undefined) return [];
        const entitlementIds = new Set(
          (a.groups ?? []).flatMap((g) => {
            const id = groupIds.get(g.duoGroupId);
            return id === undefined ? [] : [id];
          }),
        );
        return [...entitlementIds].map((entitlementId) => ({
          account_id: accountId,
          entitlement_id: entitlementId,
        }));
      });
      for (const batch of chunks(links, rowsPerStatement(trx, 2)))
        await trx.insertInto('account_entitlements').values(batch).execute();
    }
    return { inserted, updated };
  });
}

interface StoredAccountFields {
  readonly username: string;
  readonly realname: string | null;
  readonly email: string | null;
  readonly status: string;
  readonly lockout_reason: string | null;
  readonly aliases: string;
  readonly is_enrolled: number | null;
  readonly last_login_ms: number | null;
  readonly created_ms: number | null;
  readonly admin_role: string | null;
  readonly admin_units: string | null;
  readonly restricted_by_admin_units: number | null;
  readonly deleted_at: number | null;
  readonly raw: string | null;
}

/**
 * Whether writing `a` changes what is stored for an account: a field, its groups (when the
 * snapshot has them), the original record, or a deleted account coming back. An account seen
 * again unchanged is not "updated".
 */
function accountChanged(
  stored: StoredAccountFields,
  a: AccountSnapshot,
  storedGroups: readonly string[],
): boolean {
  const groupsChanged =
    a.groups !== undefined &&
    [...new Set(a.groups.map((g) => g.duoGroupId))].sort().join('\n') !==
      [...storedGroups].sort().join('\n');
  return (
    groupsChanged ||
    stored.deleted_at !== null ||
    stored.username !== a.username ||
    stored.realname !== (a.realname ?? null) ||
    stored.email !== (a.email ?? null) ||
    stored.status !== a.status ||
    stored.lockout_reason !== (a.lockoutReason ?? null) ||
    !sameJson(stored.aliases, toJson(a.aliases ?? [])) ||
    stored.is_enrolled !== toFlag(a.isEnrolled) ||
    stored.last_login_ms !== (a.lastLoginMs ?? null) ||
    stored.created_ms !== (a.createdMs ?? null) ||
    stored.admin_role !== (a.adminRole ?? null) ||
    !sameJson(stored.admin_units, a.adminUnits === undefined ? null : toJson(a.adminUnits)) ||
    stored.restricted_by_admin_units !== toFlag(a.restrictedByAdminUnits) ||
    !sameJson(stored.raw, toJsonOrNull(a.raw))
  );
}

/** The Duo group ids each account holds. */
async function membershipsOf(
  db: Db,
  accountIds: readonly number[],
): Promise<Map<number, string[]>> {
  const groups = new Map<number, string[]>();
  for (const batch of chunks(accountIds, rowsPerStatement(db, 1))) {
    const rows = await db
      .selectFrom('account_entitlements as ae')
      .innerJoin('entitlements as e', 'e.id', 'ae.entitlement_id')
      .select(['ae.account_id', 'e.duo_group_id'])
      .where(dialectOf(db).idIn('ae.account_id', batch))
      .execute();
    for (const r of rows)
      groups.set(r.account_id, [...(groups.get(r.account_id) ?? []), r.duo_group_id]);
  }
  return groups;
}

/**
 * After a COMPLETE users (or, with `kind: 'administrator'`, administrators) snapshot: marks the
 * source's accounts of that kind the run did not see as deleted, unless the snapshot was empty
 * or more than `maxDeleteShare` would go (then nothing is deleted and the outcome says why).
 */
export async function markMissingAccountsDeleted(
  db: Db,
  input: MarkMissingInput,
): Promise<DeletionOutcome> {
  return markMissingDeleted(db, 'accounts', { ...input, kind: input.kind ?? 'user' });
}

export async function findAccount(db: Db, id: number): Promise<Account | undefined> {
  const row = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toAccount(row);
}

export async function getAccount(db: Db, id: number): Promise<Account> {
  const account = await findAccount(db, id);
  if (!account) throw new NotFoundError('account', String(id));
  return account;
}

export async function findAccountByDuoUserId(
  db: Db,
  sourceId: string,
  duoUserId: string,
): Promise<Account | undefined> {
  const row = await db
    .selectFrom('accounts')
    .selectAll()
    .where('source_id', '=', sourceId)
    .where('duo_user_id', '=', duoUserId)
    .executeTakeFirst();
  return row && toAccount(row);
}

export interface AccountQuery {
  readonly sourceId?: string;
  readonly kind?: AccountKind;
  readonly identityId?: string;
  /** Only accounts without an identity (the correlation engine's work list). */
  readonly uncorrelated?: boolean;
  readonly includeDeleted?: boolean;
  /** Keyset: accounts with an id above this one. */
  readonly afterId?: number;
  /** Default 500. */
  readonly limit?: number;
}

/** Accounts in id order, a page at a time (pass the last id as `afterId`). */
export async function listAccounts(db: Db, query: AccountQuery = {}): Promise<Account[]> {
  let q = db.selectFrom('accounts').selectAll();
  if (query.sourceId !== undefined) q = q.where('source_id', '=', query.sourceId);
  if (query.identityId !== undefined) q = q.where('identity_id', '=', query.identityId);
  if (query.kind !== undefined) q = q.where('kind', '=', query.kind);
  if (query.uncorrelated === true) q = q.where('identity_id', 'is', null);
  if (query.includeDeleted !== true) q = q.where('deleted_at', 'is', null);
  if (query.afterId !== undefined) q = q.where('id', '>', query.afterId);
  const rows = await q
    .orderBy('id')
    .limit(query.limit ?? 500)
    .execute();
  return rows.map(toAccount);
}

/** Every account of a source, streamed in pages so 100k users never sit in memory at once. */
export async function* streamAccounts(
  db: Db,
  query: Omit<AccountQuery, 'afterId'> & { readonly sourceId: string },
): AsyncGenerator<Account[]> {
  let afterId: number | undefined;
  for (;;) {
    const page = await listAccounts(db, {
      ...query,
      ...(afterId === undefined ? {} : { afterId }),
    });
    if (page.length === 0) return;
    yield page;
    afterId = page[page.length - 1]?.id;
  }
}

/**
 * Links an account to an identity (or unlinks it with `null`), saying how. Throws
 * `MissingReferenceError` (`identityId`) when the identity does not exist.
 */
export async function setAccountIdentity(
  db: Db,
  accountId: number,
  link: { readonly identityId: string; readonly correlation: Correlation } | null,
): Promise<Account> {
  await assertReferencesExist(db, [
    { field: 'identityId', table: 'identities', id: link?.identityId },
  ]);
  const row = await db
    .updateTable('accounts')
    .set({ identity_id: link?.identityId ?? null, correlation: link?.correlation ?? null })
    .where('id', '=', accountId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFoundError('account', String(accountId));
  return toAccount(row);
}

/** The entitlements (Duo groups) an account holds. */
export async function listAccountEntitlements(db: Db, accountId: number): Promise<Entitlement[]> {
  const rows = await db
    .selectFrom('account_entitlements as ae')
    .innerJoin('entitlements as e', 'e.id', 'ae.entitlement_id')
    .selectAll('e')
    .where('ae.account_id', '=', accountId)
    .orderBy('e.name')
    .execute();
  return rows.map(toEntitlement);
}

/**
 * Accounts of a source (users unless `kind` says otherwise) by status (deleted ones excluded),
 * e.g. for the sources page.
 */
export async function countAccountsByStatus(
  db: Db,
  sourceId: string,
  kind: AccountKind = 'user',
): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('accounts')
    .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
    .where('source_id', '=', sourceId)
    .where('kind', '=', kind)
    .where('deleted_at', 'is', null)
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, r.count]));
}

/**
 * How many (not deleted) accounts each identity has, for many identities at once; an identity
 * without any is absent.
 *
 * @example (await countAccountsOfIdentities(db, ['id1'])).get('id1') // 2
 */
export async function countAccountsOfIdentities(
  db: Db,
  identityIds: readonly string[],
): Promise<Map<string, number>> {
  if (identityIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('accounts')
    .select(['identity_id', (eb) => eb.fn.countAll<number>().as('count')])
    .where('identity_id', 'in', [...identityIds])
    .where('deleted_at', 'is', null)
    .groupBy('identity_id')
    .execute();
  return new Map(rows.flatMap((r) => (r.identity_id === null ? [] : [[r.identity_id, r.count]])));
}

/** The entitlements (Duo groups) of many accounts at once: account id → groups, by name. */
export async function listEntitlementsOfAccounts(
  db: Db,
  accountIds: readonly number[],
): Promise<Map<number, Entitlement[]>> {
  const groups = new Map<number, Entitlement[]>();
  for (const batch of chunks([...new Set(accountIds)], rowsPerStatement(db, 1))) {
    const rows = await db
      .selectFrom('account_entitlements as ae')
      .innerJoin('entitlements as e', 'e.id', 'ae.entitlement_id')
      .select('ae.account_id')
      .selectAll('e')
      .where(dialectOf(db).idIn('ae.account_id', batch))
      .orderBy('e.name')
      .execute();
    for (const row of rows) {
      const list = groups.get(row.account_id) ?? [];
      list.push(toEntitlement(row));
      groups.set(row.account_id, list);
    }
  }
  return groups;
}

export interface AccountSearch {
  readonly sourceId: string;
  /** Only Duo users, or only Duo administrators; absent: both. */
  readonly kind?: AccountKind;
  /** Duo status, e.g. `active`, `locked out`. */
  readonly status?: string;
  /** Holders of this entitlement (Duo group) only. */
  readonly entitlementId?: number;
  /** true: linked to an identity; false: not linked. */
  readonly correlated?: boolean;
  /** Username, real name or e-mail contains this (case-insensitive). */
  readonly q?: string;
  readonly afterId?: number;
  /** Order by this column (then by id); absent: by id. Accounts without a value come last. */
  readonly sort?: AccountSortColumn;
  readonly order?: 'asc' | 'desc';
  /** Skip this many rows of the sorted list (paging a sorted list; `afterId` pages by id). */
  readonly offset?: number;
  /** Default 100. */
  readonly limit?: number;
}

/** A source's accounts (not deleted) with the sources page's filters, in id order. */
/** The columns an account list sorts on, by the API's names. */
export const ACCOUNT_SORT_COLUMNS = {
  username: 'username',
  kind: 'kind',
  realname: 'realname',
  email: 'email',
  status: 'status',
  correlation: 'correlation',
  lastLogin: 'last_login_ms',
} as const;
export type AccountSortColumn = keyof typeof ACCOUNT_SORT_COLUMNS;

/** The accounts a search's filters match (no order, no paging). */
function matchingAccounts(db: Db, query: AccountSearch) {
  let q = db
    .selectFrom('accounts')
    .where('source_id', '=', query.sourceId)
    .where('deleted_at', 'is', null);
  if (query.kind !== undefined) q = q.where('kind', '=', query.kind);
  if (query.status !== undefined) q = q.where('status', '=', query.status);
  if (query.correlated !== undefined)
    q = q.where('identity_id', query.correlated ? 'is not' : 'is', null);
  const entitlementId = query.entitlementId;
  if (entitlementId !== undefined)
    q = q.where('id', 'in', (eb) =>
      eb
        .selectFrom('account_entitlements')
        .select('account_id')
        .where('entitlement_id', '=', entitlementId),
    );
  const text = query.q?.trim().toLowerCase();
  if (text !== undefined && text.length > 0) {
    const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) =>
      eb.or([
        sql<boolean>`lower(username) like ${pattern} escape '\\'`,
        sql<boolean>`lower(realname) like ${pattern} escape '\\'`,
        sql<boolean>`lower(email) like ${pattern} escape '\\'`,
      ]),
    );
  }
  return q;
}

export async function searchAccounts(db: Db, query: AccountSearch): Promise<Account[]> {
  let q = matchingAccounts(db, query).selectAll();
  if (query.afterId !== undefined) q = q.where('id', '>', query.afterId);
  if (query.sort !== undefined) {
    const column = sql.ref(ACCOUNT_SORT_COLUMNS[query.sort]);
    const order = query.order ?? 'asc';
    // Text sorts case-insensitively; SQLite and PostgreSQL both put missing values last.
    const key = query.sort === 'lastLogin' ? column : sql`lower(${column})`;
    q = q
      .orderBy(sql`${column} is null`)
      .orderBy(key, order)
      .orderBy('id', order);
  } else q = q.orderBy('id');
  const rows = await q
    .limit(query.limit ?? 100)
    .offset(query.offset ?? 0)
    .execute();
  return rows.map(toAccount);
}

/** How many accounts a search's filters match, whatever the page. */
export async function countAccounts(db: Db, query: AccountSearch): Promise<number> {
  const row = await matchingAccounts(db, query)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The identities already linked to these Duo users through any account, by Duo `user_id`. */
export async function findIdentitiesOfDuoUsers(
  db: Db,
  duoUserIds: readonly string[],
): Promise<Map<string, Identity>> {
  const found = new Map<string, Identity>();
  for (const batch of chunks([...new Set(duoUserIds)], rowsPerStatement(db, 1))) {
    const rows = await db
      .selectFrom('accounts as a')
      .innerJoin('identities as i', 'i.id', 'a.identity_id')
      .selectAll('i')
      .select('a.duo_user_id')
      .where('a.duo_user_id', 'in', batch)
      .orderBy('a.id')
      .execute();
    for (const row of rows) {
      if (!found.has(row.duo_user_id)) found.set(row.duo_user_id, toIdentity(row));
    }
  }
  return found;
}

export interface AccountLink {
  readonly accountId: number;
  readonly identityId: string;
  readonly correlation: Correlation;
}

/**
 * One page of correlation, all or nothing: creates the new identities, then links each account
 * to its identity. Accounts linked by hand meanwhile (`manual`) are left as they are.
 */
export async function linkAccounts(
  db: Db,
  input: { readonly create: readonly NewIdentityWithId[]; readonly links: readonly AccountLink[] },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await createIdentities(trx, input.create);
    for (const link of input.links) {
      await trx
        .updateTable('accounts')
        .set({ identity_id: link.identityId, correlation: link.correlation })
        .where('id', '=', link.accountId)
        .where('identity_id', 'is', null)
        .execute();
    }
  });
}

/**
 * Sets an account's status as Duo answered it after a change made from here (an account
 * action), so it shows at once, before the next aggregation reads it again.
 *
 * @example await updateAccountStatus(db, account.id, { status: 'disabled', lockoutReason: null });
 */
export async function updateAccountStatus(
  db: Db,
  accountId: number,
  change: { readonly status: string; readonly lockoutReason: string | null },
): Promise<Account> {
  const row = await db
    .updateTable('accounts')
    .set({ status: change.status, lockout_reason: change.lockoutReason })
    .where('id', '=', accountId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFoundError('account', String(accountId));
  return toAccount(row);
}
