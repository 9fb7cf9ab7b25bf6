/**
 * Streams: one per log type of a `duo-activity` source, with the cursor saved in the same
 * transaction as its page (see `ingestActivityPage`) and the stream's health.
 *
 * @example await updateStream(db, sourceId, 'telephony', { state: 'not_available' });
 */
import type { Selectable } from 'kysely';
import type { StoredError, StreamPatch, StreamState, StreamStatus } from '../domain/activity.js';
import { NotFoundError } from '../domain/errors.js';
import type { StreamName } from '../domain/streams.js';
import { nowMs } from '../domain/time.js';
import { epochMs, epochMsOrNull, fromJson, toJsonOrNull } from './columns.js';
import type { Db } from './dialect.js';
import type { StreamsTable } from './schema.js';

export function toStreamStatus(row: Selectable<StreamsTable>): StreamStatus {
  return {
    sourceId: row.source_id,
    stream: row.stream as StreamName,
    state: row.state as StreamState,
    cursor: fromJson(row.cursor),
    lastSuccessAt: epochMsOrNull(row.last_success_at),
    lastError: fromJson(row.last_error) as StoredError | null,
    pages: row.pages,
    rateLimited: row.rate_limited,
    updatedAt: epochMs(row.updated_at),
  };
}

export async function findStream(
  db: Db,
  sourceId: string,
  stream: StreamName,
): Promise<StreamStatus | undefined> {
  const row = await db
    .selectFrom('streams')
    .selectAll()
    .where('source_id', '=', sourceId)
    .where('stream', '=', stream)
    .executeTakeFirst();
  return row && toStreamStatus(row);
}

export async function getStream(
  db: Db,
  sourceId: string,
  stream: StreamName,
): Promise<StreamStatus> {
  const found = await findStream(db, sourceId, stream);
  if (!found) throw new NotFoundError('stream', `${sourceId}/${stream}`);
  return found;
}

export async function listStreams(db: Db, sourceId: string): Promise<StreamStatus[]> {
  const rows = await db
    .selectFrom('streams')
    .selectAll()
    .where('source_id', '=', sourceId)
    .orderBy('stream')
    .execute();
  return rows.map(toStreamStatus);
}

/** Creates missing streams as `idle` with no cursor; existing ones are left alone. */
export async function ensureStreams(
  db: Db,
  sourceId: string,
  streams: readonly StreamName[],
): Promise<void> {
  if (streams.length === 0) return;
  const now = nowMs();
  await db
    .insertInto('streams')
    .values(
      streams.map((stream) => ({
        source_id: sourceId,
        stream,
        state: 'idle',
        cursor: null,
        last_success_at: null,
        last_error: null,
        pages: 0,
        rate_limited: 0,
        updated_at: now,
      })),
    )
    .onConflict((oc) => oc.columns(['source_id', 'stream']).doNothing())
    .execute();
}

function patchColumns(patch: StreamPatch): Partial<Selectable<StreamsTable>> {
  return {
    ...(patch.state === undefined ? {} : { state: patch.state }),
    ...(patch.lastSuccessAt === undefined ? {} : { last_success_at: patch.lastSuccessAt }),
    ...(patch.lastError === undefined ? {} : { last_error: toJsonOrNull(patch.lastError) }),
    ...(patch.pages === undefined ? {} : { pages: patch.pages }),
    ...(patch.rateLimited === undefined ? {} : { rate_limited: patch.rateLimited }),
  };
}

/** Changes a stream's health fields (creating the stream when missing). */
export async function updateStream(
  db: Db,
  sourceId: string,
  stream: StreamName,
  patch: StreamPatch,
): Promise<StreamStatus> {
  return writeStream(db, sourceId, stream, patch, undefined);
}

/**
 * Saves a stream's cursor (and optional health fields), counting one more page. Called by
 * `ingestActivityPage` inside the page's transaction; use it alone only for pages with no events.
 */
export async function saveStreamCursor(
  db: Db,
  sourceId: string,
  stream: StreamName,
  cursor: unknown,
  patch: StreamPatch = {},
): Promise<StreamStatus> {
  return writeStream(db, sourceId, stream, patch, { cursor });
}

async function writeStream(
  db: Db,
  sourceId: string,
  stream: StreamName,
  patch: StreamPatch,
  page: { readonly cursor: unknown } | undefined,
): Promise<StreamStatus> {
  const now = nowMs();
  const columns = {
    ...patchColumns(patch),
    ...(page === undefined ? {} : { cursor: toJsonOrNull(page.cursor) }),
    updated_at: now,
  };
  const row = await db
    .insertInto('streams')
    .values({
      source_id: sourceId,
      stream,
      state: 'idle',
      cursor: null,
      last_success_at: null,
      last_error: null,
      pages: page === undefined ? 0 : 1,
      rate_limited: 0,
      ...columns,
    })
    .onConflict((oc) =>
      oc.columns(['source_id', 'stream']).doUpdateSet((eb) => ({
        ...columns,
        ...(page !== undefined && patch.pages === undefined
          ? { pages: eb('streams.pages', '+', 1) }
          : {}),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return toStreamStatus(row);
}
