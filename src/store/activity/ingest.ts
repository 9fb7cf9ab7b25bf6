/**
 * Ingest of activity events: one page of a stream and its cursor per transaction, idempotent
 * (a replayed page changes nothing), keeping the daily rollup and the telephony rows' users
 * (from the authentication event with the same txid) up to date.
 *
 * Payloads are the original JSON, compressed by `payload.ts` (LZ4 with a per-stream
 * dictionary; rows stored by an earlier version with raw deflate are still decoded).
 *
 * @example
 *   const strings = new StringCache();
 *   await ingestActivityPage(db, { sourceId, stream: 'authentication', events, cursor, strings });
 */
import type { NormalisedEvent, StreamPatch } from '../../domain/activity.js';
import type { StreamName } from '../../domain/streams.js';
import { pick, runBatches, type BatchStatement } from '../batch.js';
import { chunks } from '../columns.js';
import { dialectOf, rowsPerStatement, type Db } from '../dialect.js';
import { decodePayload, encodePayload } from '../payload.js';
import type { ActivityEventsTable } from '../schema.js';
import { saveStreamCursor } from '../streams.js';
import { RollupDelta, applyRollup } from './daily.js';
import { applyActivityRollups, type RolledEvent } from './rollups.js';
import { internStrings, type StringCache } from './strings.js';

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

  let attributed: RolledEvent[] = [];
  if (stream === 'authentication') {
    const authed = [...stored, ...changed.map((c) => c.row)].flatMap((r) =>
      r.user_key === null ? [] : [{ txid: r.txid ?? r.natural_key, user_key: r.user_key }],
    );
    attributed = await attributeTelephony(trx, sourceId, authed);
  }

  await applyRollup(trx, sourceId, stream, rollup);
  await applyActivityRollups(trx, { sourceId, stream, added: stored, changed, attributed });
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
): Promise<RolledEvent[]> {
  if (auths.length === 0) return [];
  const attributed: RolledEvent[] = [];
  const userOf = new Map(auths.map((a) => [a.txid, a.user_key]));
  const rollup = new RollupDelta();
  const idsByUser = new Map<number, number[]>();
  for (const batch of chunks([...userOf.keys()], rowsPerStatement(trx, 1) - 2)) {
    // Only rows naming a foreign txid carry one (see the migration), so the txid index
    // alone finds them; the stream is checked here rather than in SQL, which would tempt
    // SQLite into the (source_id, stream) index.
    const waiting = await trx
      .selectFrom('activity_events')
      .select(['id', 'stream', 'txid', 'ts_ms', 'result', 'factor', 'application', 'location'])
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
      attributed.push({ ...row, user_key: user });
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
  return attributed;
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
