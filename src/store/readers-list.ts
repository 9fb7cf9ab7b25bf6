/**
 * The named reads `runRead` may send to a read worker: store functions of the form
 * `(db, input) => Promise<output>` whose input and output are plain data (structured-clonable),
 * each one page of a large answer or one heavy query. A read worker imports this list and runs
 * the read named in each request on its own connection; inline readers call the same function.
 *
 * @example const ids = await readers.runRead('dormantAccountIds', { idleSinceMs });
 */
import { suggestAccess, type AccessSuggestion } from '../domain/reports.js';
import { listEntitlementsOfAccounts } from './accounts.js';
import { listActivityEvents } from './activity/timeline.js';
import type { Db } from './dialect.js';
import {
  accessReviewMemberIds,
  accessReviewRows,
  type AccessReviewQuery,
  type AccessReviewRow,
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

/** A member of an access review: the facts and the keep/revoke suggestion with its reason. */
export interface AccessReviewMemberRow extends AccessReviewRow {
  readonly daysActive90: number;
  readonly suggestion: AccessSuggestion;
  readonly reason: string;
}

/**
 * Access-review members (one page of ids, usually) with their suggestions, made where the rows
 * are read: on SQLite that is a read worker, so the server's thread receives finished members.
 */
async function accessReviewMembers(
  db: Db,
  query: AccessReviewQuery & { readonly sinceDay: number; readonly now: number },
): Promise<AccessReviewMemberRow[]> {
  const rows = await accessReviewRows(db, query);
  return rows.map((row) => ({
    ...row,
    daysActive90: row.daysActive,
    ...suggestAccess(
      { status: row.status, lastActivityMs: row.lastActivityMs, daysActive90: row.daysActive },
      query.now,
    ),
  }));
}

export const READS = {
  dormantAccountIds,
  dormantAccounts: dormantAccountsWithGroups,
  accessReviewMemberIds,
  accessReviewMembers,
  activityEvents: listActivityEvents,
} as const;

/** The name of a read `runRead` runs. */
export type ReadName = keyof typeof READS;
/** What the read `N` takes (besides the database). */
export type ReadInput<N extends ReadName> = Parameters<(typeof READS)[N]>[1];
/** What the read `N` answers. */
export type ReadOutput<N extends ReadName> = Awaited<ReturnType<(typeof READS)[N]>>;
