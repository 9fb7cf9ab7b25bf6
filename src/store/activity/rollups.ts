/**
 * The rollups kept at ingest beside `activity_daily`, so insights and reports read a few rows
 * however heavy the identity:
 *
 * - `activity_last`: per source and Duo user, the newest event and the newest successful
 *   authentication (a max, whatever order events arrive in);
 * - `activity_usage_daily`: per source, Duo user, UTC day and application / factor (of
 *   authentications only: a telephony row repeats its authentication's factor) / location,
 *   the events that used it and the first and last of them;
 * - `activity_org_daily`: per source and UTC day, the events naming a Duo user and the Duo
 *   users whose last activity is that day ("users active since day D" = the sum from D on).
 *
 * `applyActivityRollups` takes what one page changed, inside the page's transaction. New events
 * are added cell by cell; an event that changed (Duo republished it) has the days it left and
 * joined recounted from the events, and its users' last activity recomputed, since a max or a
 * first/last cannot be taken back by a delta. Replaying a page changes nothing: it adds and
 * changes no event. `recountActivityRollups` recomputes all three from raw events, to check.
 *
 * @example
 *   await applyActivityRollups(trx, { sourceId, stream, added: stored, changed, attributed });
 */
import { sql } from 'kysely';
import { SUCCESS_RESULT, dayOf } from '../../domain/activity.js';
import type { StreamName } from '../../domain/streams.js';
import { DAY_MS } from '../../domain/time.js';
import { pick, runBatches, type BatchStatement } from '../batch.js';
import { chunks, epochMs } from '../columns.js';
import { dialectOf, rowsPerStatement, type Db } from '../dialect.js';
import { lookupStrings } from './strings.js';

/** The `kind` column of `activity_usage_daily`. */
export const USAGE_KINDS = { application: 1, factor: 2, location: 3 } as const;
export type UsageKind = keyof typeof USAGE_KINDS;

/** What the rollups need of a stored event (its string columns as string ids). */
export interface RolledEvent {
  readonly user_key: number | null;
  readonly ts_ms: number;
  readonly result: number | null;
  readonly factor: number | null;
  readonly application: number | null;
  readonly location: number | null;
}

/** What one page changed. */
export interface RollupChanges {
  readonly sourceId: string;
  /** The page's stream: that of `added` and `changed`. */
  readonly stream: StreamName;
  /** Events stored for the first time. */
  readonly added: readonly RolledEvent[];
  /** Stored events the page changed, with their user and time before. */
  readonly changed: readonly {
    readonly row: RolledEvent;
    readonly before: { readonly user_key: number | null; readonly ts_ms: number };
  }[];
  /** Telephony events given their user (from their authentication's txid) by this page. */
  readonly attributed: readonly RolledEvent[];
}

interface Rolled extends RolledEvent {
  readonly user_key: number;
  readonly authentication: boolean;
}

/** Adds one page's changes to the three rollups (inside the page's transaction). */
export async function applyActivityRollups(trx: Db, changes: RollupChanges): Promise<void> {
  const { sourceId } = changes;
  if (changes.added.length + changes.changed.length + changes.attributed.length === 0) return;
  // Last activity moves between days of `activity_org_daily`: read, compare, write. Pages of a
  // source's other streams would otherwise read the same old value and both move it.
  await dialectOf(trx).lockForTransaction(trx, `duo-insights:activity-rollups:${sourceId}`);
  const authentication = changes.stream === 'authentication';
  const recounted = new Set<string>();
  const recountUsers = new Set<number>();
  const orgEvents = new Map<number, number>();
  const count = (userKey: number | null, tsMs: number, delta: number): void => {
    if (userKey === null) return;
    const day = dayOf(epochMs(tsMs));
    orgEvents.set(day, (orgEvents.get(day) ?? 0) + delta);
  };
  for (const { row, before } of changes.changed) {
    count(before.user_key, before.ts_ms, -1);
    count(row.user_key, row.ts_ms, 1);
    for (const e of [before, row]) {
      if (e.user_key === null) continue;
      recounted.add(userDay(e.user_key, dayOf(epochMs(e.ts_ms))));
      recountUsers.add(e.user_key);
    }
  }
  const fresh: Rolled[] = [];
  const keep = (events: readonly RolledEvent[], isAuthentication: boolean): void => {
    for (const e of events) {
      count(e.user_key, e.ts_ms, 1);
      if (e.user_key === null) continue;
      if (recounted.has(userDay(e.user_key, dayOf(epochMs(e.ts_ms))))) continue;
      fresh.push({ ...e, user_key: e.user_key, authentication: isAuthentication });
    }
  };
  keep(changes.added, authentication);
  keep(changes.attributed, false);

  const successId =
    authentication || recountUsers.size > 0
      ? ((await lookupStrings(trx, [SUCCESS_RESULT])).get(SUCCESS_RESULT) ?? null)
      : null;
  for (const key of [...recounted].sort()) {
    const [user, day] = key.split('|').map(Number);
    await recountUsageDay(trx, sourceId, user ?? 0, day ?? 0);
  }
  await runBatches(trx, upsertUsage, usageCells(sourceId, fresh));
  const orgUsers = await updateLast(trx, sourceId, fresh, recountUsers, successId);
  const orgRows = [...new Set([...orgEvents.keys(), ...orgUsers.keys()])]
    .map((day) => ({
      day,
      source_id: sourceId,
      events: orgEvents.get(day) ?? 0,
      users: orgUsers.get(day) ?? 0,
    }))
    .filter((r) => r.events !== 0 || r.users !== 0)
    .sort((a, b) => a.day - b.day);
  await runBatches(trx, upsertOrg, orgRows);
}

function userDay(user: number, day: number): string {
  return `${String(user)}|${String(day)}`;
}

// ---- usage ------------------------------------------------------------------------------------

interface UsageCell {
  source_id: string;
  user_key: number;
  day: number;
  kind: number;
  value: number;
  count: number;
  first_ms: number;
  last_ms: number;
}

function usageCells(sourceId: string, events: readonly Rolled[]): UsageCell[] {
  const cells = new Map<string, UsageCell>();
  const add = (e: Rolled, kind: number, value: number | null): void => {
    if (value === null) return;
    const day = dayOf(epochMs(e.ts_ms));
    const key = `${String(e.user_key)}|${String(day)}|${String(kind)}|${String(value)}`;
    const cell = cells.get(key);
    if (cell === undefined)
      cells.set(key, {
        source_id: sourceId,
        user_key: e.user_key,
        day,
        kind,
        value,
        count: 1,
        first_ms: e.ts_ms,
        last_ms: e.ts_ms,
      });
    else {
      cell.count += 1;
      cell.first_ms = Math.min(cell.first_ms, e.ts_ms);
      cell.last_ms = Math.max(cell.last_ms, e.ts_ms);
    }
  };
  for (const e of events) {
    add(e, USAGE_KINDS.application, e.application);
    if (e.authentication) add(e, USAGE_KINDS.factor, e.factor);
    add(e, USAGE_KINDS.location, e.location);
  }
  // Sorted: concurrent writers lock rollup rows in one order.
  return [...cells.values()].sort(
    (a, b) => a.user_key - b.user_key || a.day - b.day || a.kind - b.kind || a.value - b.value,
  );
}

const USAGE_COLUMNS = [
  'source_id',
  'user_key',
  'day',
  'kind',
  'value',
  'count',
  'first_ms',
  'last_ms',
] as const;

const upsertUsage: BatchStatement<UsageCell, unknown> = {
  name: 'upsert activity_usage_daily',
  columns: USAGE_COLUMNS,
  build: (db, rows) =>
    db
      .insertInto('activity_usage_daily')
      .values(rows.map((r) => pick(r, USAGE_COLUMNS)))
      .onConflict((oc) =>
        oc.columns(['user_key', 'day', 'kind', 'value', 'source_id']).doUpdateSet((eb) => ({
          count: eb('activity_usage_daily.count', '+', eb.ref('excluded.count')),
          first_ms: sql<number>`case when excluded.first_ms < activity_usage_daily.first_ms
            then excluded.first_ms else activity_usage_daily.first_ms end`,
          last_ms: sql<number>`case when excluded.last_ms > activity_usage_daily.last_ms
            then excluded.last_ms else activity_usage_daily.last_ms end`,
        })),
      ),
};

/** Rewrites one Duo user's usage cells of one day from the stored events. */
async function recountUsageDay(trx: Db, sourceId: string, user: number, day: number) {
  await trx
    .deleteFrom('activity_usage_daily')
    .where('user_key', '=', user)
    .where('day', '=', day)
    .where('source_id', '=', sourceId)
    .execute();
  for (const [kind, column] of [
    [USAGE_KINDS.application, 'application'],
    [USAGE_KINDS.factor, 'factor'],
    [USAGE_KINDS.location, 'location'],
  ] as const)
    await trx
      .insertInto('activity_usage_daily')
      .columns(USAGE_COLUMNS)
      .expression(
        trx
          .selectFrom('activity_events')
          .select((eb) => [
            'source_id',
            'user_key',
            sql.lit(day).as('day'),
            sql.lit(kind).as('kind'),
            `${column} as value`,
            eb.fn.countAll().as('count'),
            eb.fn.min('ts_ms').as('first_ms'),
            eb.fn.max('ts_ms').as('last_ms'),
          ])
          .where('user_key', '=', user)
          .where('ts_ms', '>=', day * DAY_MS)
          .where('ts_ms', '<', (day + 1) * DAY_MS)
          .where('source_id', '=', sourceId)
          .where(column, 'is not', null)
          .$if(column === 'factor', (q) => q.where('stream', '=', 'authentication'))
          .groupBy(['source_id', 'user_key', column]),
      )
      .execute();
}

// ---- last activity ----------------------------------------------------------------------------

interface LastRow {
  source_id: string;
  user_key: number;
  last_ms: number;
  last_success_ms: number | null;
}

/**
 * Moves each touched user's last activity forward (new events) or recomputes it (changed
 * events); returns the change in "users whose last activity is that day" per day.
 */
async function updateLast(
  trx: Db,
  sourceId: string,
  fresh: readonly Rolled[],
  recount: ReadonlySet<number>,
  successId: number | null,
): Promise<Map<number, number>> {
  const candidates = new Map<number, { last: number; success: number | null }>();
  for (const e of fresh) {
    if (recount.has(e.user_key)) continue;
    const c = candidates.get(e.user_key) ?? { last: e.ts_ms, success: null };
    c.last = Math.max(c.last, e.ts_ms);
    if (e.authentication && successId !== null && e.result === successId)
      c.success = Math.max(c.success ?? e.ts_ms, e.ts_ms);
    candidates.set(e.user_key, c);
  }
  const users = [...new Set([...candidates.keys(), ...recount])].sort((a, b) => a - b);
  const old = new Map<number, LastRow>();
  for (const batch of chunks(users, rowsPerStatement(trx, 1) - 2)) {
    const rows = await trx
      .selectFrom('activity_last')
      .selectAll()
      .where('user_key', 'in', batch)
      .where('source_id', '=', sourceId)
      .execute();
    for (const r of rows) old.set(r.user_key, r);
  }
  const now = new Map<number, LastRow | undefined>();
  for (const [user, c] of candidates) {
    const before = old.get(user);
    const last = Math.max(before?.last_ms ?? c.last, c.last);
    const success =
      c.success === null
        ? (before?.last_success_ms ?? null)
        : Math.max(before?.last_success_ms ?? c.success, c.success);
    if (before === undefined || before.last_ms !== last || before.last_success_ms !== success)
      now.set(user, {
        source_id: sourceId,
        user_key: user,
        last_ms: last,
        last_success_ms: success,
      });
  }
  for (const user of recount) {
    const row = await lastFromEvents(trx, sourceId, user, successId);
    const before = old.get(user);
    if (before?.last_ms !== row?.last_ms || before?.last_success_ms !== row?.last_success_ms)
      now.set(user, row);
  }

  const usersByDay = new Map<number, number>();
  const move = (tsMs: number | undefined, delta: number): void => {
    if (tsMs === undefined) return;
    const day = dayOf(epochMs(tsMs));
    usersByDay.set(day, (usersByDay.get(day) ?? 0) + delta);
  };
  const written: LastRow[] = [];
  const gone: number[] = [];
  for (const [user, row] of now) {
    move(old.get(user)?.last_ms, -1);
    move(row?.last_ms, 1);
    if (row === undefined) gone.push(user);
    else written.push(row);
  }
  await runBatches(
    trx,
    upsertLast,
    written.sort((a, b) => a.user_key - b.user_key),
  );
  for (const batch of chunks(gone, rowsPerStatement(trx, 1) - 2))
    await trx
      .deleteFrom('activity_last')
      .where('user_key', 'in', batch)
      .where('source_id', '=', sourceId)
      .execute();
  return usersByDay;
}

async function lastFromEvents(
  trx: Db,
  sourceId: string,
  user: number,
  successId: number | null,
): Promise<LastRow | undefined> {
  const newest = (authenticated: boolean) =>
    trx
      .selectFrom('activity_events')
      .select('ts_ms')
      .where('user_key', '=', user)
      .where('source_id', '=', sourceId)
      .$if(authenticated, (q) =>
        q.where('stream', '=', 'authentication').where('result', '=', successId ?? -1),
      )
      .orderBy('ts_ms', 'desc')
      .limit(1)
      .executeTakeFirst();
  const last = await newest(false);
  if (last === undefined) return undefined;
  const success = successId === null ? undefined : await newest(true);
  return {
    source_id: sourceId,
    user_key: user,
    last_ms: last.ts_ms,
    last_success_ms: success?.ts_ms ?? null,
  };
}

const LAST_COLUMNS = ['source_id', 'user_key', 'last_ms', 'last_success_ms'] as const;

/** Values computed under the source's rollup lock: written as they are. */
const upsertLast: BatchStatement<LastRow, unknown> = {
  name: 'upsert activity_last',
  columns: LAST_COLUMNS,
  build: (db, rows) =>
    db
      .insertInto('activity_last')
      .values(rows.map((r) => pick(r, LAST_COLUMNS)))
      .onConflict((oc) =>
        oc.columns(['user_key', 'source_id']).doUpdateSet((eb) => ({
          last_ms: eb.ref('excluded.last_ms'),
          last_success_ms: eb.ref('excluded.last_success_ms'),
        })),
      ),
};

// ---- organisation -----------------------------------------------------------------------------

interface OrgRow {
  day: number;
  source_id: string;
  events: number;
  users: number;
}

const ORG_COLUMNS = ['day', 'source_id', 'events', 'users'] as const;

const upsertOrg: BatchStatement<OrgRow, unknown> = {
  name: 'upsert activity_org_daily',
  columns: ORG_COLUMNS,
  build: (db, rows) =>
    db
      .insertInto('activity_org_daily')
      .values(rows.map((r) => pick(r, ORG_COLUMNS)))
      .onConflict((oc) =>
        oc.columns(['day', 'source_id']).doUpdateSet((eb) => ({
          events: eb('activity_org_daily.events', '+', eb.ref('excluded.events')),
          users: eb('activity_org_daily.users', '+', eb.ref('excluded.users')),
        })),
      ),
};

// ---- checking ---------------------------------------------------------------------------------

/** The three rollups of a source, in key order (zero rows left out). */
export interface ActivityRollups {
  readonly last: readonly {
    readonly userKey: number;
    readonly lastMs: number;
    readonly lastSuccessMs: number | null;
  }[];
  readonly usage: readonly {
    readonly userKey: number;
    readonly day: number;
    readonly kind: number;
    readonly value: number;
    readonly count: number;
    readonly firstMs: number;
    readonly lastMs: number;
  }[];
  readonly organisation: readonly {
    readonly day: number;
    readonly events: number;
    readonly users: number;
  }[];
}

/** The stored rollups of a source. */
export async function listActivityRollups(db: Db, sourceId: string): Promise<ActivityRollups> {
  const last = await db
    .selectFrom('activity_last')
    .select(['user_key', 'last_ms', 'last_success_ms'])
    .where('source_id', '=', sourceId)
    .orderBy('user_key')
    .execute();
  const usage = await db
    .selectFrom('activity_usage_daily')
    .select(['user_key', 'day', 'kind', 'value', 'count', 'first_ms', 'last_ms'])
    .where('source_id', '=', sourceId)
    .where('count', '<>', 0)
    .orderBy('user_key')
    .orderBy('day')
    .orderBy('kind')
    .orderBy('value')
    .execute();
  const organisation = await db
    .selectFrom('activity_org_daily')
    .select(['day', 'events', 'users'])
    .where('source_id', '=', sourceId)
    .where((eb) => eb.or([eb('events', '<>', 0), eb('users', '<>', 0)]))
    .orderBy('day')
    .execute();
  return toRollups(last, usage, organisation);
}

/** The rollups of a source recomputed from its raw events (what `listActivityRollups` must equal). */
export async function recountActivityRollups(db: Db, sourceId: string): Promise<ActivityRollups> {
  const day = sql<number>`ts_ms / ${sql.lit(DAY_MS)}`;
  const success = db.selectFrom('strings').select('id').where('value', '=', SUCCESS_RESULT);
  const last = await db
    .selectFrom('activity_events')
    .select((eb) => [
      sql<number>`user_key`.as('user_key'),
      eb.fn.max<number>('ts_ms').as('last_ms'),
      eb.fn
        .max<number | null>(
          eb
            .case()
            .when(eb.and([eb('stream', '=', 'authentication'), eb('result', '=', success)]))
            .then(eb.ref('ts_ms'))
            .end(),
        )
        .as('last_success_ms'),
    ])
    .where('source_id', '=', sourceId)
    .where('user_key', 'is not', null)
    .groupBy('user_key')
    .orderBy('user_key')
    .execute();
  const usage = [];
  for (const [kind, column] of [
    [USAGE_KINDS.application, 'application'],
    [USAGE_KINDS.factor, 'factor'],
    [USAGE_KINDS.location, 'location'],
  ] as const) {
    const rows = await db
      .selectFrom('activity_events')
      .select((eb) => [
        sql<number>`user_key`.as('user_key'),
        day.as('day'),
        sql<number>`${sql.ref(column)}`.as('value'),
        eb.fn.countAll<number>().as('count'),
        eb.fn.min<number>('ts_ms').as('first_ms'),
        eb.fn.max<number>('ts_ms').as('last_ms'),
      ])
      .where('source_id', '=', sourceId)
      .where('user_key', 'is not', null)
      .where(column, 'is not', null)
      .$if(column === 'factor', (q) => q.where('stream', '=', 'authentication'))
      .groupBy(['user_key', day, column])
      .execute();
    usage.push(...rows.map((r) => ({ ...r, kind })));
  }
  usage.sort(
    (a, b) => a.user_key - b.user_key || a.day - b.day || a.kind - b.kind || a.value - b.value,
  );
  const events = await db
    .selectFrom('activity_events')
    .select((eb) => [day.as('day'), eb.fn.countAll<number>().as('events')])
    .where('source_id', '=', sourceId)
    .where('user_key', 'is not', null)
    .groupBy(day)
    .execute();
  const byDay = new Map<number, { day: number; events: number; users: number }>();
  for (const r of events) byDay.set(r.day, { day: r.day, events: r.events, users: 0 });
  for (const r of last) {
    const d = dayOf(epochMs(r.last_ms));
    const entry = byDay.get(d) ?? { day: d, events: 0, users: 0 };
    entry.users += 1;
    byDay.set(d, entry);
  }
  const organisation = [...byDay.values()].sort((a, b) => a.day - b.day);
  return toRollups(last, usage, organisation);
}

function toRollups(
  last: readonly { user_key: number; last_ms: number; last_success_ms: number | null }[],
  usage: readonly {
    user_key: number;
    day: number;
    kind: number;
    value: number;
    count: number;
    first_ms: number;
    last_ms: number;
  }[],
  organisation: readonly { day: number; events: number; users: number }[],
): ActivityRollups {
  return {
    last: last.map((r) => ({
      userKey: r.user_key,
      lastMs: r.last_ms,
      lastSuccessMs: r.last_success_ms,
    })),
    usage: usage.map((r) => ({
      userKey: r.user_key,
      day: r.day,
      kind: r.kind,
      value: r.value,
      count: r.count,
      firstMs: r.first_ms,
      lastMs: r.last_ms,
    })),
    organisation: organisation.map((r) => ({ day: r.day, events: r.events, users: r.users })),
  };
}
