/**
 * What accounts and entitlements share as aggregation snapshots: each row seen by a run is
 * stamped with the run id (`last_seen_run`), so what a complete snapshot did not contain is one
 * UPDATE, without holding the snapshot in memory. Deletion is refused when the snapshot is
 * empty or would remove more than the allowed share.
 */
import type { DeletionOutcome } from '../domain/accounts.js';
import { nowMs, type EpochMs } from '../domain/time.js';
import type { Db } from './dialect.js';

export interface MarkMissingInput {
  readonly sourceId: string;
  /** The aggregation run whose snapshot was complete. */
  readonly runId: string;
  /** Refuse when more than this share of present rows would be deleted (0.2 = 20 %). */
  readonly maxDeleteShare: number;
  readonly now?: EpochMs;
  /**
   * Only rows of this kind: a users snapshot says nothing about administrators (nor a groups
   * snapshot about admin roles), so each snapshot deletes only its own kind.
   */
  readonly kind?: string;
}

export async function markMissingDeleted(
  db: Db,
  table: 'accounts' | 'entitlements',
  input: MarkMissingInput,
): Promise<DeletionOutcome> {
  return db.transaction().execute(async (trx) => {
    const counts = await trx
      .selectFrom(table)
      .select((eb) => [
        eb.fn.countAll<number>().as('present'),
        eb.fn
          .count<number>(eb.case().when('last_seen_run', '=', input.runId).then(1).end())
          .as('seen'),
      ])
      .where('source_id', '=', input.sourceId)
      .where('deleted_at', 'is', null)
      .$if(input.kind !== undefined, (q) => q.where('kind', '=', input.kind ?? ''))
      .executeTakeFirstOrThrow();
    const present = counts.present;
    const wouldDelete = present - counts.seen;
    if (wouldDelete === 0) return { kind: 'deleted', deleted: 0 };
    if (counts.seen === 0)
      return { kind: 'refused', reason: 'empty_snapshot', wouldDelete, present };
    if (wouldDelete / present > input.maxDeleteShare)
      return { kind: 'refused', reason: 'too_many', wouldDelete, present };
    const result = await trx
      .updateTable(table)
      .set({ deleted_at: input.now ?? nowMs() })
      .where('source_id', '=', input.sourceId)
      .where('deleted_at', 'is', null)
      .$if(input.kind !== undefined, (q) => q.where('kind', '=', input.kind ?? ''))
      .where((eb) =>
        eb.or([eb('last_seen_run', 'is', null), eb('last_seen_run', '<>', input.runId)]),
      )
      .executeTakeFirst();
    return { kind: 'deleted', deleted: Number(result.numUpdatedRows) };
  });
}
