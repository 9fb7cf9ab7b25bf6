/**
 * Reports, each also as CSV (`?format=csv`): dormant accounts, the access review of a Duo group
 * (keep/revoke suggestions with their reasons), the administrator-action feed, sync health.
 * An export holds every row that matches: the administrator actions, the one report without a
 * natural bound, are read page by page (keyset) and written as they are read.
 */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { suggestAccess } from '../../domain/reports.js';
import { dayOf, type ActivityCursor, type ActivityEvent } from '../../domain/activity.js';
import { DAY_MS, ms, type EpochMs } from '../../domain/time.js';
import { listEntitlementsOfAccounts } from '../../store/accounts.js';
import { listActivityEvents } from '../../store/activity.js';
import type { Db } from '../../store/dialect.js';
import { getEntitlement } from '../../store/entitlements.js';
import { accessReviewRows, dormantAccounts, type ReportAccountRow } from '../../store/reports.js';
import { listRuns } from '../../store/runs.js';
import { getSource, listSources } from '../../store/sources.js';
import { listStreams } from '../../store/streams.js';
import { csvPages, csvTime, toCsv, type CsvColumn } from '../csv.js';
import { decodeCursor, encodeCursor } from '../cursors.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { answers } from '../contract/errors.js';
import {
  AccessReviewReport,
  AdminActionList,
  DormantAccountsReport,
  jsonOrCsv,
  SyncHealthReport,
} from '../contract/reports.js';
import { FormatQuery, PageQuery, TimeQuery } from '../schemas.js';
import { runView, streamView } from '../views.js';
import { EventCursor } from './activity.js';

function sendCsvPages<T>(
  reply: FastifyReply,
  name: string,
  pages: AsyncIterable<readonly T[]>,
  columns: readonly CsvColumn<T>[],
): FastifyReply {
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.csv"`)
    .send(Readable.from(csvPages(pages, columns)));
}

interface AdminActionRange {
  readonly sourceIds: readonly string[];
  readonly fromMs?: EpochMs;
  readonly toMs?: EpochMs;
}

/** Rows an export reads at once. */
const EXPORT_PAGE = 1000;

/**
 * One page of administrator actions of several activity sources, newest first, keyset-paged
 * on (time, id): each source's next `limit` rows, merged, the newest `limit` kept.
 */
async function adminActionsPage(
  db: Db,
  query: AdminActionRange & { readonly limit: number; readonly cursor?: ActivityCursor },
) {
  const events = [];
  let more = false;
  // Per activity source, so each query walks the (source, stream, time) index; merged by time.
  for (const sourceId of query.sourceIds) {
    const part = await listActivityEvents(db, {
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

/** Every administrator action of the range, page after page (an export's rows). */
async function* adminActionPages(db: Db, range: AdminActionRange) {
  let cursor: ActivityCursor | undefined;
  do {
    const page = await adminActionsPage(db, {
      ...range,
      limit: EXPORT_PAGE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    yield page.actions;
    cursor = page.next;
  } while (cursor !== undefined);
}

function adminActionView(e: ActivityEvent) {
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

function sendCsv(reply: FastifyReply, name: string, csv: string): FastifyReply {
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.csv"`)
    .send(csv);
}

const ACCOUNT_COLUMNS: CsvColumn<ReportAccountRow & { groups: string[] }>[] = [
  { header: 'source', value: (r) => r.sourceName },
  { header: 'username', value: (r) => r.username },
  { header: 'realname', value: (r) => r.realname },
  { header: 'email', value: (r) => r.email },
  { header: 'status', value: (r) => r.status },
  { header: 'identity', value: (r) => r.identityName },
  { header: 'identity_email', value: (r) => r.identityEmail },
  { header: 'last_activity', value: (r) => csvTime(r.lastActivityMs) },
  { header: 'last_event', value: (r) => csvTime(r.lastEventMs) },
  { header: 'duo_last_login', value: (r) => csvTime(r.lastLoginMs) },
  { header: 'groups', value: (r) => r.groups.join('; ') },
  { header: 'duo_user_id', value: (r) => r.duoUserId },
];

export function reportRoutes(app: ApiInstance, deps: ApiDeps): void {
  app.get(
    '/reports/dormant-accounts',
    {
      schema: {
        tags: ['reports'],
        summary:
          'Accounts active in Duo with no activity for N days (default 90); CSV with format=csv',
        querystring: FormatQuery.extend({
          days: z.coerce.number().int().min(1).max(3650).optional(),
          sourceId: z.string().min(1).max(100).optional(),
        }),
        response: answers({ 200: jsonOrCsv(DormantAccountsReport) }),
      },
    },
    async (request, reply) => {
      const { days = 90, sourceId, format } = request.query;
      if (sourceId !== undefined) await getSource(deps.db, sourceId);
      const now = deps.clock();
      const rows = await dormantAccounts(deps.db, {
        idleSinceMs: ms(Math.floor(now - days * DAY_MS)),
        ...(sourceId === undefined ? {} : { sourceId }),
      });
      const groups = await listEntitlementsOfAccounts(
        deps.db,
        rows.map((r) => r.accountId),
      );
      const accounts = rows.map((r) => ({
        ...r,
        idleDays: r.lastActivityMs === null ? null : Math.floor((now - r.lastActivityMs) / DAY_MS),
        groups: (groups.get(r.accountId) ?? []).map((g) => g.name),
      }));
      if (format === 'csv')
        return sendCsv(reply, `dormant-accounts-${days}d`, toCsv(accounts, ACCOUNT_COLUMNS));
      return { days, generatedAt: now, accounts };
    },
  );

  app.get(
    '/reports/access-review',
    {
      schema: {
        tags: ['reports'],
        summary:
          'Members of a Duo group with last activity, days active in 90, and a keep/revoke suggestion with its reason',
        querystring: FormatQuery.extend({ entitlementId: z.coerce.number().int().positive() }),
        response: answers({ 200: jsonOrCsv(AccessReviewReport) }),
      },
    },
    async (request, reply) => {
      const entitlement = await getEntitlement(deps.db, request.query.entitlementId);
      const source = await getSource(deps.db, entitlement.sourceId);
      const now = deps.clock();
      const rows = await accessReviewRows(deps.db, {
        entitlementId: entitlement.id,
        sinceDay: dayOf(ms(Math.floor(now))) - 89,
      });
      const members = rows.map((r) => ({
        ...r,
        daysActive90: r.daysActive,
        ...suggestAccess(
          { status: r.status, lastActivityMs: r.lastActivityMs, daysActive90: r.daysActive },
          now,
        ),
      }));
      if (request.query.format === 'csv')
        return sendCsv(
          reply,
          `access-review-${entitlement.name.replace(/[^A-Za-z0-9_-]+/g, '_')}`,
          toCsv(members, [
            { header: 'username', value: (r) => r.username },
            { header: 'realname', value: (r) => r.realname },
            { header: 'email', value: (r) => r.email },
            { header: 'identity', value: (r) => r.identityName },
            { header: 'status', value: (r) => r.status },
            { header: 'last_activity', value: (r) => csvTime(r.lastActivityMs) },
            { header: 'days_active_90', value: (r) => r.daysActive90 },
            { header: 'suggestion', value: (r) => r.suggestion },
            { header: 'reason', value: (r) => r.reason },
            { header: 'duo_user_id', value: (r) => r.duoUserId },
          ]),
        );
      return {
        entitlement: {
          id: entitlement.id,
          duoGroupId: entitlement.duoGroupId,
          name: entitlement.name,
        },
        source: { id: source.id, name: source.name },
        generatedAt: now,
        members,
      };
    },
  );

  app.get(
    '/reports/admin-actions',
    {
      schema: {
        tags: ['reports'],
        summary: 'Duo administrator actions, newest first (from/to: epoch ms or ISO)',
        querystring: FormatQuery.extend(PageQuery.shape).extend({
          from: TimeQuery.optional(),
          to: TimeQuery.optional(),
          sourceId: z.string().min(1).max(100).optional(),
        }),
        response: answers({ 200: jsonOrCsv(AdminActionList) }),
      },
    },
    async (request, reply) => {
      const q = request.query;
      const cursor = decodeCursor(EventCursor, q.cursor);
      const sourceIds =
        q.sourceId !== undefined
          ? [q.sourceId]
          : (await listSources(deps.db, { type: 'duo-activity' })).map((s) => s.id);
      const range = {
        sourceIds,
        ...(q.from === undefined ? {} : { fromMs: ms(q.from) }),
        ...(q.to === undefined ? {} : { toMs: ms(q.to) }),
      };
      if (q.format === 'csv') {
        // Every matching action, read page by page (keyset) and written as it is read.
        return sendCsvPages(reply, 'admin-actions', adminActionPages(deps.db, range), [
          { header: 'time', value: (a) => csvTime(a.tsMs) },
          { header: 'admin', value: (a) => a.admin },
          { header: 'action', value: (a) => a.action },
          { header: 'object', value: (a) => a.object },
          {
            header: 'description',
            value: (a) =>
              typeof a.description === 'string' ? a.description : JSON.stringify(a.description),
          },
        ]);
      }
      const page = await adminActionsPage(deps.db, {
        ...range,
        limit: q.limit ?? 100,
        ...(cursor === undefined ? {} : { cursor: { tsMs: ms(cursor.t), id: cursor.id } }),
      });
      return {
        actions: page.actions,
        next: page.next ? encodeCursor({ t: page.next.tsMs, id: page.next.id }) : null,
      };
    },
  );

  app.get(
    '/reports/sync-health',
    {
      schema: {
        tags: ['reports'],
        summary:
          'Per source and stream: state, last success, lag, cursor time, pages, 429s, errors',
        querystring: FormatQuery,
        response: answers({ 200: jsonOrCsv(SyncHealthReport) }),
      },
    },
    async (request, reply) => {
      const now = deps.clock();
      const sources = await listSources(deps.db);
      const report = [];
      for (const source of sources) {
        const [lastRun] = await listRuns(deps.db, { sourceId: source.id, limit: 1 });
        report.push({
          sourceId: source.id,
          sourceName: source.name,
          type: source.type,
          state: source.state,
          lastTest: source.lastTest,
          lastRun: lastRun ? runView(lastRun) : null,
          streams: (await listStreams(deps.db, source.id)).map((s) => streamView(s, now)),
        });
      }
      if (request.query.format === 'csv') {
        type Row = {
          source: (typeof report)[number];
          stream: (typeof report)[number]['streams'][number] | undefined;
        };
        const rows = report.flatMap((s): Row[] =>
          s.streams.length === 0
            ? [{ source: s, stream: undefined }]
            : s.streams.map((stream) => ({ source: s, stream })),
        );
        return sendCsv(
          reply,
          'sync-health',
          toCsv(rows, [
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
          ]),
        );
      }
      return { generatedAt: now, sources: report };
    },
  );
}
