/**
 * Ingest of activity events: one page of a stream and its cursor per transaction — or several
 * pages of one stream and the last one's cursor (a backlog) —, idempotent (a replayed page
 * changes nothing), keeping the daily rollup and the telephony rows' users (from the
 * authentication event with the same txid) up to date.
 *
 * Payloads are the original JSON, compressed by `payload.ts` (LZ4 with a per-stream
 * dictionary; rows stored by an earlier version with raw deflate are still decoded). A sync
 * compresses them as it reads (`encodeEvent`): its buffered pages then hold a quarter of the
 * bytes, and the JSON text dies young instead of growing the JavaScript heap.
 *
 * @example
 *   const strings = new StringCache();
 *   await ingestActivityPage(db, { sourceId, stream: 'authentication', events, cursor, strings });
 *   await ingestActivityPages(db, [page1, page2, page3]); // one transaction
 */
import type { NormalisedEvent, StreamPatch } from '../../domain/activity.js';
import type { StreamName } from '../../domain/streams.js';
import { sql } from 'kysely';
import { pick, runBatches, type BatchStatement } from '../batch.js';
import { chunks } from '../columns.js';
import { dialectOf, rowsPerStatement, type Db } from '../dialect.js';
import { decodePayload, encodePayload, sameJson } from '../payload.js';
import { encodeArray } from '../pg-arrays.js';
import type { ActivityEventsTable } from '../schema.js';
import { saveStreamCursor } from '../streams.js';
import { RollupDelta, applyRollup } from './daily.js';
import { eventStreamId, findEventStreamId, holdSourceForIngest } from './event-streams.js';
import { applyActivityRollups, type RolledEvent } from './rollups.js';
import { internStrings, type StringCache } from './strings.js';

/**
 * An event whose payload is already in its stored (compressed) form, made by `encodeEvent`:
 * what a sync holds while pages wait to be stored, at about a quarter of the JSON's size and
 * outside the JavaScript heap.
 *
 * @example encodeEvent('authentication', normalised).encodedPayload[0] // the codec byte
 */
export interface EncodedEvent extends Omit<NormalisedEvent, 'payload'> {
  readonly encodedPayload: Buffer;
}

/** An event as ingest stores it: its payload compressed now, the JSON text let go. */
export function encodeEvent(stream: StreamName, event: NormalisedEvent): EncodedEvent {
  const { payload, ...columns } = event;
  return { ...columns, encodedPayload: encodePayload(stream, payload) };
}

/** What a page's events may be: as normalised, or already encoded (`encodeEvent`). */
export type IngestEvent = NormalisedEvent | EncodedEvent;

export interface ActivityPageInput {
  readonly sourceId: string;
  readonly stream: StreamName;
  /** Encoded ones must have been encoded for this `stream` (each stream has its dictionary). */
  readonly events: readonly IngestEvent[];
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
  const [result] = await ingestActivityPages(db, [input]);
  if (result === undefined) throw new Error('ingest returned no result for its page');
  return result;
}

/**
 * Stores consecutive pages in ONE transaction, each exactly as `ingestActivityPage` would, in
 * order (each page's cursor is saved in turn, so the last page's cursor commits with all their
 * rows): one commit for a backlog of pages instead of one per page. All or nothing: after a
 * failure or a crash, the stream resumes from the cursor committed before these pages.
 *
 * @example const results = await ingestActivityPages(db, buffered); // one result per page
 */
export async function ingestActivityPages(
  db: Db,
  inputs: readonly ActivityPageInput[],
): Promise<IngestResult[]> {
  if (inputs.length === 0) return [];
  const staged = new Map<string, number>();
  const results = await db.transaction().execute(async (trx) => {
    // Locks in one order in every transaction, so concurrent ones (other streams) never wait
    // for each other in a cycle: the source's attribution lock first, then every new string of
    // every page in one sorted pass (page by page, two transactions could each hold a string
    // the other's next page needs: a deadlock on PostgreSQL).
    for (const source of new Set(inputs.map((i) => i.sourceId)))
      await holdSourceForIngest(trx, source);
    for (const source of new Set(inputs.filter(attributes).map((i) => i.sourceId)))
      await dialectOf(trx).lockForTransaction(trx, attributionLock(source));
    const ids = await internStrings(trx, pageStrings(inputs), inputs[0]?.strings, staged);
    const rollups = new TransactionRollups();
    const out: IngestResult[] = [];
    for (const input of inputs) out.push(await ingestInTransaction(trx, input, ids, rollups));
    await rollups.apply(trx);
    return out;
  });
  for (const cache of new Set(inputs.map((i) => i.strings))) cache?.remember(staged);
  return results;
}

/** Pages whose transaction takes the source's txid-attribution lock. */
function attributes(input: ActivityPageInput): boolean {
  return input.stream === 'authentication' || input.stream === 'telephony';
}

function attributionLock(sourceId: string): string {
  return `duo-insights:txid-attribution:${sourceId}`;
}

/** The strings-dictionary values the events of these pages use. */
function pageStrings(pages: readonly { readonly events: readonly IngestEvent[] }[]): Set<string> {
  const values = new Set<string>();
  for (const { events } of pages)
    for (const event of events)
      for (const field of STRING_FIELDS) {
        const value = event[field];
        if (value !== undefined) values.add(value);
      }
  return values;
}

/**
 * How far apart in time a telephony record and its authentication are looked for, when the
 * authentication was stored first. Duo logs the call or SMS while the authentication waits for
 * it (seconds); an hour each way leaves room for clocks and slow users. A telephony record
 * stored first gets its user when the authentication arrives, whatever their times.
 */
export const TELEPHONY_AUTH_WINDOW_MS = 60 * 60 * 1000;

/**
 * What the pages of one transaction change in the rollups, per source and stream, applied once
 * after every page's rows are written: the rollup rows a backlog's pages share (a user's day,
 * last activity, the organisation's day) are then read and written once, not once per page.
 * The same as applying page by page: deltas add up, and the days and users an update recounts
 * are recounted from the events as they are at the end.
 */
class TransactionRollups {
  readonly #groups = new Map<
    string,
    {
      readonly sourceId: string;
      readonly stream: StreamName;
      readonly daily: RollupDelta;
      readonly added: RolledEvent[];
      readonly changed: {
        row: RolledEvent;
        before: { readonly user_key: number | null; readonly ts_ms: number };
      }[];
      readonly attributed: RolledEvent[];
    }
  >();
  group(sourceId: string, stream: StreamName) {
    const key = `${stream}|${sourceId}`;
    let found = this.#groups.get(key);
    if (found === undefined) {
      found = {
        sourceId,
        stream,
        daily: new RollupDelta(),
        added: [],
        changed: [],
        attributed: [],
      };
      this.#groups.set(key, found);
    }
    return found;
  }
  async apply(trx: Db): Promise<void> {
    for (const { sourceId, stream, daily, added, changed, attributed } of this.#groups.values()) {
      await applyRollup(trx, sourceId, stream, daily);
      await applyActivityRollups(trx, { sourceId, stream, added, changed, attributed });
    }
  }
}

async function ingestInTransaction(
  trx: Db,
  input: ActivityPageInput,
  /** The string ids of every page of the transaction. */
  ids: ReadonlyMap<string, number>,
  rollups: TransactionRollups,
): Promise<IngestResult> {
  const { sourceId, stream } = input;
  // Authentication and telephony pages of a source attribute each other (txid → user); run
  // concurrently under READ COMMITTED, each would miss the other's uncommitted rows and a
  // telephony row would stay without its user. One lock per source serialises the pair: taken
  // by `ingestActivityPages` at the start of the transaction.
  const streamId = await eventStreamId(trx, sourceId, stream);
  const events = lastOfEach(input.events);

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
  const page = rollups.group(sourceId, stream);
  const rollup = page.daily;
  const rows = events.map((event): NewEventRow => ({
    stream_id: streamId,
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
    payload:
      'encodedPayload' in event ? event.encodedPayload : encodePayload(stream, event.payload),
  }));
  const inserted = await runBatches(trx, insertEvents, rows);
  const stored: NewEventRow[] = [];
  const known: NewEventRow[] = [];
  if (inserted.length === rows.length) {
    // Every row was new (a first sync, a backfill): no key to compare.
    for (const row of rows) {
      stored.push(row);
      rollup.add(row.user_key, row.ts_ms, row.result, 1);
    }
  } else {
    const added = new Set(inserted.map((r) => eventKey(r.ts_ms, r.natural_key)));
    for (const row of rows) {
      if (added.has(eventKey(row.ts_ms, row.natural_key))) {
        stored.push(row);
        rollup.add(row.user_key, row.ts_ms, row.result, 1);
      } else known.push(row);
    }
  }
  const changed: { id: number; row: NewEventRow; before: ExistingEvent }[] = [];
  if (known.length > 0) {
    const existing = await existingEvents(trx, streamId, known);
    for (const row of known) {
      const before = existing.get(eventKey(row.ts_ms, row.natural_key));
      if (!before || samePayload(before.payload, row.payload)) continue;
      changed.push({ id: before.id, row, before });
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
    const telephonyId = await findEventStreamId(trx, sourceId, 'telephony');
    if (telephonyId !== undefined)
      for (const event of await attributeTelephony(
        trx,
        telephonyId,
        authed,
        rollups.group(sourceId, 'telephony').daily,
      ))
        page.attributed.push(event);
  }

  // Only what the rollups read: a backlog's payloads are not kept until its commit.
  for (const row of stored) page.added.push(rolled(row));
  for (const { row, before } of changed)
    page.changed.push({
      row: rolled(row),
      before: { user_key: before.user_key, ts_ms: before.ts_ms },
    });
  await saveStreamCursor(trx, sourceId, stream, input.cursor, input.streamPatch);
  const changes = changed.slice(0, CHANGES_REPORTED).map(({ row, before }) => ({
    naturalKey: row.natural_key,
    before: decodePayload(before.payload),
    after: decodePayload(row.payload),
  }));
  return { inserted: stored.length, updated: changed.length, changes };
}

function rolled(row: RolledEvent): RolledEvent {
  return {
    user_key: row.user_key,
    ts_ms: row.ts_ms,
    result: row.result,
    factor: row.factor,
    application: row.application,
    location: row.location,
  };
}

/**
 * Whether a stored payload holds the same record as `encoded`. The encoder is deterministic, so
 * equal bytes mean equal JSON without decoding; otherwise both are decoded and compared as JSON
 * values (`sameJson`): rows stored by an earlier version hold the parsed record serialised again
 * (keys in another order, no spaces), new ones Duo's own text of it.
 */
function samePayload(stored: Uint8Array, encoded: Uint8Array): boolean {
  return (
    Buffer.compare(encoded, stored) === 0 || sameJson(decodePayload(stored), decodePayload(encoded))
  );
}

interface ExistingEvent {
  readonly id: number;
  readonly natural_key: string;
  readonly ts_ms: number;
  readonly user_key: number | null;
  readonly result: number | null;
  readonly payload: Uint8Array;
}

/**
 * A page's events, the last occurrence of each (time and natural key) winning, in the order
 * of their first. Natural keys alone tell nearly always: the pair is built only when one
 * repeats at another time.
 */
function lastOfEach(events: readonly IngestEvent[]): readonly IngestEvent[] {
  const byNaturalKey = new Map<string, IngestEvent>();
  for (const event of events) {
    const before = byNaturalKey.get(event.naturalKey);
    if (before !== undefined && before.tsMs !== event.tsMs) {
      const byKey = new Map<string, IngestEvent>();
      for (const e of events) byKey.set(eventKey(e.tsMs, e.naturalKey), e);
      return [...byKey.values()];
    }
    byNaturalKey.set(event.naturalKey, event);
  }
  return byNaturalKey.size === events.length ? events : [...byNaturalKey.values()];
}

/** A stored event's identity within its stream: its time and natural key. */
function eventKey(tsMs: number, naturalKey: string): string {
  return `${String(tsMs)}|${naturalKey}`;
}

/**
 * The stored events of a stream among `wanted` (by time and natural key), keyed by `eventKey`.
 * One range of the unique index per batch: the batch's natural keys within its time span.
 */
async function existingEvents(
  trx: Db,
  streamId: number,
  wanted: readonly { readonly ts_ms: number; readonly natural_key: string }[],
): Promise<Map<string, ExistingEvent>> {
  const found = new Map<string, ExistingEvent>();
  const sorted = [...wanted].sort((a, b) => a.ts_ms - b.ts_ms);
  for (const batch of chunks(sorted, rowsPerStatement(trx, 1) - 4)) {
    const first = batch[0];
    const last = batch[batch.length - 1];
    if (first === undefined || last === undefined) continue;
    const keys = new Set(batch.map((w) => eventKey(w.ts_ms, w.natural_key)));
    const rows = await trx
      .selectFrom('activity_events')
      .select(['id', 'natural_key', 'ts_ms', 'user_key', 'result', 'payload'])
      .where('stream_id', '=', streamId)
      .where('ts_ms', '>=', first.ts_ms)
      .where('ts_ms', '<=', last.ts_ms)
      .where('natural_key', 'in', [...new Set(batch.map((w) => w.natural_key))])
      .execute();
    for (const row of rows) {
      const key = eventKey(row.ts_ms, row.natural_key);
      if (keys.has(key)) found.set(key, row);
    }
  }
  return found;
}

/**
 * The user of the stored authentication event with each txid (an authentication's natural key
 * is its txid), looked for within `TELEPHONY_AUTH_WINDOW_MS` of the telephony records.
 */
async function authUsersByTxid(
  trx: Db,
  sourceId: string,
  telephony: readonly IngestEvent[],
): Promise<Map<string, number>> {
  const users = new Map<string, number>();
  if (telephony.length === 0) return users;
  const authId = await findEventStreamId(trx, sourceId, 'authentication');
  if (authId === undefined) return users;
  const sorted = [...telephony].sort((a, b) => a.tsMs - b.tsMs);
  for (const batch of chunks(sorted, rowsPerStatement(trx, 1) - 4)) {
    const first = batch[0];
    const last = batch[batch.length - 1];
    if (first === undefined || last === undefined) continue;
    const txids = [...new Set(batch.flatMap((e) => (e.txid === undefined ? [] : [e.txid])))];
    const rows = await trx
      .selectFrom('activity_events')
      .select(['natural_key', 'user_key'])
      .where('stream_id', '=', authId)
      .where('ts_ms', '>=', first.tsMs - TELEPHONY_AUTH_WINDOW_MS)
      .where('ts_ms', '<=', last.tsMs + TELEPHONY_AUTH_WINDOW_MS)
      .where('natural_key', 'in', txids)
      .where('user_key', 'is not', null)
      .execute();
    for (const row of rows) if (row.user_key !== null) users.set(row.natural_key, row.user_key);
  }
  return users;
}

/** Gives waiting telephony rows the user of their (now stored) authentication event. */
async function attributeTelephony(
  trx: Db,
  telephonyId: number,
  auths: readonly { readonly txid: string; readonly user_key: number }[],
  rollup: RollupDelta,
): Promise<RolledEvent[]> {
  if (auths.length === 0) return [];
  const attributed: RolledEvent[] = [];
  const userOf = new Map(auths.map((a) => [a.txid, a.user_key]));
  const idsByUser = new Map<number, number[]>();
  for (const batch of chunks([...userOf.keys()], rowsPerStatement(trx, 1) - 3)) {
    // The waiting-txid index (stream_id, txid) holds exactly the rows that name a foreign txid
    // and have no user yet; with both columns constrained the planner takes it over the
    // (user_key, ts_ms) index (every row without a user) and the unique key (every row).
    const waiting = await trx
      .selectFrom('activity_events')
      .select(['id', 'txid', 'ts_ms', 'result', 'factor', 'application', 'location'])
      .where('stream_id', '=', telephonyId)
      .where('txid', 'in', batch)
      .where('user_key', 'is', null)
      .execute();
    for (const row of waiting) {
      const user = row.txid === null ? undefined : userOf.get(row.txid);
      if (user === undefined) continue;
      const result = row.result === null ? null : row.result;
      rollup.add(null, row.ts_ms, result, -1);
      rollup.add(user, row.ts_ms, result, 1);
      attributed.push({ ...row, user_key: user });
      const list = idsByUser.get(user) ?? [];
      list.push(row.id);
      idsByUser.set(user, list);
    }
  }
  if (dialectOf(trx).columnArrays) {
    await setUserKeys(trx, idsByUser);
    return attributed;
  }
  for (const [user, ids] of idsByUser)
    for (const batch of chunks(ids, rowsPerStatement(trx, 1) - 1))
      await trx
        .updateTable('activity_events')
        .set({ user_key: user })
        .where('id', 'in', batch)
        .execute();
  return attributed;
}

/**
 * Gives each row its user in one statement, whatever the number of users: a page of telephony
 * records waiting for their authentications names hundreds of users, one update each otherwise.
 */
async function setUserKeys(
  trx: Db,
  idsByUser: ReadonlyMap<number, readonly number[]>,
): Promise<void> {
  if (idsByUser.size === 0) return;
  const ids: number[] = [];
  const users: number[] = [];
  for (const [user, rows] of idsByUser)
    for (const id of rows) {
      ids.push(id);
      users.push(user);
    }
  await sql`update activity_events set user_key = u.user_key
    from unnest(${encodeArray('bigint', ids)}::bigint[], ${encodeArray('bigint', users)}::bigint[])
      as u(id, user_key)
    where activity_events.id = u.id`.execute(trx);
}

const EVENT_COLUMNS = [
  'stream_id',
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

const insertEvents: BatchStatement<NewEventRow, { natural_key: string; ts_ms: number }> = {
  name: 'insert activity_events',
  columns: EVENT_COLUMNS,
  arrayTypes: {
    stream_id: 'bigint',
    natural_key: 'text',
    ts_ms: 'bigint',
    user_key: 'bigint',
    username: 'bigint',
    result: 'bigint',
    reason: 'bigint',
    factor: 'bigint',
    application: 'bigint',
    location: 'bigint',
    access_os: 'bigint',
    access_browser: 'bigint',
    ip: 'text',
    txid: 'text',
    payload: 'bytea',
  },
  build: (db, rows) =>
    db
      .insertInto('activity_events')
      .values(rows.map((r) => pick(r, EVENT_COLUMNS)))
      .onConflict((oc) => oc.columns(['stream_id', 'ts_ms', 'natural_key']).doNothing())
      .returning(['natural_key', 'ts_ms']),
};
