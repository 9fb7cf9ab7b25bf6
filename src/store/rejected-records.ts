/**
 * Records Duo sent that could not be read, kept whole so nothing is lost: the sync stores them
 * before the page's cursor moves past them, and storing the same record again changes nothing.
 *
 * @example await saveRejectedRecords(db, { sourceId, stream, runId, records: page.rejected });
 */
import { createHash } from 'node:crypto';
import type { StreamName } from '../domain/streams.js';
import { nowMs, type EpochMs } from '../domain/time.js';
import { chunks, epochMs } from './columns.js';
import { rowsPerStatement, type Db } from './dialect.js';

export interface RejectedRecordInput {
  /** Position in Duo's page. */
  readonly position: number;
  readonly error: string;
  readonly raw: unknown;
}

export interface RejectedRecord {
  readonly sourceId: string;
  readonly stream: StreamName;
  readonly runId: string | null;
  readonly position: number;
  readonly error: string;
  readonly raw: unknown;
  readonly firstSeenAt: EpochMs;
}

export async function saveRejectedRecords(
  db: Db,
  input: {
    readonly sourceId: string;
    readonly stream: StreamName;
    readonly runId: string;
    readonly records: readonly RejectedRecordInput[];
  },
): Promise<void> {
  if (input.records.length === 0) return;
  const now = nowMs();
  const rows = input.records.map((record) => {
    const raw = JSON.stringify(record.raw === undefined ? null : record.raw);
    return {
      source_id: input.sourceId,
      stream: input.stream,
      record_hash: createHash('sha256').update(raw).digest('hex'),
      run_id: input.runId,
      position: record.position,
      error: record.error.slice(0, 2000),
      raw,
      first_seen_at: now,
    };
  });
  for (const batch of chunks(rows, rowsPerStatement(db, 8))) {
    await db
      .insertInto('rejected_records')
      .values(batch)
      .onConflict((oc) => oc.columns(['source_id', 'stream', 'record_hash']).doNothing())
      .execute();
  }
}

/** A source's rejected records, oldest first. */
export async function listRejectedRecords(
  db: Db,
  sourceId: string,
  limit = 100,
): Promise<RejectedRecord[]> {
  const rows = await db
    .selectFrom('rejected_records')
    .selectAll()
    .where('source_id', '=', sourceId)
    .orderBy('first_seen_at')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    sourceId: row.source_id,
    stream: row.stream as StreamName,
    runId: row.run_id,
    position: row.position,
    error: row.error,
    raw: JSON.parse(row.raw) as unknown,
    firstSeenAt: epochMs(row.first_seen_at),
  }));
}
