/**
 * Activity events: ingest (one page and its cursor per transaction, idempotent), the daily
 * rollup that insights read, and the timeline, insight and storage queries.
 *
 * Repeated strings (user keys, usernames, results, factors, applications, locations, devices)
 * are stored once in `strings` and referenced by id; payloads are the original JSON compressed
 * with LZ4 and the stream's dictionary (`payload.ts`; rows of earlier versions use raw deflate).
 *
 * @example
 *   const strings = new StringCache();
 *   await ingestActivityPage(db, { sourceId, stream: 'authentication', events, cursor, strings });
 */
import { sql } from 'kysely';
import {
  SUCCESS_RESULT,
  dayOf,
  type ActivityCursor,
  type ActivityEvent,
  type ActivityFilter,
  type ActivityPage,
  type ActivitySummary,
  type ActivityUsage,
  type DailyCount,
  type NormalisedEvent,
  type StreamPatch,
  type UsageCount,
} from '../domain/activity.js';
import type { StreamName } from '../domain/streams.js';
import { DAY_MS, type EpochMs } from '../domain/time.js';
import { chunks, epochMs } from './columns.js';
import { dialectOf, rowsPerStatement, type Db, type TableSize } from './dialect.js';
import { runBatches, type BatchStatement } from './batch.js';
import { decodePayload, encodePayload } from './payload.js';
import type { ActivityEventsTable } from './schema.js';
import { saveStreamCursor } from './streams.js';

// ---- string dictionary ---------------------------------------------------------------------------

/**
 * An in-process cache of `strings` ids, so interning a page costs no query once its strings
 * are known. Owned by the caller (one per open database); only ids from committed
 * transactions enter it, so a rollback can never leave a stale id behind.
 */
export class StringCache {
  readonly #ids = new Map<string, number>();
  readonly #maxEntries: number;

  constructor(maxEntries = 200_000) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#ids.size;
  }

  get(value: string): number | undefined {
    return this.#ids.get(value);
  }

  /** Adds ids that are committed. When full, the oldest entries are dropped. */
  remember(entries: Iterable<readonly [string, number]>): void {
    for (const [value, id] of entries) this.#ids.set(value, id);
    if (this.#ids.size > this.#maxEntries) {
      let excess = this.#ids.size - this.#maxEntries;
      for (const key of this.#ids.keys()) {
        if (excess-- <= 0) break;
        this.#ids.delete(key);
      }
    }
  }

  clear(): void {
    this.#ids.clear();
  }
}

/**
 * Ids of `values` in the strings dictionary, inserting the missing ones. New ids go to
 * `staged`, to be remembered by the cache only once the transaction commits.
 */
async function internStrings(
  trx: Db,
  values: Iterable<string>,
  cache: StringCache | undefined,
  staged: Map<string, number>,
): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  const missing: string[] = [];
  for (const value of values) {
    const id = cache?.get(value) ?? staged.get(value);
    if (id === undefined) missing.push(value);
    else ids.set(value, id);
  }
  // Sorted, so concurrent writers take row locks in the same order (no deadlock on PostgreSQL).
  missing.sort();
  for (const batch of chunks(missing, rowsPerStatement(trx, 1))) {
    await trx
      .insertInto('strings')
      .values(batch.map((value) => ({ value })))
      .onConflict((oc) => oc.column('value').doNothing())
      .execute();
    const rows = await trx
      .selectFrom('strings')
      .select(['id', 'value'])
      .where('value', 'in', batch)
      .execute();
    for (const row of rows) {
      const id = row.id;
      ids.set(row.value, id);
      staged.set(row.value, id);
    }
  }
  return ids;
}

/** Ids of strings already in the dictionary (no insert); unknown values are absent. */
async function lookupStrings(db: Db, values: readonly string[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const batch of chunks([...new Set(values)], rowsPerStatement(db, 1))) {
    const rows = await db
      .selectFrom('strings')
      .select(['id', 'value'])
      .where('value', 'in', batch)
      .execute();
    for (const row of rows) ids.set(row.value, row.id);
  }
  return ids;
}

/** Values of string ids (for reading rows back). */
async function stringValues(db: Db, ids: Iterable<number>): Promise<Map<number, string>> {
  const values = new Map<number, string>();
  for (const batch of chunks([...new Set(ids)], rowsPerStatement(db, 1))) {
    const rows = await db
      .selectFrom('strings')
      .select(['id', 'value'])
      .where('id', 'in', batch)
      .execute();
    for (const row of rows) values.set(row.id, row.value);
  }
  return values;
}

// ---- ingest ----------------------------------------------------------------------------------------

export interface ActivityPageInput {
  readonly sourceId: string;
  readonly stream: StreamName;
  readonly events: readonly NormalisedEvent[];
  /** The stream's cursor after this page; saved with the page's rows. */
  readonly cursor: unknown;
  /** Stream health saved with the page (e.g. `{ state: 'ok' }`). */
  readonly streamPatch?: StreamPatch;
  /** The caller's string-id cache; interning works without one, only slower. */
  readonly strings?: StringCache;
}

export interface IngestResult {
  /** Events not seen before. */
  readonly inserted: number;
  /** Events seen before whose payload changed (Duo republished them). */
  readonly updated: number;
  /** The first few of those, with both payloads, so a change can be told from a fault. */
  readonly changes: readonly RecordChange[];
}

export interface RecordChange {
  readonly naturalKey: string;
  /** The payload stored before (JSON). */
  readonly before: string;
  /** The payload Duo sent now (JSON). */
  readonly after: string;
}

/** How many changed records a page reports with their payloads. */
const CHANGES_REPORTED = 5;

const STRING_FIELDS = [
  'userKey',
  'username',
  'result',
  'reason',
  'factor',
  'application',
  'location',
  'accessOs',
  'accessBrowser',
] as const;

type RollupKey = string;

/** Per-transaction rollup changes: `user|day|result` → delta. */
class RollupDelta {
  readonly #counts = new Map<RollupKey, number>();
  add(userKey: number | null, tsMs: number, result: number | null, delta: number): void {
    const key = `${String(userKey ?? 0)}|${String(dayOf(epochMs(tsMs)))}|${String(result ?? 0)}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + delta);
  }
  rows(): { user_key: number; day: number; result: number; count: number }[] {
    const out: { user_key: number; day: number; result: number; count: number }[] = [];
    for (const [key, count] of this.#counts) {
      if (count === 0) continue;
      const [user, day, result] = key.split('|').map(Number);
      out.push({ user_key: user ?? 0, day: day ?? 0, result: result ?? 0, count });
    }
    // Sorted: concurrent writers lock rollup rows in one order.
    return out.sort((a, b) => a.user_key - b.user_key || a.day - b.day || a.result - b.result);
  }
}

type NewEventRow = Omit<ActivityEventsTable, 'id'>;

/**
 * Stores one page of a stream and its cursor in ONE transaction: all or nothing.
 *
 * - New events are inserted (`ON CONFLICT DO NOTHING`) and added to the daily rollup.
 * - Known events whose payload differs are updated (counted as `updated`), moving their rollup
 *   count when the day, result or user changed; identical ones change nothing, so replaying a
 *   page (or a reconciliation window) is harmless.
 * - Telephony rows get their user from the authentication event with the same txid, whichever
 *   of the two arrives first.
 * - The stream's cursor (and `streamPatch`) is saved, counting one page.
 *
 * @example const { inserted } = await ingestActivityPage(db, { sourceId, stream, events, cursor });
 */
export async function ingestActivityPage(db: Db, input: ActivityPageInput): Promise<IngestResult> {
  const staged = new Map<string, number>();
  const result = await db.transaction().execute((trx) => ingestInTransaction(trx, input, staged));
  input.strings?.remember(staged);
  return result;
}

async function ingestInTransaction(
  trx: Db,
  input: ActivityPageInput,
  staged: Map<string, number>,
): Promise<IngestResult> {
  const { sourceId, stream } = input;
  // Authentication and telephony pages of a source attribute each other (txid → user); run
  // concurrently under READ COMMITTED, each would miss the other's uncommitted rows and a
  // telephony row would stay without its user. One lock per source serialises the pair.
  if (stream === 'authentication' || stream === 'telephony')
    await dialectOf(trx).lockForTransaction(trx, `duo-insights:txid-attribution:${sourceId}`);
  // Last occurrence of a key wins within a page.
  const byKey = new Map<string, NormalisedEvent>();
  for (const event of input.events) byKey.set(event.naturalKey, event);
  const events = [...byKey.values()];

  const values = new Set<string>();
  for (const event of events)
    for (const field of STRING_FIELDS) {
      const value = event[field];
      if (value !== undefined) values.add(value);
    }
  const ids = await internStrings(trx, values, input.strings, staged);
  const idOf = (value: string | undefined): number | null =>
    value === undefined ? null : (ids.get(value) ?? null);

  // Telephony: the user of the stored authentication event with the same txid.
  const authUsers =
    stream === 'telephony'
      ? await authUsersByTxid(
          trx,
          sourceId,
          events.filter((e) => e.userKey === undefined && e.txid !== undefined),
        )
      : new Map<string, number>();

  // Insert first, then compare only the rows that were already there. A first sync or a
  // backfill (nearly every row new) then never looks its keys up; a replayed page pays one
  // conflicting insert per row, then the same lookup as before.
  const rollup = new RollupDelta();
  const rows = events.map((event): NewEventRow => ({
    source_id: sourceId,
    stream,
    natural_key: event.naturalKey,
    ts_ms: event.tsMs,
    user_key:
      idOf(event.userKey) ??
      (event.txid === undefined ? null : (authUsers.get(event.txid) ?? null)),
    username: idOf(event.username),
    result: idOf(event.result),
    reason: idOf(event.reason),
    factor: idOf(event.factor),
    application: idOf(event.application),
    location: idOf(event.location),
    access_os: idOf(event.accessOs),
    access_browser: idOf(event.accessBrowser),
    ip: event.ip ?? null,
    // An auth event's txid is its natural key: not stored twice.
    txid: event.txid === undefined || event.txid === event.naturalKey ? null : event.txid,
    payload: encodePayload(stream, event.payload),
  }));
  const added = new Set((await runBatches(trx, insertEvents, rows)).map((r) => r.natural_key));
  const stored: NewEventRow[] = [];
  const known: { row: NewEventRow; json: string }[] = [];
  rows.forEach((row, i) => {
    if (added.has(row.natural_key)) {
      stored.push(row);
      rollup.add(row.user_key, row.ts_ms, row.result, 1);
    } else known.push({ row, json: events[i]?.payload ?? '' });
  });
  const changed: { id: number; row: NewEventRow; before: ExistingEvent; json: string }[] = [];
  if (known.length > 0) {
    const existing = await existingEvents(
      trx,
      sourceId,
      stream,
      known.map((k) => k.row.natural_key),
    );
    for (const { row, json } of known) {
      const before = existing.get(row.natural_key);
      if (!before || samePayload(before.payload, row.payload, json)) continue;
      changed.push({ id: before.id, row, before, json });
    }
  }

  for (const { id, row, before } of changed) {
    await trx.updateTable('activity_events').set(row).where('id', '=', id).execute();
    rollup.add(before.user_key, before.ts_ms, before.result, -1);
    rollup.add(row.user_key, row.ts_ms, row.result, 1);
  }

  if (stream === 'authentication') {
    const authed = [...stored, ...changed.map((c) => c.row)].flatMap((r) =>
      r.user_key === null ? [] : [{ txid: r.txid ?? r.natural_key, user_key: r.user_key }],
    );
    await attributeTelephony(trx, sourceId, authed);
  }

  await applyRollup(trx, sourceId, stream, rollup);
  await saveStreamCursor(trx, sourceId, stream, input.cursor, input.streamPatch);
  const changes = changed.slice(0, CHANGES_REPORTED).map(({ row, before, json }) => ({
    naturalKey: row.natural_key,
    before: decodePayload(before.payload),
    after: json,
  }));
  return { inserted: stored.length, updated: changed.length, changes };
}

/**
 * Whether a stored payload holds `json`. The encoder is deterministic, so equal bytes mean
 * equal JSON without decoding; rows stored with an earlier codec are decoded and compared.
 */
function samePayload(stored: Uint8Array, encoded: Uint8Array, json: string): boolean {
  return Buffer.compare(encoded, stored) === 0 || decodePayload(stored) === json;
}

interface ExistingEvent {
  readonly id: number;
  readonly natural_key: string;
  readonly ts_ms: number;
  readonly user_key: number | null;
  readonly result: number | null;
  readonly payload: Uint8Array;
}

async function existingEvents(
  trx: Db,
  sourceId: string,
  stream: string,
  keys: readonly string[],
): Promise<Map<string, ExistingEvent>> {
  const found = new Map<string, ExistingEvent>();
  for (const batch of chunks(keys, rowsPerStatement(trx, 1) - 2)) {
    const rows = await trx
      .selectFrom('activity_events')
      .select(['id', 'natural_key', 'ts_ms', 'user_key', 'result', 'payload'])
      .where('source_id', '=', sourceId)
      .where('stream', '=', stream)
      .where('natural_key', 'in', batch)
      .execute();
    for (const row of rows) found.set(row.natural_key, row);
  }
  return found;
}

/** The authentication event's user for each txid (auth natural key = txid). */
async function authUsersByTxid(
  trx: Db,
  sourceId: string,
  telephony: readonly NormalisedEvent[],
): Promise<Map<string, number>> {
  const txids = [...new Set(telephony.flatMap((e) => (e.txid === undefined ? [] : [e.txid])))];
  const auths = await existingEvents(trx, sourceId, 'authentication', txids);
  const users = new Map<string, number>();
  for (const [txid, auth] of auths) if (auth.user_key !== null) users.set(txid, auth.user_key);
  return users;
}

/** Gives waiting telephony rows the user of their (now stored) authentication event. */
async function attributeTelephony(
  trx: Db,
  sourceId: string,
  auths: readonly { readonly txid: string; readonly user_key: number }[],
): Promise<void> {
  if (auths.length === 0) return;
  const userOf = new Map(auths.map((a) => [a.txid, a.user_key]));
  const rollup = new RollupDelta();
  const idsByUser = new Map<number, number[]>();
  for (const batch of chunks([...userOf.keys()], rowsPerStatement(trx, 1) - 2)) {
    // Only rows naming a foreign txid carry one (see the migration), so the txid index
    // alone finds them; the stream is checked here rather than in SQL, which would tempt
    // SQLite into the (source_id, stream) index.
    const waiting = await trx
      .selectFrom('activity_events')
      .select(['id', 'stream', 'txid', 'ts_ms', 'result'])
      .where('source_id', '=', sourceId)
      .where('txid', 'in', batch)
      .where('user_key', 'is', null)
      .execute();
    for (const row of waiting) {
      if (row.stream !== 'telephony') continue;
      const user = row.txid === null ? undefined : userOf.get(row.txid);
      if (user === undefined) continue;
      const result = row.result === null ? null : row.result;
      rollup.add(null, row.ts_ms, result, -1);
      rollup.add(user, row.ts_ms, result, 1);
      const list = idsByUser.get(user) ?? [];
      list.push(row.id);
      idsByUser.set(user, list);
    }
  }
  for (const [user, ids] of idsByUser)
    for (const batch of chunks(ids, rowsPerStatement(trx, 1) - 1))
      await trx
        .updateTable('activity_events')
        .set({ user_key: user })
        .where('id', 'in', batch)
        .execute();
  await applyRollup(trx, sourceId, 'telephony', rollup);
}

async function applyRollup(
  trx: Db,
  sourceId: string,
  stream: StreamName,
  delta: RollupDelta,
): Promise<void> {
  const rows = delta.rows().map((r) => ({ ...r, source_id: sourceId, stream }));
  await runBatches(trx, upsertDaily, rows);
}

const EVENT_COLUMNS = [
  'source_id',
  'stream',
  'natural_key',
  'ts_ms',
  'user_key',
  'username',
  'result',
  'reason',
  'factor',
  'application',
  'location',
  'access_os',
  'access_browser',
  'ip',
  'txid',
  'payload',
] as const satisfies readonly (keyof NewEventRow)[];

const insertEvents: BatchStatement<NewEventRow, { natural_key: string }> = {
  name: 'insert activity_events',
  columns: EVENT_COLUMNS,
  build: (db, rows) =>
    db
      .insertInto('activity_events')
      .values(rows.map((r) => pick(r, EVENT_COLUMNS)))
      .onConflict((oc) => oc.columns(['source_id', 'stream', 'natural_key']).doNothing())
      .returning(['natural_key']),
};

/** The row's fields in `columns` order: the order Kysely binds them in. */
function pick<Row extends object>(row: Row, columns: readonly (keyof Row)[]): Row {
  const out: Partial<Row> = {};
  for (const column of columns) out[column] = row[column];
  return out as Row;
}

interface DailyDelta {
  source_id: string;
  user_key: number;
  day: number;
  stream: string;
  result: number;
  count: number;
}

const DAILY_COLUMNS = ['source_id', 'user_key', 'day', 'stream', 'result', 'count'] as const;

const upsertDaily: BatchStatement<DailyDelta, unknown> = {
  name: 'upsert activity_daily',
  columns: DAILY_COLUMNS,
  build: (db, rows) =>
    db
      .insertInto('activity_daily')
      .values(rows.map((r) => pick(r, DAILY_COLUMNS)))
      .onConflict((oc) =>
        oc.columns(['user_key', 'day', 'source_id', 'stream', 'result']).doUpdateSet((eb) => ({
          count: eb('activity_daily.count', '+', eb.ref('excluded.count')),
        })),
      ),
};

// ---- rollup maintenance ----------------------------------------------------------------------------

export interface DailyRollupRow {
  readonly userKey: number;
  readonly day: number;
  readonly stream: string;
  readonly result: number;
  readonly count: number;
}

/** The stored daily rollup of a source (non-zero cells), in key order. */
export async function listActivityDaily(db: Db, sourceId: string): Promise<DailyRollupRow[]> {
  const rows = await db
    .selectFrom('activity_daily')
    .select(['user_key', 'day', 'stream', 'result', 'count'])
    .where('source_id', '=', sourceId)
    .where('count', '<>', 0)
    .orderBy('user_key')
    .orderBy('day')
    .orderBy('stream')
    .orderBy('result')
    .execute();
  return rows.map(toDailyRollupRow);
}

/** The daily rollup recomputed from raw events (what `listActivityDaily` must equal). */
export async function recountActivityDaily(db: Db, sourceId: string): Promise<DailyRollupRow[]> {
  const rows = await recountQuery(db, sourceId)
    .orderBy('user_key')
    .orderBy('day')
    .orderBy('stream')
    .orderBy('result')
    .execute();
  return rows.map(toDailyRollupRow);
}

function recountQuery(db: Db, sourceId: string) {
  const userKey = sql<number>`coalesce(user_key, 0)`;
  const result = sql<number>`coalesce(result, 0)`;
  const day = sql<number>`ts_ms / ${sql.lit(DAY_MS)}`;
  return db
    .selectFrom('activity_events')
    .select([
      userKey.as('user_key'),
      day.as('day'),
      'stream',
      result.as('result'),
      (eb) => eb.fn.countAll<number>().as('count'),
    ])
    .where('source_id', '=', sourceId)
    .groupBy([userKey, day, 'stream', result]);
}

function toDailyRollupRow(row: {
  user_key: number;
  day: number;
  stream: string;
  result: number;
  count: number;
}): DailyRollupRow {
  return {
    userKey: row.user_key,
    day: row.day,
    stream: row.stream,
    result: row.result,
    count: row.count,
  };
}

// ---- timeline --------------------------------------------------------------------------------------

export interface ActivityQuery extends ActivityFilter {
  /** Events of these Duo users (`user.key`). */
  readonly userKeys?: readonly string[];
  /** Events of the Duo users of this identity's accounts. */
  readonly identityId?: string;
  readonly sourceId?: string;
  /** The last event of the previous page. */
  readonly cursor?: ActivityCursor;
  /** Default 50, at most 1000. */
  readonly limit?: number;
}

/**
 * A page of events, newest first, keyset-paged on (ts_ms, id).
 *
 * @example const page = await listActivityEvents(db, { identityId, streams: ['authentication'] });
 */
export async function listActivityEvents(db: Db, query: ActivityQuery): Promise<ActivityPage> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 1000);
  const filterValues = [
    ...(query.userKeys ?? []),
    ...(query.results ?? []),
    ...(query.factors ?? []),
    ...(query.applications ?? []),
  ];
  const ids = await lookupStrings(db, filterValues);
  const idsOf = (values: readonly string[]): number[] =>
    values.flatMap((v) => {
      const id = ids.get(v);
      return id === undefined ? [] : [id];
    });

  let q = db.selectFrom('activity_events').selectAll();
  if (query.sourceId !== undefined) q = q.where('source_id', '=', query.sourceId);
  if (query.userKeys !== undefined) q = q.where('user_key', 'in', [...idsOf(query.userKeys), -1]);
  if (query.identityId !== undefined) {
    const identityId = query.identityId;
    q = q.where('user_key', 'in', (eb) =>
      eb
        .selectFrom('accounts')
        .innerJoin('strings', 'strings.value', 'accounts.duo_user_id')
        .select('strings.id')
        .where('accounts.identity_id', '=', identityId),
    );
  }
  if (query.streams !== undefined) q = q.where('stream', 'in', [...query.streams, '']);
  if (query.results !== undefined) q = q.where('result', 'in', [...idsOf(query.results), -1]);
  if (query.factors !== undefined) q = q.where('factor', 'in', [...idsOf(query.factors), -1]);
  if (query.applications !== undefined)
    q = q.where('application', 'in', [...idsOf(query.applications), -1]);
  if (query.fromMs !== undefined) q = q.where('ts_ms', '>=', query.fromMs);
  if (query.toMs !== undefined) q = q.where('ts_ms', '<', query.toMs);
  const cursor = query.cursor;
  if (cursor)
    q = q.where((eb) =>
      eb.or([
        eb('ts_ms', '<', cursor.tsMs),
        eb.and([eb('ts_ms', '=', cursor.tsMs), eb('id', '<', cursor.id)]),
      ]),
    );
  const rows = await q
    .orderBy('ts_ms', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const values = await stringValues(
    db,
    page.flatMap((r) =>
      [
        r.user_key,
        r.username,
        r.result,
        r.reason,
        r.factor,
        r.application,
        r.location,
        r.access_os,
        r.access_browser,
      ].flatMap((v) => (v === null ? [] : [v])),
    ),
  );
  const text = (id: number | null): string | null =>
    id === null ? null : (values.get(id) ?? null);
  const events: ActivityEvent[] = page.map((r) => ({
    id: r.id,
    sourceId: r.source_id,
    stream: r.stream as StreamName,
    naturalKey: r.natural_key,
    tsMs: epochMs(r.ts_ms),
    userKey: text(r.user_key),
    username: text(r.username),
    result: text(r.result),
    reason: text(r.reason),
    factor: text(r.factor),
    application: text(r.application),
    location: text(r.location),
    accessOs: text(r.access_os),
    accessBrowser: text(r.access_browser),
    ip: r.ip,
    txid: r.txid ?? (r.stream === 'authentication' ? r.natural_key : null),
    payload: JSON.parse(decodePayload(r.payload)) as unknown,
  }));
  const last = events[events.length - 1];
  return {
    events,
    next: rows.length > limit && last ? { tsMs: last.tsMs, id: last.id } : undefined,
  };
}

// ---- insights --------------------------------------------------------------------------------------

/**
 * Per Duo user: last activity, last successful authentication (exact, from the (user_key, ts)
 * index; an activity-log `success` is not a sign-in) and days
 * active / events since `sinceMs` (from the daily rollup). Users with no events are included
 * with nulls and zeros.
 *
 * @example await activitySummaries(db, { userKeys, sinceMs: addMs(now, -90 * DAY_MS) })
 */
export async function activitySummaries(
  db: Db,
  query: { readonly userKeys: readonly string[]; readonly sinceMs: EpochMs },
): Promise<ActivitySummary[]> {
  const keys = [...new Set(query.userKeys)];
  const ids = await lookupStrings(db, [...keys, SUCCESS_RESULT]);
  const successId = ids.get(SUCCESS_RESULT) ?? -1;
  const userIds = keys.flatMap((k) => {
    const id = ids.get(k);
    return id === undefined ? [] : [id];
  });
  const sinceDay = dayOf(query.sinceMs);
  const windows = new Map<number, { days: number; events: number }>();
  const latest = new Map<number, { last: number | null; success: number | null }>();
  for (const batch of chunks(userIds, 500)) {
    const rollup = await db
      .selectFrom('activity_daily')
      .select([
        'user_key',
        (eb) => eb.fn.count<number>('day').distinct().as('days'),
        (eb) => eb.fn.sum<number>('count').as('events'),
      ])
      .where('user_key', 'in', batch)
      .where('day', '>=', sinceDay)
      .where('count', '>', 0)
      .groupBy('user_key')
      .execute();
    for (const r of rollup) windows.set(r.user_key, { days: r.days, events: r.events });
    const last = await db
      .selectFrom('strings as s')
      .select((eb) => [
        's.id',
        eb
          .selectFrom('activity_events as e')
          .select('e.ts_ms')
          .whereRef('e.user_key', '=', 's.id')
          .orderBy('e.ts_ms', 'desc')
          .limit(1)
          .as('last_ms'),
        eb
          .selectFrom('activity_events as e')
          .select('e.ts_ms')
          .whereRef('e.user_key', '=', 's.id')
          .where('e.result', '=', successId)
          .where('e.stream', '=', 'authentication')
          .orderBy('e.ts_ms', 'desc')
          .limit(1)
          .as('success_ms'),
      ])
      .where('s.id', 'in', batch)
      .execute();
    for (const r of last)
      latest.set(r.id, {
        last: r.last_ms === null ? null : r.last_ms,
        success: r.success_ms === null ? null : r.success_ms,
      });
  }
  return keys.map((userKey) => {
    const id = ids.get(userKey);
    const w = id === undefined ? undefined : windows.get(id);
    const l = id === undefined ? undefined : latest.get(id);
    return {
      userKey,
      lastActivityMs: l?.last == null ? null : epochMs(l.last),
      lastSuccessMs: l?.success == null ? null : epochMs(l.success),
      daysActive: w?.days ?? 0,
      events: w?.events ?? 0,
    };
  });
}

/**
 * Events per UTC day, stream and result for a set of Duo users, from the daily rollup
 * (`fromDay` and `toDay` inclusive, days since the epoch).
 */
export async function dailyActivity(
  db: Db,
  query: { readonly userKeys: readonly string[]; readonly fromDay: number; readonly toDay: number },
): Promise<DailyCount[]> {
  const ids = await lookupStrings(db, query.userKeys);
  const userIds = [...ids.values()];
  if (userIds.length === 0) return [];
  const totals = new Map<string, DailyCount & { resultId: number }>();
  for (const batch of chunks(userIds, 500)) {
    const rows = await db
      .selectFrom('activity_daily')
      .select(['day', 'stream', 'result', (eb) => eb.fn.sum<number>('count').as('count')])
      .where('user_key', 'in', batch)
      .where('day', '>=', query.fromDay)
      .where('day', '<=', query.toDay)
      .groupBy(['day', 'stream', 'result'])
      .execute();
    for (const r of rows) {
      const key = `${String(r.day)}|${r.stream}|${String(r.result)}`;
      const before = totals.get(key);
      totals.set(key, {
        day: r.day,
        stream: r.stream as StreamName,
        result: null,
        resultId: r.result,
        count: (before?.count ?? 0) + r.count,
      });
    }
  }
  const names = await stringValues(
    db,
    [...totals.values()].map((t) => t.resultId).filter((id) => id !== 0),
  );
  return [...totals.values()]
    .filter((t) => t.count !== 0)
    .map(({ resultId, ...t }) => ({ ...t, result: names.get(resultId) ?? null }))
    .sort((a, b) => a.day - b.day || a.stream.localeCompare(b.stream));
}

/**
 * Applications, factors and locations a set of Duo users used in `[fromMs, toMs)`, most used
 * first, with first and last use (reads raw events through the (user_key, ts) index). Factors
 * are those of authentications: a telephony row repeats the factor of the authentication that
 * sent it, so counting it too would count one sign-in twice.
 */
export async function activityUsage(
  db: Db,
  query: { readonly userKeys: readonly string[]; readonly fromMs: EpochMs; readonly toMs: EpochMs },
): Promise<ActivityUsage> {
  const ids = [...(await lookupStrings(db, query.userKeys)).values()];
  const usage = async (column: 'application' | 'factor' | 'location'): Promise<UsageCount[]> => {
    if (ids.length === 0) return [];
    const rows = await db
      .selectFrom('activity_events')
      .select([
        column,
        (eb) => eb.fn.countAll<number>().as('count'),
        (eb) => eb.fn.min<number>('ts_ms').as('first_ms'),
        (eb) => eb.fn.max<number>('ts_ms').as('last_ms'),
      ])
      .where('user_key', 'in', ids)
      .where('ts_ms', '>=', query.fromMs)
      .where('ts_ms', '<', query.toMs)
      .where(column, 'is not', null)
      .$if(column === 'factor', (q) => q.where('stream', '=', 'authentication'))
      .groupBy(column)
      .execute();
    const names = await stringValues(
      db,
      rows.flatMap((r) => (r[column] === null ? [] : [r[column]])),
    );
    return rows
      .map((r) => ({
        value: names.get(Number(r[column])) ?? '',
        count: r.count,
        firstMs: epochMs(r.first_ms),
        lastMs: epochMs(r.last_ms),
      }))
      .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  };
  return {
    applications: await usage('application'),
    factors: await usage('factor'),
    locations: await usage('location'),
  };
}

/**
 * The time of the first stored event of a set of Duo users, or null (one index probe per user).
 *
 * @example const since = await firstActivityMs(db, ['DU3KC77WJ06Y5HIV7XKQ']);
 */
export async function firstActivityMs(
  db: Db,
  userKeys: readonly string[],
): Promise<EpochMs | null> {
  const ids = [...(await lookupStrings(db, userKeys)).values()];
  let first: number | null = null;
  for (const batch of chunks(ids, 500)) {
    const rows = await db
      .selectFrom('strings as s')
      .select((eb) =>
        eb
          .selectFrom('activity_events as e')
          .select('e.ts_ms')
          .whereRef('e.user_key', '=', 's.id')
          .orderBy('e.ts_ms', 'asc')
          .limit(1)
          .as('first_ms'),
      )
      .where('s.id', 'in', batch)
      .execute();
    for (const r of rows)
      if (r.first_ms !== null && (first === null || r.first_ms < first)) first = r.first_ms;
  }
  return first === null ? null : epochMs(first);
}

/**
 * Which of `locations` a set of Duo users was seen at before `beforeMs` (at any time, not only
 * within a report window): a place is new only if it is absent here.
 */
export async function locationsSeenBefore(
  db: Db,
  query: {
    readonly userKeys: readonly string[];
    readonly locations: readonly string[];
    readonly beforeMs: EpochMs;
  },
): Promise<Set<string>> {
  const seen = new Set<string>();
  if (query.locations.length === 0) return seen;
  const users = [...(await lookupStrings(db, query.userKeys)).values()];
  const places = await lookupStrings(db, query.locations);
  if (users.length === 0 || places.size === 0) return seen;
  const names = new Map([...places].map(([value, id]) => [id, value]));
  const rows = await db
    .selectFrom('activity_events')
    .select('location')
    .distinct()
    .where('user_key', 'in', users)
    .where('location', 'in', [...places.values()])
    .where('ts_ms', '<', query.beforeMs)
    .execute();
  for (const r of rows) {
    const name = r.location === null ? undefined : names.get(r.location);
    if (name !== undefined) seen.add(name);
  }
  return seen;
}

/**
 * Stored events per stream of a source in `[fromMs, toMs)` (the ground truth tests compare
 * with the simulator's). Streams without events are absent.
 */
export async function countActivityEvents(
  db: Db,
  query: { readonly sourceId: string; readonly fromMs?: EpochMs; readonly toMs?: EpochMs },
): Promise<Partial<Record<StreamName, number>>> {
  let q = db
    .selectFrom('activity_events')
    .select(['stream', (eb) => eb.fn.countAll<number>().as('count')])
    .where('source_id', '=', query.sourceId);
  if (query.fromMs !== undefined) q = q.where('ts_ms', '>=', query.fromMs);
  if (query.toMs !== undefined) q = q.where('ts_ms', '<', query.toMs);
  const rows = await q.groupBy('stream').execute();
  const counts: Partial<Record<StreamName, number>> = {};
  for (const r of rows) counts[r.stream as StreamName] = r.count;
  return counts;
}

// ---- storage ---------------------------------------------------------------------------------------

export interface StorageStats {
  /** Every table of the store, indexes included. */
  readonly totalBytes: number;
  /** `activity_events`, `activity_daily` and `strings`, indexes included. */
  readonly activityBytes: number;
  readonly events: number;
  /** `activityBytes / events` (0 without events). */
  readonly bytesPerEvent: number;
  readonly tables: readonly TableSize[];
}

/** Bytes on disk, in total and per stored event (SQLite `dbstat`, PostgreSQL relation sizes). */
export async function storageStats(db: Db): Promise<StorageStats> {
  const tables = await dialectOf(db).tableSizes(db);
  const activityTables = new Set(['activity_events', 'activity_daily', 'strings']);
  const activityBytes = tables
    .filter((t) => activityTables.has(t.table))
    .reduce((sum, t) => sum + t.bytes, 0);
  const row = await db
    .selectFrom('activity_events')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  const events = row.count;
  return {
    totalBytes: tables.reduce((sum, t) => sum + t.bytes, 0),
    activityBytes,
    events,
    bytesPerEvent: events === 0 ? 0 : activityBytes / events,
    tables,
  };
}
