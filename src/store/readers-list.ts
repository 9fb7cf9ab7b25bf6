/**
 * The named reads `runRead` may send to a read worker: store functions of the form
 * `(db, input) => Promise<output>` whose input and output are plain data (structured-clonable),
 * each one page of a large answer or one heavy query. A read worker imports this list and runs
 * the read named in each request on its own connection; inline readers call the same function.
 *
 * @example const ids = await readers.runRead('dormantAccountIds', { idleSinceMs });
 */
import { listEntitlementsOfAccounts } from './accounts.js';
import { listActivityEvents } from './activity/timeline.js';
import type { Db } from './dialect.js';
import {
  accessReviewMemberIds,
  accessReviewRows,
  dormantAccountIds,
  dormantAccounts,
  type DormantQuery,
  type ReportAccountRow,
} from './reports.js';

/** A dormant account with the names of its Duo groups. */
export interface DormantAccountRow extends ReportAccountRow {
  readonly groups: readonly string[];
}

/** Dormant accounts (one page of ids, usually) with their groups' names. */
async function dormantAccountsWithGroups(
  db: Db,
  query: DormantQuery,
): Promise<DormantAccountRow[]> {
  const rows = await dormantAccounts(db, query);
  const groups = await listEntitlementsOfAccounts(
    db,
    rows.map((r) => r.accountId),
  );
  return rows.map((r) => ({ ...r, groups: (groups.get(r.accountId) ?? []).map((g) => g.name) }));
}

export const READS = {
  dormantAccountIds,
  dormantAccounts: dormantAccountsWithGroups,
  accessReviewMemberIds,
  accessReviewRows,
  activityEvents: listActivityEvents,
} as const;

/** The name of a read `runRead` runs. */
export type ReadName = keyof typeof READS;
/** What the read `N` takes (besides the database). */
export type ReadInput<N extends ReadName> = Parameters<(typeof READS)[N]>[1];
/** What the read `N` answers. */
export type ReadOutput<N extends ReadName> = Awaited<ReturnType<(typeof READS)[N]>>;
