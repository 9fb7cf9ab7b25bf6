/**
 * The reports' queries: each one SQL statement over accounts, identities and the activity
 * rollups (never one query per row, never raw events), so a report over 50k identities stays
 * under a second (the performance targets). Last activity comes from `activity_last`; days
 * active from the daily rollup's primary key (user_key, day, …). Only dormant administrators
 * read events: their newest administrator-log event, one index probe each.
 *
 * @example const rows = await dormantAccounts(db, { idleSinceMs: addMs(now, -90 * DAY_MS) });
 */
import { sql, type ExpressionBuilder } from 'kysely';
import type { AccountKind } from '../domain/accounts.js';
import type { EpochMs } from '../domain/time.js';
import { epochMsOrNull } from './columns.js';
import { dialectOf, type Db } from './dialect.js';
import type { AccountsTable, Database } from './schema.js';

/** An account row of a report, with its identity and the activity facts. */
export interface ReportAccountRow {
  readonly accountId: number;
  readonly kind: AccountKind;
  /** An administrator's Duo role; null for a user. */
  readonly adminRole: string | null;
  readonly sourceId: string;
  readonly sourceName: string;
  readonly duoUserId: string;
  readonly username: string;
  readonly realname: string | null;
  readonly email: string | null;
  readonly status: string;
  readonly identityId: string | null;
  readonly identityName: string | null;
  readonly identityEmail: string | null;
  /** Duo's own `last_login`. */
  readonly lastLoginMs: EpochMs | null;
  /**
   * The newest stored event of the Duo user (any activity source); for an administrator, its
   * newest administrator-log event (named by its name or e-mail).
   */
  readonly lastEventMs: EpochMs | null;
  /** The later of the two: what "last activity" means in reports. */
  readonly lastActivityMs: EpochMs | null;
}

/**
 * An administrator's newest administrator-log event: those events carry no user key (the log
 * names the admin by its name or e-mail), so no rollup holds them; read from the partial index
 * of events without a user key, for administrators only (users' reports never read events).
 */
function lastAdministratorEvent(eb: ExpressionBuilder<AccountsScope, 'a'>) {
  return eb
    .case()
    .when('a.kind', '=', 'administrator')
    .then(
      eb
        .selectFrom('activity_events as e')
        .select((e) => e.fn.max<number>('e.ts_ms').as('m'))
        .where('e.user_key', 'is', null)
        .where('e.stream_id', 'in', (q) =>
          q
            .selectFrom('event_streams')
            .select('event_streams.id')
            .where('event_streams.stream', '=', 'administrator'),
        )
        .where('e.username', 'in', (q) =>
          q
            .selectFrom('strings as n')
            .select('n.id')
            .where((n) =>
              n.or([n('n.value', '=', n.ref('a.realname')), n('n.value', '=', n.ref('a.email'))]),
            ),
        ),
    )
    .end()
    .as('last_admin_event_ms');
}

type AccountsScope = Database & { a: AccountsTable };

/** `adminEvents`: also each administrator's newest administrator-log event. */
function accountsWithActivity(db: Db, adminEvents = false) {
  return db
    .selectFrom('accounts as a')
    .innerJoin('sources as src', 'src.id', 'a.source_id')
    .leftJoin('identities as i', 'i.id', 'a.identity_id')
    .leftJoin('strings as s', 's.value', 'a.duo_user_id')
    .select((eb) => [
      'a.id as account_id',
      'a.kind',
      'a.admin_role',
      'a.source_id',
      'src.name as source_name',
      'a.duo_user_id',
      'a.username',
      'a.realname',
      'a.email',
      'a.status',
      'a.identity_id',
      'i.display_name as identity_name',
      'i.email as identity_email',
      'a.last_login_ms',
      eb
        .selectFrom('activity_last as l')
        .select((l) => l.fn.max<number>('l.last_ms').as('m'))
        .whereRef('l.user_key', '=', 's.id')
        .as('last_event_ms'),
      adminEvents
        ? lastAdministratorEvent(eb)
        : sql<number | null>`cast(null as bigint)`.as('last_admin_event_ms'),
      's.id as user_key',
    ])
    .where('a.deleted_at', 'is', null);
}

interface RawRow {
  account_id: number;
  kind: string;
  admin_role: string | null;
  source_id: string;
  source_name: string;
  duo_user_id: string;
  username: string;
  realname: string | null;
  email: string | null;
  status: string;
  identity_id: string | null;
  identity_name: string | null;
  identity_email: string | null;
  last_login_ms: number | null;
  last_event_ms: number | null;
  last_admin_event_ms: number | null;
}

function later(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

function toReportRow(r: RawRow): ReportAccountRow {
  const lastEvent = later(r.last_event_ms, r.last_admin_event_ms);
  const last = later(lastEvent, r.last_login_ms);
  return {
    accountId: r.account_id,
    kind: r.kind as AccountKind,
    adminRole: r.admin_role,
    sourceId: r.source_id,
    sourceName: r.source_name,
    duoUserId: r.duo_user_id,
    username: r.username,
    realname: r.realname,
    email: r.email,
    status: r.status,
    identityId: r.identity_id,
    identityName: r.identity_name,
    identityEmail: r.identity_email,
    lastLoginMs: epochMsOrNull(r.last_login_ms),
    lastEventMs: epochMsOrNull(lastEvent),
    lastActivityMs: epochMsOrNull(last),
  };
}

/** Which accounts a dormant-accounts report holds. */
export interface DormantQuery {
  readonly idleSinceMs: EpochMs;
  readonly sourceId?: string;
  /** Duo users (the default) or Duo administrators. */
  readonly kind?: AccountKind;
  /** Only these accounts (a page of `dormantAccountIds`); absent: every dormant account. */
  readonly accountIds?: readonly number[];
}

function dormantInner(db: Db, query: DormantQuery) {
  // Duo words a user's status in lower case (`active`), an administrator's capitalised.
  const kind = query.kind ?? 'user';
  let inner = accountsWithActivity(db, kind === 'administrator')
    .where('a.kind', '=', kind)
    .where('a.status', '=', kind === 'administrator' ? 'Active' : 'active');
  if (query.sourceId !== undefined) inner = inner.where('a.source_id', '=', query.sourceId);
  if (query.accountIds !== undefined)
    inner = inner.where(dialectOf(db).idIn('a.id', query.accountIds));
  const since = query.idleSinceMs;
  return db
    .selectFrom(inner.as('t'))
    .where((eb) =>
      eb.and([
        eb.or([eb('t.last_event_ms', 'is', null), eb('t.last_event_ms', '<', since)]),
        eb.or([eb('t.last_admin_event_ms', 'is', null), eb('t.last_admin_event_ms', '<', since)]),
        eb.or([eb('t.last_login_ms', 'is', null), eb('t.last_login_ms', '<', since)]),
      ]),
    )
    .orderBy(sql`coalesce(t.last_event_ms, t.last_admin_event_ms, t.last_login_ms, 0)`)
    .orderBy('t.username')
    .orderBy('t.account_id');
}

/**
 * Dormant accounts: active in Duo (status `active`), not deleted, whose last activity (event or
 * Duo login) is older than `idleSinceMs` or never happened. Never-active first, then oldest.
 */
export async function dormantAccounts(db: Db, query: DormantQuery): Promise<ReportAccountRow[]> {
  const rows = await dormantInner(db, query).selectAll().execute();
  return rows.map((r) => toReportRow(r as RawRow));
}

/**
 * The ids of the dormant accounts, in the report's order: an export reads them once, then the
 * rows a page at a time (`dormantAccounts` with `accountIds`). The order is by last activity,
 * which is computed, so a keyset on it would compute every account's last activity per page.
 *
 * @example const ids = await dormantAccountIds(db, { idleSinceMs }); // [17, 4, 9, …]
 */
export async function dormantAccountIds(
  db: Db,
  query: Omit<DormantQuery, 'accountIds'>,
): Promise<number[]> {
  const rows = await dormantInner(db, query).select('t.account_id').execute();
  return rows.map((r) => r.account_id);
}

export interface AccessReviewRow extends ReportAccountRow {
  /** Distinct UTC days with any event since `sinceDay`. */
  readonly daysActive: number;
}

/** Which members an access review holds. */
export interface AccessReviewQuery {
  readonly entitlementId: number;
  /** Only these accounts (a page of `accessReviewMemberIds`); absent: every member. */
  readonly accountIds?: readonly number[];
}

function members(db: Db, query: AccessReviewQuery) {
  let found = db
    .selectFrom('account_entitlements as ae')
    .innerJoin('accounts as m', 'm.id', 'ae.account_id')
    .where('ae.entitlement_id', '=', query.entitlementId)
    .where('m.deleted_at', 'is', null);
  if (query.accountIds !== undefined)
    found = found.where(dialectOf(db).idIn('m.id', query.accountIds));
  return found;
}

/**
 * The account ids of an entitlement's holders, by username (then id): an export reads them once,
 * then the rows a page at a time (`accessReviewRows` with `accountIds`). No index orders a
 * group's members by username, so a keyset on it would sort every member again per page.
 *
 * @example const ids = await accessReviewMemberIds(db, { entitlementId }); // [12, 3, …]
 */
export async function accessReviewMemberIds(
  db: Db,
  query: Omit<AccessReviewQuery, 'accountIds'>,
): Promise<number[]> {
  const rows = await members(db, query)
    .select('m.id')
    .orderBy('m.username')
    .orderBy('m.id')
    .execute();
  return rows.map((r) => r.id);
}

/**
 * The holders of an entitlement (Duo group) with last activity and days active since `sinceDay`,
 * by username (then account id); with `accountIds`, those members only.
 *
 * @example const rows = await accessReviewRows(db, { entitlementId, sinceDay, accountIds });
 */
export async function accessReviewRows(
  db: Db,
  query: AccessReviewQuery & { readonly sinceDay: number },
): Promise<AccessReviewRow[]> {
  // Joined to the membership rather than `a.id in (members)`: the membership's primary key
  // (account, entitlement) answers each account at once, where the subquery read every member
  // and their accounts a second time (and, on PostgreSQL, hashed them) for each page.
  let found = accountsWithActivity(db)
    .innerJoin('account_entitlements as ae', 'ae.account_id', 'a.id')
    .where('ae.entitlement_id', '=', query.entitlementId);
  if (query.accountIds !== undefined)
    found = found.where(dialectOf(db).idIn('a.id', query.accountIds));
  const rows = await found
    .select((eb) =>
      eb
        .selectFrom('activity_daily as d')
        .select((d) => d.fn.count<number>('d.day').distinct().as('n'))
        .whereRef('d.user_key', '=', 's.id')
        .where('d.day', '>=', query.sinceDay)
        .where('d.count', '>', 0)
        .as('days_active'),
    )
    .orderBy('a.username')
    .orderBy('a.id')
    .execute();
  return rows.map((r) => ({
    ...toReportRow(r as RawRow),
    daysActive: (r as { days_active: number | null }).days_active ?? 0,
  }));
}

/** An account a review campaign reviews, with the figures the reviewer decides on. */
export interface ReviewCandidateRow extends AccessReviewRow {
  /** The newest successful authentication seen (`activity_last.last_success_ms`). */
  readonly lastSuccessMs: EpochMs | null;
  /** The access under review; null when the account itself is (an accounts campaign). */
  readonly entitlement: {
    readonly id: number;
    readonly kind: string;
    readonly duoGroupId: string;
    readonly name: string;
  } | null;
}

/**
 * What a review campaign is created from, in one statement: the holders of an entitlement (as
 * `accessReviewRows` gives them), or every Duo user (not deleted) of the sources, each with last
 * activity, last success and days active since `sinceDay`, by username (then account id).
 *
 * @example const rows = await reviewCandidateRows(db, { sourceIds: [id], sinceDay });
 */
export async function reviewCandidateRows(
  db: Db,
  query: ({ readonly entitlementId: number } | { readonly sourceIds: readonly string[] }) & {
    readonly sinceDay: number;
  },
): Promise<ReviewCandidateRow[]> {
  const base = accountsWithActivity(db).select((eb) => [
    eb
      .selectFrom('activity_daily as d')
      .select((d) => d.fn.count<number>('d.day').distinct().as('n'))
      .whereRef('d.user_key', '=', 's.id')
      .where('d.day', '>=', query.sinceDay)
      .where('d.count', '>', 0)
      .as('days_active'),
    eb
      .selectFrom('activity_last as ls')
      .select((l) => l.fn.max<number>('ls.last_success_ms').as('m'))
      .whereRef('ls.user_key', '=', 's.id')
      .as('last_success_ms'),
  ]);
  interface Extra {
    days_active: number | null;
    last_success_ms: number | null;
  }
  const figures = (r: unknown) => {
    const row = r as RawRow & Extra;
    return {
      ...toReportRow(row),
      daysActive: row.days_active ?? 0,
      lastSuccessMs: epochMsOrNull(row.last_success_ms),
    };
  };
  if ('entitlementId' in query) {
    const rows = await base
      .innerJoin('account_entitlements as ae', 'ae.account_id', 'a.id')
      .innerJoin('entitlements as en', 'en.id', 'ae.entitlement_id')
      .where('ae.entitlement_id', '=', query.entitlementId)
      .select([
        'en.id as entitlement_id',
        'en.kind as entitlement_kind',
        'en.duo_group_id',
        'en.name as entitlement_name',
      ])
      .orderBy('a.username')
      .orderBy('a.id')
      .execute();
    return rows.map((r) => ({
      ...figures(r),
      entitlement: {
        id: r.entitlement_id,
        kind: r.entitlement_kind,
        duoGroupId: r.duo_group_id,
        name: r.entitlement_name,
      },
    }));
  }
  if (query.sourceIds.length === 0) return [];
  const rows = await base
    .where('a.source_id', 'in', query.sourceIds)
    .where('a.kind', '=', 'user')
    .orderBy('a.username')
    .orderBy('a.id')
    .execute();
  return rows.map((r) => ({ ...figures(r), entitlement: null }));
}

/**
 * The organisation's events (those naming a Duo user) and active Duo users since `sinceDay`
 * (UTC days since the epoch), from the per-day totals kept at ingest: the "organisation
 * average" of insights. A Duo user counts once per activity source it appears in, as its
 * events do.
 *
 * @example const { events, users } = await organisationActivity(db, { sinceDay: today - 29 });
 */
export async function organisationActivity(
  db: Db,
  query: { readonly sinceDay: number },
): Promise<{ readonly events: number; readonly users: number }> {
  const row = await db
    .selectFrom('activity_org_daily')
    .select((eb) => [
      eb.fn.sum<number>('events').as('events'),
      eb.fn.sum<number>('users').as('users'),
    ])
    .where('day', '>=', query.sinceDay)
    .executeTakeFirst();
  return { events: row?.events ?? 0, users: row?.users ?? 0 };
}
