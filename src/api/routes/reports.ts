/**
 * Reports, each also as CSV (`?format=csv`): dormant accounts, the access review of a Duo group
 * (keep/revoke suggestions with their reasons), the administrator-action feed, the security
 * events (Trust Monitor), sync health.
 * The routes parse the query, call the report's use case (`core/reports.ts`, the same the CLI
 * calls) and render JSON or CSV. The large answers (dormant accounts and an access review as
 * JSON or CSV, every administrator action as CSV) are streamed: their rows are read page by page
 * (off the event loop) and written as they are read, so other requests are answered
 * between pages and memory stays flat. A streamed JSON answer is byte for byte what the answer
 * schema would serialise: the head and each page go through the schema, the rows are spliced in.
 */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { ACCOUNT_KINDS } from '../../domain/accounts.js';
import { ms } from '../../domain/time.js';
import { csvPages, toCsv } from '../../core/csv.js';
import {
  ACCESS_REVIEW_COLUMNS,
  accessReviewExport,
  accessReviewFileName,
  ADMIN_ACTION_COLUMNS,
  adminActionsExport,
  adminActionsReport,
  DEFAULT_DORMANT_DAYS,
  DORMANT_ACCOUNT_COLUMNS,
  dormantAccountsExport,
  MAX_DORMANT_DAYS,
  SYNC_HEALTH_COLUMNS,
  syncHealthReport,
  syncHealthRows,
} from '../../core/reports.js';
import {
  SECURITY_EVENT_COLUMNS,
  securityEventsExport,
  securityEventsReport,
} from '../../core/security-events.js';
import { actorOf } from '../auth.js';
import { decodeCursor, encodeCursor, EventCursor } from '../../core/cursors.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { answers } from '../contract/errors.js';
import {
  AccessReviewReport,
  AdminActionList,
  DormantAccountsReport,
  jsonOrCsv,
  SecurityEventList,
  SyncHealthReport,
} from '../contract/reports.js';
import { FormatQuery, PageQuery } from '../schemas.js';
import { pageEncoder } from '../page-encoder.js';
import { TimeQuery } from '../../core/queries.js';

/** A CSV answer downloaded as `<name>.csv`: a string, or pages written as they come. */
export function sendCsv(
  reply: FastifyReply,
  name: string,
  csv: string | AsyncIterable<string>,
): FastifyReply {
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.csv"`)
    .send(typeof csv === 'string' ? csv : Readable.from(csv));
}

/**
 * A JSON object whose last member `key` is an array written page by page: the head, then each
 * page's elements as they come, then the end. Each part is encoded by its schema (unknown keys
 * dropped, as the serialiser of a whole answer would; a page by `pageEncoder`).
 *
 * @example jsonPages(DormantAccountsReport, { days, generatedAt }, 'accounts', pages)
 */
export async function* jsonPages<Row>(
  schema: z.ZodObject<z.ZodRawShape>,
  head: Readonly<Record<string, unknown>>,
  key: string,
  pages: AsyncIterable<readonly Row[]>,
): AsyncGenerator<string> {
  const element = schema.shape[key];
  if (!(element instanceof z.ZodArray)) throw new TypeError(`${key} is not an array of the answer`);
  const encode = pageEncoder(element.element as z.ZodType);
  const opening = JSON.stringify(schema.omit({ [key]: true }).parse(head));
  yield `${opening === '{}' ? '{' : `${opening.slice(0, -1)},`}${JSON.stringify(key)}:[`;
  let first = true;
  for await (const page of pages) {
    if (page.length === 0) continue;
    const text = encode(page);
    yield `${first ? '' : ','}${text.slice(1, -1)}`;
    first = false;
  }
  yield ']}';
}

function sendJson(reply: FastifyReply, json: AsyncIterable<string>): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(Readable.from(json));
}

export function reportRoutes(app: ApiInstance, deps: ApiDeps): void {
  app.get(
    '/reports/dormant-accounts',
    {
      schema: {
        tags: ['reports'],
        summary:
          'Accounts active in Duo with no activity for N days (default 90); CSV with format=csv',
        querystring: FormatQuery.extend({
          days: z.coerce.number().int().min(1).max(MAX_DORMANT_DAYS).optional(),
          sourceId: z.string().min(1).max(100).optional(),
          kind: z.enum(ACCOUNT_KINDS).optional().describe('user (default) or administrator'),
        }),
        response: answers({ 200: jsonOrCsv(DormantAccountsReport) }),
      },
    },
    async (request, reply) => {
      const { days = DEFAULT_DORMANT_DAYS, sourceId, kind, format } = request.query;
      const { pages, ...head } = await dormantAccountsExport(deps, actorOf(request), {
        days,
        ...(sourceId === undefined ? {} : { sourceId }),
        ...(kind === undefined ? {} : { kind }),
      });
      if (format === 'csv')
        return sendCsv(
          reply,
          `dormant-${kind === 'administrator' ? 'administrators' : 'accounts'}-${days}d`,
          csvPages(pages, DORMANT_ACCOUNT_COLUMNS),
        );
      return sendJson(reply, jsonPages(DormantAccountsReport, head, 'accounts', pages));
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
      const { pages, ...head } = await accessReviewExport(deps, actorOf(request), {
        entitlementId: request.query.entitlementId,
      });
      if (request.query.format === 'csv')
        return sendCsv(reply, accessReviewFileName(head), csvPages(pages, ACCESS_REVIEW_COLUMNS));
      return sendJson(reply, jsonPages(AccessReviewReport, head, 'members', pages));
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
      const input = {
        ...(q.sourceId === undefined ? {} : { sourceId: q.sourceId }),
        ...(q.from === undefined ? {} : { fromMs: ms(q.from) }),
        ...(q.to === undefined ? {} : { toMs: ms(q.to) }),
      };
      const actor = actorOf(request);
      if (q.format === 'csv') {
        // Every matching action, read page by page (keyset) and written as it is read.
        const pages = await adminActionsExport(deps, actor, input);
        return sendCsv(reply, 'admin-actions', csvPages(pages, ADMIN_ACTION_COLUMNS));
      }
      const page = await adminActionsReport(deps, actor, {
        ...input,
        ...(q.limit === undefined ? {} : { limit: q.limit }),
        ...(cursor === undefined ? {} : { cursor: { tsMs: ms(cursor.t), id: cursor.id } }),
      });
      return {
        actions: page.actions,
        next: page.next ? encodeCursor({ t: page.next.tsMs, id: page.next.id }) : null,
      };
    },
  );

  app.get(
    '/reports/security-events',
    {
      schema: {
        tags: ['reports'],
        summary:
          'Trust Monitor events, newest first by surfaced time (state, type: comma-separated; from/to: epoch ms or ISO)',
        querystring: FormatQuery.extend(PageQuery.shape).extend({
          from: TimeQuery.optional(),
          to: TimeQuery.optional(),
          sourceId: z.string().min(1).max(100).optional(),
          state: z.string().min(1).max(100).optional(),
          type: z.string().min(1).max(100).optional(),
        }),
        response: answers({ 200: jsonOrCsv(SecurityEventList) }),
      },
    },
    async (request, reply) => {
      const q = request.query;
      const cursor = decodeCursor(EventCursor, q.cursor);
      const input = {
        ...(q.sourceId === undefined ? {} : { sourceId: q.sourceId }),
        ...(q.state === undefined ? {} : { states: q.state.split(',') }),
        ...(q.type === undefined ? {} : { types: q.type.split(',') }),
        ...(q.from === undefined ? {} : { fromMs: ms(q.from) }),
        ...(q.to === undefined ? {} : { toMs: ms(q.to) }),
      };
      const actor = actorOf(request);
      if (q.format === 'csv') {
        const pages = await securityEventsExport(deps, actor, input);
        return sendCsv(reply, 'security-events', csvPages(pages, SECURITY_EVENT_COLUMNS));
      }
      const page = await securityEventsReport(deps, actor, {
        ...input,
        ...(q.limit === undefined ? {} : { limit: q.limit }),
        ...(cursor === undefined ? {} : { cursor: { tsMs: ms(cursor.t), id: cursor.id } }),
      });
      return {
        events: page.events,
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
      const report = await syncHealthReport(deps, actorOf(request));
      if (request.query.format === 'csv')
        return sendCsv(reply, 'sync-health', toCsv(syncHealthRows(report), SYNC_HEALTH_COLUMNS));
      return report;
    },
  );
}
