/**
 * The reports, as use cases every front door calls (the API's `/reports/*`, the CLI's
 * `duo-insights reports …`): dormant accounts, the access review of a Duo group (keep/revoke
 * suggestions with their reasons), the administrator-action feed, sync health. Each takes the
 * actor who asks (any signed-in role and the command line may read reports) and a typed input,
 * and answers the report; each also has its CSV columns, so every front door exports the same
 * file. The large ones (dormant accounts, an access review, every administrator action) are also
 * exports: `*Export` checks the actor and the input, reads the first page, and answers the
 * report's head with its rows as an async iterable of pages, read one after the other through
 * the store's readers (administrator actions by keyset on time; accounts by a page of the ids
 * the report's order gave) (worker threads on SQLite), so an answer of any size is written as
 * it is read, in flat memory, and the server's event loop runs other requests between pages.
 *
 * @example const report = await dormantAccountsExport(deps, actor, { days: 90 });
 *   for await (const chunk of csvPages(report.pages, DORMANT_ACCOUNT_COLUMNS)) out.write(chunk);
 */
import { setImmediate as turn } from 'node:timers/promises';
import type { AccountKind } from '../domain/accounts.js';
import { listDestinations } from '../store/destinations.js';
import { destinationHealth } from './destinations.js';
import { dayOf, type ActivityCursor, type ActivityEvent } from '../domain/activity.js';
import { ForbiddenError } from '../domain/errors.js';
import { DAY_MS, ms, type EpochMs } from '../domain/time.js';
import type { Db } from '../store/dialect.js';
import { getEntitlement } from '../store/entitlements.js';
import type { Readers } from '../store/readers.js';
import type { AccessReviewMemberRow, DormantAccountRow } from '../store/readers-list.js';
import { listRuns } from '../store/runs.js';
import { getSource, listSources } from '../store/sources.js';
import { listStreams } from '../store/streams.js';
import type { Actor } from './actor.js';
import { csvTime, type CsvColumn } from './csv.js';
import { runView, streamView } from './views.js';

/**
 * What the reports read: the database, the readers that run its heavy reads off the event loop
 * (`openReaders`; `inlineReaders(db)` runs them on the caller's thread) and the clock that says
 * what "now" is.
 */
export interface ReportDeps {
  readonly db: Db;
  readonly readers: Readers;
  readonly clock: () => number;
}

/** Days without activity that make an account dormant, unless the caller says otherwise. */
export const DEFAULT_DORMANT_DAYS = 90;
/** The most days a dormant-accounts report looks back. */
export const MAX_DORMANT_DAYS = 3650;
/** Administrator actions on one page, unless the caller says otherwise (at most `MAX_PAGE`). */
export const DEFAULT_ADMIN_ACTIONS_PAGE = 100;
export const MAX_PAGE = 1000;

/**
 * Rows an export writes at once. Each page is one turn of the event loop to write (a 1,000-row
 * page of an access review took 10–20 ms of CSV on the bench machine; other requests wait that
 * long), so pages are small.
 */
export const EXPORT_PAGE = 250;

/**
 * Rows an export reads with one query (written as pages of `EXPORT_PAGE`): each query has a
 * cost of its own (building the SQL, on PostgreSQL planning it, a message to and from the read
 * worker), which at 250 rows a query was a third of a 50k-member access review on PostgreSQL.
 * The worker reads the next while one is written.
 */
export const EXPORT_READ = 1000;

/**
 * The pages with the first one already read: an export's errors (a worker that cannot start, a
 * failing query) come out before its first byte is written, as an error answer.
 */
export async function primed<T>(pages: AsyncGenerator<T>): Promise<AsyncIterable<T>> {
  const first = await pages.next();
  return (async function* () {
    if (first.done === true) return;
    yield first.value;
    yield* pages;
  })();
}

/**
 * The pages of `ids`, `EXPORT_PAGE` at a time, read `EXPORT_READ` at a time, each read while
 * the one before is written (one read ahead: the worker reads as the event loop writes, and
 * memory holds two reads at most).
 */
async function* pagesOfIds<T>(
  ids: readonly number[],
  read: (ids: number[]) => Promise<readonly T[]>,
): AsyncGenerator<T[]> {
  const start = (from: number): Promise<readonly T[]> | undefined => {
    if (from >= ids.length) return undefined;
    const reading = read(ids.slice(from, from + EXPORT_READ));
    // Awaited below; a reader that stops early must not leave it as an unhandled rejection.
    reading.catch(() => undefined);
    return reading;
  };
  let next = start(0);
  for (let from = 0; next !== undefined; from += EXPORT_READ) {
    const current = await next;
    next = start(from + EXPORT_READ);
    for (let at = 0; at < current.length; at += EXPORT_PAGE) {
      // A turn of the event loop between the pages of one read, as between reads: other
      // requests are answered while a large export is written.
      if (at > 0) await turn();
      yield current.slice(at, at + EXPORT_PAGE);
    }
  }
}

/** Every page of an export, gathered: a whole report for a caller that shows it all at once. */
async function gather<T>(pages: AsyncIterable<readonly T[]>): Promise<T[]> {
  const rows: T[] = [];
  for await (const page of pages) rows.push(...page);
  return rows;
}

/**
 * Refuses an actor that may not read reports. Every signed-in role (admin, source manager,
 * viewer) and the person at the command line may; a disabled user and the scheduler may not.
 */
export function authoriseReportReader(actor: Actor): void {
  switch (actor.kind) {
    case 'user':
      if (actor.user.disabled)
        throw new ForbiddenError(`user ${actor.user.username} is disabled and cannot read reports`);
      return;
    case 'cli':
      return;
    case 'scheduler':
      throw new ForbiddenError('the scheduler does not read reports');
  }
}

export interface DormantAccountsInput {
  /** No activity for this many days (1–3650; default 90). */
  readonly days?: number;
  /** Only this `duo` source's accounts. */
  readonly sourceId?: string;
  /**
   * Duo users (the default) or Duo administrators: an administrator's last activity is the later
   * of Duo's last_login and its newest administrator-log event.
   */
  readonly kind?: AccountKind;
}

/** A dormant account as the report shows it: its facts, idle days and groups. */
export function dormantAccountView(row: DormantAccountRow, now: number) {
  return {
    ...row,
    idleDays: row.lastActivityMs === null ? null : Math.floor((now - row.lastActivityMs) / DAY_MS),
    groups: [...row.groups],
  };
}

export type DormantAccount = ReturnType<typeof dormantAccountView>;

/**
 * Accounts active in Duo with no activity for `days` days, as pages of rows: never-active first,
 * then the longest idle. The order is read once (account ids), then the rows a page at a time.
 */
export async function dormantAccountsExport(
  deps: ReportDeps,
  actor: Actor,
  input: DormantAccountsInput,
): Promise<{
  days: number;
  kind: AccountKind;
  generatedAt: number;
  pages: AsyncIterable<DormantAccount[]>;
}> {
  authoriseReportReader(actor);
  const days = input.days ?? DEFAULT_DORMANT_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_DORMANT_DAYS)
    throw new RangeError(`days must be a whole number from 1 to ${String(MAX_DORMANT_DAYS)}`);
  if (input.sourceId !== undefined) await getSource(deps.db, input.sourceId);
  const now = deps.clock();
  const query = {
    idleSinceMs: ms(Math.floor(now - days * DAY_MS)),
    ...(input.sourceId === undefined ? {} : { sourceId: input.sourceId }),
    ...(input.kind === undefined ? {} : { kind: input.kind }),
  };
  const ids = await deps.readers.runRead('dormantAccountIds', query);
  const pages = pagesOfIds(ids, async (accountIds) =>
    (await deps.readers.runRead('dormantAccounts', { ...query, accountIds })).map((r) =>
      dormantAccountView(r, now),
    ),
  );
  return { days, kind: input.kind ?? 'user', generatedAt: now, pages: await primed(pages) };
}

/** Accounts active in Duo with no activity for `days` days, with their groups and idle days. */
export async function dormantAccountsReport(
  deps: ReportDeps,
  actor: Actor,
  input: DormantAccountsInput,
) {
  const { pages, ...head } = await dormantAccountsExport(deps, actor, input);
  return { ...head, accounts: await gather(pages) };
}

export type DormantAccountsReport = Awaited<ReturnType<typeof dormantAccountsReport>>;

export const DORMANT_ACCOUNT_COLUMNS: readonly CsvColumn<DormantAccount>[] = [
  { header: 'source', value: (r) => r.sourceName },
  { header: 'username', value: (r) => r.username },
  { header: 'realname', value: (r) => r.realname },
  { header: 'email', value: (r) => r.email },
  { header: 'status', value: (r) => r.status },
  { header: 'kind', value: (r) => r.kind },
  { header: 'admin_role', value: (r) => r.adminRole },
  { header: 'identity', value: (r) => r.identityName },
  { header: 'identity_email', value: (r) => r.identityEmail },
  { header: 'last_activity', value: (r) => csvTime(r.lastActivityMs) },
  { header: 'last_event', value: (r) => csvTime(r.lastEventMs) },
  { header: 'duo_last_login', value: (r) => csvTime(r.lastLoginMs) },
  { header: 'groups', value: (r) => r.groups.join('; ') },
  { header: 'duo_user_id', value: (r) => r.duoUserId },
];

export interface AccessReviewInput {
  /** The Duo group (entitlement) under review. */
  readonly entitlementId: number;
}

/** A member of an access review: the facts and the keep/revoke suggestion with its reason. */
export type AccessReviewMember = AccessReviewMemberRow;

/**
 * The members of a Duo group with last activity, days active in 90 and a keep/revoke
 * suggestion, as pages by username: the order is read once (account ids), then the rows a page
 * at a time.
 */
export async function accessReviewExport(deps: ReportDeps, actor: Actor, input: AccessReviewInput) {
  authoriseReportReader(actor);
  const entitlement = await getEntitlement(deps.db, input.entitlementId);
  const source = await getSource(deps.db, entitlement.sourceId);
  const now = deps.clock();
  const sinceDay = dayOf(ms(Math.floor(now))) - 89;
  const ids = await deps.readers.runRead('accessReviewMemberIds', {
    entitlementId: entitlement.id,
  });
  const pages = pagesOfIds(ids, (accountIds) =>
    deps.readers.runRead('accessReviewMembers', {
      entitlementId: entitlement.id,
      sinceDay,
      now,
      accountIds,
    }),
  );
  return {
    entitlement: {
      id: entitlement.id,
      kind: entitlement.kind,
      duoGroupId: entitlement.duoGroupId,
      name: entitlement.name,
    },
    source: { id: source.id, name: source.name },
    generatedAt: now,
    pages: await primed(pages),
  };
}

/** The members of a Duo group with last activity, days active in 90 and a keep/revoke suggestion. */
export async function accessReviewReport(deps: ReportDeps, actor: Actor, input: AccessReviewInput) {
  const { pages, ...head } = await accessReviewExport(deps, actor, input);
  return { ...head, members: await gather(pages) };
}

export type AccessReviewReport = Awaited<ReturnType<typeof accessReviewReport>>;

/** The file name of an access review's CSV: the group's name, safe in any file system. */
export function accessReviewFileName(report: Pick<AccessReviewReport, 'entitlement'>): string {
  return `access-review-${report.entitlement.name.replace(/[^A-Za-z0-9_-]+/g, '_')}`;
}

export const ACCESS_REVIEW_COLUMNS: readonly CsvColumn<AccessReviewMember>[] = [
  { header: 'username', value: (r) => r.username },
  { header: 'realname', value: (r) => r.realname },
  { header: 'email', value: (r) => r.email },
  { header: 'identity', value: (r) => r.identityName },
  { header: 'status', value: (r) => r.status },
  { header: 'kind', value: (r) => r.kind },
  { header: 'last_activity', value: (r) => csvTime(r.lastActivityMs) },
  { header: 'days_active_90', value: (r) => r.daysActive90 },
  { header: 'suggestion', value: (r) => r.suggestion },
  { header: 'reason', value: (r) => r.reason },
  { header: 'duo_user_id', value: (r) => r.duoUserId },
];

export interface AdminActionsInput {
  /** Only this activity source's actions; default every `duo-activity` source. */
  readonly sourceId?: string;
  readonly fromMs?: EpochMs;
  readonly toMs?: EpochMs;
}

export interface AdminActionsPageInput extends AdminActionsInput {
  /** Actions on the page (1–1000; default 100). */
  readonly limit?: number;
  /** Where the previous page ended (its `next`). */
  readonly cursor?: ActivityCursor;
}

/** One administrator action as reports show it: who, what, on which object. */
export function adminActionView(e: ActivityEvent) {
  const p = (e.payload ?? {}) as Record<string, unknown>;
  return {
    id: e.id,
    sourceId: e.sourceId,
    tsMs: e.tsMs,
    admin: typeof p['username'] === 'string' ? p['username'] : e.username,
    action: typeof p['action'] === 'string' ? p['action'] : null,
    object: typeof p['object'] === 'string' ? p['object'] : null,
    description: p['description'] ?? null,
    payload: e.payload,
  };
}

export type AdminAction = ReturnType<typeof adminActionView>;

/** One page of Duo administrator actions, newest first; `next` is where the following page starts. */
export async function adminActionsReport(
  deps: ReportDeps,
  actor: Actor,
  input: AdminActionsPageInput,
): Promise<{ actions: AdminAction[]; next: ActivityCursor | undefined }> {
  authoriseReportReader(actor);
  const limit = input.limit ?? DEFAULT_ADMIN_ACTIONS_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
    throw new RangeError(`limit must be a whole number from 1 to ${String(MAX_PAGE)}`);
  return adminActionsPage(deps.readers, {
    sourceIds: await adminActionSources(deps.db, input),
    ...range(input),
    limit,
    ...(input.cursor === undefined ? {} : { cursor: input.cursor }),
  });
}

/**
 * Every administrator action of the range, newest first, page after page: an export's rows,
 * never all in memory. The actor is checked before the first page is read.
 */
export async function adminActionsExport(
  deps: ReportDeps,
  actor: Actor,
  input: AdminActionsInput,
): Promise<AsyncIterable<AdminAction[]>> {
  authoriseReportReader(actor);
  const sourceIds = await adminActionSources(deps.db, input);
  return primed(adminActionPages(deps.readers, { sourceIds, ...range(input) }));
}

export const ADMIN_ACTION_COLUMNS: readonly CsvColumn<AdminAction>[] = [
  { header: 'time', value: (a) => csvTime(a.tsMs) },
  { header: 'admin', value: (a) => a.admin },
  { header: 'action', value: (a) => a.action },
  { header: 'object', value: (a) => a.object },
  {
    header: 'description',
    value: (a) =>
      typeof a.description === 'string' ? a.description : JSON.stringify(a.description),
  },
];

interface AdminActionRange {
  readonly sourceIds: readonly string[];
  readonly fromMs?: EpochMs;
  readonly toMs?: EpochMs;
}

function range(input: AdminActionsInput): Omit<AdminActionRange, 'sourceIds'> {
  return {
    ...(input.fromMs === undefined ? {} : { fromMs: input.fromMs }),
    ...(input.toMs === undefined ? {} : { toMs: input.toMs }),
  };
}

async function adminActionSources(db: Db, input: AdminActionsInput): Promise<string[]> {
  return input.sourceId !== undefined
    ? [input.sourceId]
    : (await listSources(db, { type: 'duo-activity' })).map((s) => s.id);
}

/**
 * One page of administrator actions of several activity sources, newest first, keyset-paged
 * on (time, id): each source's next `limit` rows, merged, the newest `limit` kept.
 */
async function adminActionsPage(
  readers: Readers,
  query: AdminActionRange & { readonly limit: number; readonly cursor?: ActivityCursor },
): Promise<{ actions: AdminAction[]; next: ActivityCursor | undefined }> {
  const events = [];
  let more = false;
  // Per activity source, so each query walks the (source, stream, time) index; merged by time.
  for (const sourceId of query.sourceIds) {
    const part = await readers.runRead('activityEvents', {
      sourceId,
      streams: ['administrator'],
      limit: query.limit,
      ...(query.fromMs === undefined ? {} : { fromMs: query.fromMs }),
      ...(query.toMs === undefined ? {} : { toMs: query.toMs }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    });
    events.push(...part.events);
    if (part.next) more = true;
  }
  events.sort((a, b) => b.tsMs - a.tsMs || b.id - a.id);
  const shown = events.slice(0, query.limit);
  const last = shown[shown.length - 1];
  return {
    actions: shown.map(adminActionView),
    next:
      (more || events.length > query.limit) && last ? { tsMs: last.tsMs, id: last.id } : undefined,
  };
}

async function* adminActionPages(readers: Readers, range: AdminActionRange) {
  let cursor: ActivityCursor | undefined;
  do {
    const page = await adminActionsPage(readers, {
      ...range,
      limit: EXPORT_PAGE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    yield page.actions;
    cursor = page.next;
  } while (cursor !== undefined);
}

/**
 * Per source and stream: state, last success, lag, cursor time, pages, 429s, errors; per
 * destination (admins): backlog, lag, delivered, last delivered, last error.
 */
export async function syncHealthReport(deps: ReportDeps, actor: Actor) {
  authoriseReportReader(actor);
  const now = deps.clock();
  const sources = [];
  for (const source of await listSources(deps.db)) {
    const [lastRun] = await listRuns(deps.db, { sourceId: source.id, limit: 1 });
    sources.push({
      sourceId: source.id,
      sourceName: source.name,
      type: source.type,
      state: source.state,
      lastTest: source.lastTest,
      lastRun: lastRun ? runView(lastRun) : null,
      streams: (await listStreams(deps.db, source.id)).map((s) => streamView(s, now)),
    });
  }
  // Where the events go next: each destination's backlog, lag and last error (admins and the
  // command line only, as destinations themselves).
  const destinations =
    actor.kind === 'user' && actor.user.role !== 'admin'
      ? []
      : await Promise.all(
          (await listDestinations(deps.db)).map(async (d) => ({
            destinationId: d.id,
            name: d.name,
            type: d.settings.type,
            ...(await destinationHealth(deps, d)),
          })),
        );
  return { generatedAt: now, sources, destinations };
}

export type SyncHealthReport = Awaited<ReturnType<typeof syncHealthReport>>;

/** One CSV row of sync health: a stream of a source, or a source that has none. */
export interface SyncHealthRow {
  readonly source: SyncHealthReport['sources'][number];
  readonly stream: SyncHealthReport['sources'][number]['streams'][number] | undefined;
}

/** The report as rows: one per stream, and one for each source without streams. */
export function syncHealthRows(report: SyncHealthReport): SyncHealthRow[] {
  return report.sources.flatMap((s): SyncHealthRow[] =>
    s.streams.length === 0
      ? [{ source: s, stream: undefined }]
      : s.streams.map((stream) => ({ source: s, stream })),
  );
}

export const SYNC_HEALTH_COLUMNS: readonly CsvColumn<SyncHealthRow>[] = [
  { header: 'source', value: (r) => r.source.sourceName },
  { header: 'type', value: (r) => r.source.type },
  { header: 'source_state', value: (r) => r.source.state },
  { header: 'stream', value: (r) => r.stream?.stream },
  { header: 'stream_state', value: (r) => r.stream?.state },
  { header: 'last_success', value: (r) => csvTime(r.stream?.lastSuccessAt) },
  { header: 'synced_until', value: (r) => csvTime(r.stream?.syncedUntil) },
  {
    header: 'lag_seconds',
    value: (r) => (r.stream?.lagMs == null ? null : Math.round(r.stream.lagMs / 1000)),
  },
  { header: 'pages', value: (r) => r.stream?.pages },
  { header: 'rate_limited', value: (r) => r.stream?.rateLimited },
  {
    header: 'last_error',
    value: (r) => r.stream?.lastError?.message ?? r.source.lastRun?.error?.message,
  },
  { header: 'last_run_status', value: (r) => r.source.lastRun?.status },
];
