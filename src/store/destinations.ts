/**
 * Destinations and their cursors: the settings (JSON) and the encrypted secret, the events of a
 * destination's streams after its cursors (in id order), the delivered batch's cursors with
 * the delivery health in one transaction of their own, and the backlog.
 *
 * @example const batch = await pendingEvents(db, destination, 500); … await recordDelivery(db, id, batch.advances, n, at);
 */
import type { Selectable } from 'kysely';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import type { ActivityEvent } from '../domain/activity.js';
import type {
  Destination,
  DestinationBacklog,
  DestinationSettings,
} from '../domain/destinations.js';
import type { StreamName } from '../domain/streams.js';
import { ms, type EpochMs } from '../domain/time.js';
import { epochMs, fromJson, newId, toJson, toJsonOrNull } from './columns.js';
import type { Db } from './dialect.js';
import { rowTexts, toActivityEvent } from './activity/timeline.js';
import type { DestinationsTable } from './schema.js';
import { decryptSecret, encryptSecret, type SecretKey } from './secrets.js';

export interface NewDestination {
  readonly name: string;
  readonly settings: DestinationSettings;
  /** The HEC token, HMAC key or TLS client key (PEM); stored encrypted. */
  readonly secret?: string;
  readonly sourceIds: readonly string[] | null;
  readonly streams: readonly StreamName[] | null;
}

function toDestination(row: Selectable<DestinationsTable>): Destination {
  return {
    id: row.id,
    name: row.name,
    settings: fromJson(row.config) as DestinationSettings,
    hasSecret: row.secret_ciphertext !== null,
    sourceIds: fromJson(row.source_ids) as string[] | null,
    streams: fromJson(row.streams) as StreamName[] | null,
    delivered: row.delivered,
    lastDeliveredAt: row.last_delivered_at === null ? null : epochMs(row.last_delivered_at),
    lastError: row.last_error,
    lastErrorAt: row.last_error_at === null ? null : epochMs(row.last_error_at),
    createdAt: epochMs(row.created_at),
    updatedAt: epochMs(row.updated_at),
  };
}

/** Creates a destination; `ConflictError` when the name is taken. */
export async function createDestination(
  db: Db,
  input: NewDestination,
  key: SecretKey,
  at: EpochMs,
): Promise<Destination> {
  const taken = await db
    .selectFrom('destinations')
    .select('id')
    .where('name', '=', input.name)
    .executeTakeFirst();
  if (taken) throw new ConflictError(`a destination named "${input.name}" already exists`);
  const id = newId();
  await db
    .insertInto('destinations')
    .values({
      id,
      name: input.name,
      type: input.settings.type,
      config: toJson(input.settings),
      secret_ciphertext: input.secret === undefined ? null : encryptSecret(key, input.secret),
      key_id: input.secret === undefined ? null : key.id,
      source_ids: toJsonOrNull(input.sourceIds),
      streams: toJsonOrNull(input.streams),
      created_at: at,
      updated_at: at,
    })
    .execute();
  return getDestination(db, id);
}

export async function listDestinations(db: Db): Promise<Destination[]> {
  const rows = await db.selectFrom('destinations').selectAll().orderBy('name').execute();
  return rows.map(toDestination);
}

export async function findDestination(db: Db, id: string): Promise<Destination | undefined> {
  const row = await db
    .selectFrom('destinations')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row && toDestination(row);
}

export async function findDestinationByName(
  db: Db,
  name: string,
): Promise<Destination | undefined> {
  const row = await db
    .selectFrom('destinations')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  return row && toDestination(row);
}

export async function getDestination(db: Db, id: string): Promise<Destination> {
  const found = await findDestination(db, id);
  if (!found) throw new NotFoundError('destination', id);
  return found;
}

/** The destination's secret in plain text (for its transport only), or undefined. */
export async function destinationSecret(
  db: Db,
  id: string,
  key: SecretKey,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('destinations')
    .select('secret_ciphertext')
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('destination', id);
  return row.secret_ciphertext === null ? undefined : decryptSecret(key, row.secret_ciphertext);
}

/** Deletes a destination and its cursors; false when there was none. */
export async function deleteDestination(db: Db, id: string): Promise<boolean> {
  const result = await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('destination_cursors').where('destination_id', '=', id).execute();
    return trx.deleteFrom('destinations').where('id', '=', id).executeTakeFirst();
  });
  return Number(result.numDeletedRows) > 0;
}

/** The event streams a destination receives, with its cursor on each (0: nothing accepted yet). */
async function cursorsOf(db: Db, destination: Destination): Promise<Map<number, number>> {
  let q = db
    .selectFrom('event_streams')
    .leftJoin('destination_cursors', (join) =>
      join
        .onRef('destination_cursors.stream_id', '=', 'event_streams.id')
        .on('destination_cursors.destination_id', '=', destination.id),
    )
    .innerJoin('sources', 'sources.id', 'event_streams.source_id')
    .select(['event_streams.id as streamId', 'destination_cursors.last_event_id as last']);
  if (destination.sourceIds !== null)
    q = q.where('event_streams.source_id', 'in', [...destination.sourceIds, '']);
  if (destination.streams !== null)
    q = q.where('event_streams.stream', 'in', [...destination.streams, '']);
  const rows = await q.orderBy('event_streams.id').execute();
  return new Map(rows.map((r) => [r.streamId, r.last ?? 0]));
}

/** A batch of events waiting for a destination, oldest stored first. */
export interface PendingBatch {
  readonly events: readonly ActivityEvent[];
  /** Per event stream, the last event id of the batch: the cursors once it is accepted. */
  readonly advances: ReadonlyMap<number, number>;
  /** Per event stream, its cursor before the batch (to compare-and-set on commit). */
  readonly from: ReadonlyMap<number, number>;
}

/**
 * Up to `limit` events of the destination's streams after its cursors, in id order (the order
 * they were stored; within a stream, its commit order), their strings resolved.
 */
export async function pendingEvents(
  db: Db,
  destination: Destination,
  limit: number,
): Promise<PendingBatch> {
  const cursors = await cursorsOf(db, destination);
  const rows = [];
  // Each stream's next events from the (stream_id, id) index, merged: the first `limit` of the
  // merge are the first `limit` in id order across every stream.
  for (const [streamId, last] of cursors) {
    rows.push(
      ...(await db
        .selectFrom('activity_events')
        .selectAll()
        .where('stream_id', '=', streamId)
        .where('id', '>', last)
        .orderBy('id')
        .limit(limit)
        .execute()),
    );
  }
  rows.sort((a, b) => a.id - b.id);
  const page = rows.slice(0, limit);
  const text = await rowTexts(db, page);
  const streams = await db
    .selectFrom('event_streams')
    .select(['id', 'source_id', 'stream'])
    .where('id', 'in', [...cursors.keys(), -1])
    .execute();
  const streamOf = new Map(streams.map((s) => [s.id, s]));
  const advances = new Map<number, number>();
  const events = page.map((r) => {
    const of = streamOf.get(r.stream_id);
    if (of === undefined) throw new Error(`event ${String(r.id)} names no stored stream`);
    advances.set(r.stream_id, r.id);
    return toActivityEvent(r, of.source_id, of.stream as StreamName, text);
  });
  const from = new Map([...advances.keys()].map((id) => [id, cursors.get(id) ?? 0]));
  return { events, advances, from };
}

/**
 * The batch was accepted: its cursors and the delivery health, in one transaction of its own.
 * A cursor only moves forward (a stale writer cannot move one back).
 */
export async function recordDelivery(
  db: Db,
  destinationId: string,
  batch: Pick<PendingBatch, 'advances'>,
  count: number,
  at: EpochMs,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const [streamId, lastEventId] of batch.advances) {
      await trx
        .insertInto('destination_cursors')
        .values({ destination_id: destinationId, stream_id: streamId, last_event_id: lastEventId })
        .onConflict((oc) =>
          oc
            .columns(['destination_id', 'stream_id'])
            .doUpdateSet({ last_event_id: lastEventId })
            .where('destination_cursors.last_event_id', '<', lastEventId),
        )
        .execute();
    }
    await trx
      .updateTable('destinations')
      .set((eb) => ({
        delivered: eb('delivered', '+', count),
        last_delivered_at: at,
        last_error: null,
        last_error_at: null,
      }))
      .where('id', '=', destinationId)
      .execute();
  });
}

/** A delivery failed: the error (secret-free) and when, kept until a batch is accepted. */
export async function recordDeliveryError(
  db: Db,
  destinationId: string,
  message: string,
  at: EpochMs,
): Promise<void> {
  await db
    .updateTable('destinations')
    .set({ last_error: message.slice(0, 2000), last_error_at: at })
    .where('id', '=', destinationId)
    .execute();
}

/**
 * Starts the destination at the end of what is stored now: its cursors at each stream's
 * newest event (a destination created "from now" skips the history).
 */
export async function skipStoredEvents(db: Db, destination: Destination): Promise<void> {
  const cursors = await cursorsOf(db, destination);
  for (const streamId of cursors.keys()) {
    const newest = await db
      .selectFrom('activity_events')
      .select('id')
      .where('stream_id', '=', streamId)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (newest)
      await recordDelivery(
        db,
        destination.id,
        { advances: new Map([[streamId, newest.id]]) },
        0,
        ms(destination.createdAt),
      );
  }
  await db
    .updateTable('destinations')
    .set({ last_delivered_at: null })
    .where('id', '=', destination.id)
    .execute();
}

/** Events stored for the destination and not accepted yet, and the next one's time. */
export async function destinationBacklog(
  db: Db,
  destination: Destination,
): Promise<DestinationBacklog> {
  const cursors = await cursorsOf(db, destination);
  let backlog = 0;
  let next: { id: number; ts: number } | undefined;
  for (const [streamId, last] of cursors) {
    const counted = await db
      .selectFrom('activity_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('stream_id', '=', streamId)
      .where('id', '>', last)
      .executeTakeFirstOrThrow();
    backlog += counted.n;
    const first = await db
      .selectFrom('activity_events')
      .select(['id', 'ts_ms'])
      .where('stream_id', '=', streamId)
      .where('id', '>', last)
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (first && (next === undefined || first.id < next.id))
      next = { id: first.id, ts: first.ts_ms };
  }
  return { backlog, oldestPendingTsMs: next === undefined ? null : epochMs(next.ts) };
}

/**
 * The oldest event of a stream some destination has not accepted yet, and that destination's
 * name (null when every destination receiving the stream has it all, or none receives it): what
 * retention must keep.
 */
export async function oldestUndelivered(
  db: Db,
  streamId: number,
): Promise<{ readonly atMs: EpochMs; readonly by: string } | null> {
  let oldest: { atMs: EpochMs; by: string } | null = null;
  for (const destination of await listDestinations(db)) {
    const last = (await cursorsOf(db, destination)).get(streamId);
    if (last === undefined) continue;
    const row = await db
      .selectFrom('activity_events')
      .select((eb) => eb.fn.min<number | null>('ts_ms').as('oldest'))
      .where('stream_id', '=', streamId)
      .where('id', '>', last)
      .executeTakeFirstOrThrow();
    if (row.oldest !== null && (oldest === null || row.oldest < oldest.atMs))
      oldest = { atMs: epochMs(row.oldest), by: `destination ${destination.name}` };
  }
  return oldest;
}
