/**
 * The rollups kept at ingest beside `activity_daily`, so insights and reports read a few rows
 * however heavy the identity:
 *
 * - `activity_last`: per source and Duo user, the newest event and the newest successful
 *   authentication (a max, whatever order events arrive in);
 * - `activity_usage_daily`: per source, Duo user and UTC day, the applications, factors (of
 *   authentications only: a telephony row repeats its authentication's factor) and locations
 *   used, each with its events and the first and last of them (one row per user and day);
 * - `activity_org_daily`: per source and UTC day, the events naming a Duo user and the Duo
 *   users whose last activity is that day ("users active since day D" = the sum from D on).
 *
 * `applyActivityRollups` takes what one transaction's pages changed, inside that transaction,
 * after their rows are written. New events
 * are merged into their user-days; an event that changed (Duo republished it) has the days it left and
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
import { eventStreamIds, findEventStreamId } from './event-streams.js';
import { lookupStrings } from './strings.js';

/** The kinds of value `activity_usage_daily` counts, each in a column of its own. */
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

/** What the pages of one transaction changed, in one source and stream. */
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
  /** UTC day of `ts_ms`. */
  readonly day: number;
  readonly authentication: boolean;
}

/** Adds a transaction's changes to the three rollups (inside that transaction). */
export async function applyActivityRollups(trx: Db, changes: RollupChanges): Promise<void> {
  const { sourceId } = changes;
  if (changes.added.length + changes.changed.length + changes.attributed.length === 0) return;
  // Last activity moves between days of `activity_org_daily`: read, compare, write. Pages of a
  // source's other streams would otherwise read the same old value and both move it.
  await dialectOf(trx).lockForTransaction(trx, `duo-insights:activity-rollups:${sourceId}`);
  const authentication = changes.stream === 'authentication';
  const recounted = new Set<number>();
  const recountUsers = new Set<number>();
  const orgEvents = new Map<number, number>();
  const countDay = (day: number, delta: number): void => {
    orgEvents.set(day, (orgEvents.get(day) ?? 0) + delta);
  };
  const count = (userKey: number | null, tsMs: number, delta: number): void => {
    if (userKey !== null) countDay(dayOf(epochMs(tsMs)), delta);
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
      if (e.user_key === null) continue;
      const day = dayOf(epochMs(e.ts_ms));
      countDay(day, 1);
      if (recounted.size > 0 && recounted.has(userDay(e.user_key, day))) continue;
      fresh.push({
        user_key: e.user_key,
        ts_ms: e.ts_ms,
        day,
        result: e.result,
        factor: e.factor,
        application: e.application,
        location: e.location,
        authentication: isAuthentication,
      });
    }
  };
  keep(changes.added, authentication);
  keep(changes.attributed, false);

  const successId =
    authentication || recountUsers.size > 0
      ? ((await lookupStrings(trx, [SUCCESS_RESULT])).get(SUCCESS_RESULT) ?? null)
      : null;
  await updateUsage(trx, sourceId, fresh, [...recounted]);
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

/** A source's event stream ids, and that of its authentication stream (-1: none, matching nothing). */
interface SourceStreams {
  readonly all: readonly number[];
  readonly auth: number;
}

const NO_STREAMS: SourceStreams = { all: [-1], auth: -1 };

async function sourceStreams(db: Db, sourceId: string): Promise<SourceStreams> {
  return {
    all: [...(await eventStreamIds(db, { sourceId })), -1],
    auth: (await findEventStreamId(db, sourceId, 'authentication')) ?? -1,
  };
}

/** Days a user-day key holds: up to the year 4840. */
const DAYS_IN_KEY = 2 ** 20;

/** One Duo user's day as one number (a map key that costs no string). */
function userDay(user: number, day: number): number {
  return user * DAYS_IN_KEY + day;
}

// ---- usage ------------------------------------------------------------------------------------

/**
 * One value used on one day: events, and the first and last of them. A day's cells of one
 * kind are stored as text, `value:count:first:last` joined by `;`, first and last in ms since
 * the start of the day — one row per Duo user and day, not one per value, keeps the rollup a
 * fraction of the events' size.
 *
 * @example decodeUsageCells('17:3:3600000:7200000', 20000)[0].count === 3
 */
export interface UsageCell {
  readonly value: number;
  readonly count: number;
  readonly firstMs: number;
  readonly lastMs: number;
}

/** The cells of one stored column (`applications`, `factors` or `locations`) of `day`. */
export function decodeUsageCells(text: string, day: number): UsageCell[] {
  if (text === '') return [];
  const base = day * DAY_MS;
  return decodeDigits(text, base) ?? decodeSplit(text, base);
}

const COLON = 58;
const SEMICOLON = 59;
const ZERO = 48;
const NINE = 57;

/**
 * What ingest writes (digits, `:` and `;` only), read in one pass without splitting into
 * strings: a user-day's cells are read on every page that touches the day. Anything else is
 * left to `decodeSplit` (undefined).
 */
function decodeDigits(text: string, base: number): UsageCell[] | undefined {
  const cells: UsageCell[] = [];
  const fields = [0, 0, 0, 0];
  let field = 0;
  let number = 0;
  for (let i = 0; i <= text.length; i++) {
    const code = i === text.length ? SEMICOLON : text.charCodeAt(i);
    if (code >= ZERO && code <= NINE) number = number * 10 + (code - ZERO);
    else if (code === COLON && field < 3) {
      fields[field++] = number;
      number = 0;
    } else if (code === SEMICOLON && field === 3) {
      cells.push({
        value: fields[0] ?? 0,
        count: fields[1] ?? 0,
        firstMs: base + (fields[2] ?? 0),
        lastMs: base + number,
      });
      field = 0;
      number = 0;
    } else return undefined;
  }
  return cells;
}

function decodeSplit(text: string, base: number): UsageCell[] {
  return text.split(';').map((cell) => {
    const [value, count, first, last] = cell.split(':').map(Number);
    return {
      value: value ?? 0,
      count: count ?? 0,
      firstMs: base + (first ?? 0),
      lastMs: base + (last ?? 0),
    };
  });
}

function encodeUsageCells(cells: ReadonlyMap<number, UsageCell>, day: number): string {
  const base = day * DAY_MS;
  return [...cells.values()]
    .filter((c) => c.count > 0)
    .sort((a, b) => a.value - b.value)
    .map(
      (c) =>
        `${String(c.value)}:${String(c.count)}:${String(c.firstMs - base)}:${String(c.lastMs - base)}`,
    )
    .join(';');
}

const USAGE_COLUMNS = {
  [USAGE_KINDS.application]: 'applications',
  [USAGE_KINDS.factor]: 'factors',
  [USAGE_KINDS.location]: 'locations',
} as const;

const USAGE_COLUMN_LIST = Object.entries(USAGE_COLUMNS).map(
  ([kind, column]) => [Number(kind), column] as const,
);

/** A Duo user's usage on one day, per kind: value → cell. */
class DayUsage {
  readonly user: number;
  readonly day: number;
  readonly kinds = new Map<number, Map<number, UsageCell>>(
    Object.values(USAGE_KINDS).map((k) => [k, new Map()]),
  );
  constructor(user: number, day: number) {
    this.user = user;
    this.day = day;
  }
  merge(kind: number, cell: UsageCell): void {
    const cells = this.kinds.get(kind);
    if (cells === undefined) return;
    const before = cells.get(cell.value);
    cells.set(
      cell.value,
      before === undefined
        ? cell
        : {
            value: cell.value,
            count: before.count + cell.count,
            firstMs: Math.min(before.firstMs, cell.firstMs),
            lastMs: Math.max(before.lastMs, cell.lastMs),
          },
    );
  }
  /** Adds one event (its factor only if it is an authentication). */
  add(e: {
    ts_ms: number;
    application: number | null;
    factor: number | null;
    location: number | null;
    authentication: boolean;
  }): void {
    const one = (value: number): UsageCell => ({
      value,
      count: 1,
      firstMs: e.ts_ms,
      lastMs: e.ts_ms,
    });
    if (e.application !== null) this.merge(USAGE_KINDS.application, one(e.application));
    if (e.authentication && e.factor !== null) this.merge(USAGE_KINDS.factor, one(e.factor));
    if (e.location !== null) this.merge(USAGE_KINDS.location, one(e.location));
  }
  row(sourceId: string): UsageRow {
    const text = (kind: number): string =>
      encodeUsageCells(this.kinds.get(kind) ?? new Map(), this.day);
    return {
      user_key: this.user,
      day: this.day,
      source_id: sourceId,
      applications: text(USAGE_KINDS.application),
      factors: text(USAGE_KINDS.factor),
      locations: text(USAGE_KINDS.location),
    };
  }
}

interface UsageRow {
  user_key: number;
  day: number;
  source_id: string;
  applications: string;
  factors: string;
  locations: string;
}

/**
 * Adds new events' applications, factors and locations to their days' rows, and rewrites the
 * `recounted` user-days (`userDay`) from the stored events.
 */
async function updateUsage(
  trx: Db,
  sourceId: string,
  fresh: readonly Rolled[],
  recounted: readonly number[],
): Promise<void> {
  const days = new Map<number, DayUsage>();
  const dayUsage = (user: number, day: number): DayUsage => {
    const key = userDay(user, day);
    const found = days.get(key);
    if (found) return found;
    const made = new DayUsage(user, day);
    days.set(key, made);
    return made;
  };
  if (fresh.length > 0) {
    const users = [...new Set(fresh.map((e) => e.user_key))];
    const dayList = [...new Set(fresh.map((e) => e.day))];
    const wanted = new Set(fresh.map((e) => userDay(e.user_key, e.day)));
    for (const batch of chunks(users, rowsPerStatement(trx, 1) - dayList.length - 2)) {
      const stored = await trx
        .selectFrom('activity_usage_daily')
        .selectAll()
        .where('user_key', 'in', batch)
        .where('day', 'in', dayList)
        .where('source_id', '=', sourceId)
        .execute();
      for (const row of stored) {
        if (!wanted.has(userDay(row.user_key, row.day))) continue;
        const usage = dayUsage(row.user_key, row.day);
        for (const [kind, column] of USAGE_COLUMN_LIST)
          for (const cell of decodeUsageCells(row[column], row.day)) usage.merge(kind, cell);
      }
    }
    for (const e of fresh) dayUsage(e.user_key, e.day).add(e);
  }
  const streams = recounted.length > 0 ? await sourceStreams(trx, sourceId) : NO_STREAMS;
  for (const key of recounted) {
    const user = Math.floor(key / DAYS_IN_KEY);
    const day = key % DAYS_IN_KEY;
    const usage = new DayUsage(user, day);
    days.set(key, usage);
    const events = await trx
      .selectFrom('activity_events')
      .select(['ts_ms', 'stream_id', 'application', 'factor', 'location'])
      .where('user_key', '=', user)
      .where('ts_ms', '>=', day * DAY_MS)
      .where('ts_ms', '<', (day + 1) * DAY_MS)
      .where('stream_id', 'in', streams.all)
      .execute();
    for (const e of events) usage.add({ ...e, authentication: e.stream_id === streams.auth });
  }
  const rows = [...days.values()]
    .sort((a, b) => a.user - b.user || a.day - b.day)
    .map((d) => d.row(sourceId));
  const empty = rows.filter((r) => r.applications === '' && r.factors === '' && r.locations === '');
  for (const r of empty)
    await trx
      .deleteFrom('activity_usage_daily')
      .where('user_key', '=', r.user_key)
      .where('day', '=', r.day)
      .where('source_id', '=', sourceId)
      .execute();
  await runBatches(
    trx,
    upsertUsage,
    rows.filter((r) => !empty.includes(r)),
  );
}

const USAGE_ROW_COLUMNS = [
  'user_key',
  'day',
  'source_id',
  'applications',
  'factors',
  'locations',
] as const;

/** Rows merged under the source's rollup lock: written as they are. */
const upsertUsage: BatchStatement<UsageRow, unknown> = {
  name: 'upsert activity_usage_daily',
  columns: USAGE_ROW_COLUMNS,
  arrayTypes: {
    user_key: 'bigint',
    day: 'bigint',
    source_id: 'text',
    applications: 'text',
    factors: 'text',
    locations: 'text',
  },
  build: (db, rows) =>
    db
      .insertInto('activity_usage_daily')
      .values(rows.map((r) => pick(r, USAGE_ROW_COLUMNS)))
      .onConflict((oc) =>
        oc.columns(['user_key', 'day', 'source_id']).doUpdateSet((eb) => ({
          applications: eb.ref('excluded.applications'),
          factors: eb.ref('excluded.factors'),
          locations: eb.ref('excluded.locations'),
        })),
      ),
};

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
  const streams = await sourceStreams(trx, sourceId);
  const newest = (authenticated: boolean) =>
    trx
      .selectFrom('activity_events')
      .select('ts_ms')
      .where('user_key', '=', user)
      .where('stream_id', 'in', authenticated ? [streams.auth] : streams.all)
      .$if(authenticated, (q) => q.where('result', '=', successId ?? -1))
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
  arrayTypes: {
    source_id: 'text',
    user_key: 'bigint',
    last_ms: 'bigint',
    last_success_ms: 'bigint',
  },
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
  arrayTypes: { day: 'bigint', source_id: 'text', events: 'bigint', users: 'bigint' },
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
  const stored = await db
    .selectFrom('activity_usage_daily')
    .selectAll()
    .where('source_id', '=', sourceId)
    .execute();
  const usage = stored.flatMap((row) =>
    Object.entries(USAGE_COLUMNS).flatMap(([kind, column]) =>
      decodeUsageCells(row[column], row.day).map((c) => ({
        user_key: row.user_key,
        day: row.day,
        kind: Number(kind),
        value: c.value,
        count: c.count,
        first_ms: c.firstMs,
        last_ms: c.lastMs,
      })),
    ),
  );
  usage.sort(
    (a, b) => a.user_key - b.user_key || a.day - b.day || a.kind - b.kind || a.value - b.value,
  );
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
  const streams = await sourceStreams(db, sourceId);
  const last = await db
    .selectFrom('activity_events')
    .select((eb) => [
      sql<number>`user_key`.as('user_key'),
      eb.fn.max<number>('ts_ms').as('last_ms'),
      eb.fn
        .max<number | null>(
          eb
            .case()
            .when(eb.and([eb('stream_id', '=', streams.auth), eb('result', '=', success)]))
            .then(eb.ref('ts_ms'))
            .end(),
        )
        .as('last_success_ms'),
    ])
    .where('stream_id', 'in', streams.all)
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
      .where('stream_id', 'in', streams.all)
      .where('user_key', 'is not', null)
      .where(column, 'is not', null)
      .$if(column === 'factor', (q) => q.where('stream_id', '=', streams.auth))
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
    .where('stream_id', 'in', streams.all)
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
