/**
 * The audit trail (admins): who created, configured, tested, synced, deleted what, when;
 * `format=csv` is every entry, newest first, read a page at a time.
 */
import { z } from 'zod';
import { csvPages, csvTime, type CsvColumn } from '../../core/csv.js';
import type { AuditEntry } from '../../domain/users.js';
import { listAudit } from '../../store/audit.js';
import type { Db } from '../../store/dialect.js';
import { requireRole } from '../auth.js';
import { decodeCursor, encodeCursor } from '../../core/cursors.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { AuditList } from '../contract/audit.js';
import { answers } from '../contract/errors.js';
import { jsonOrCsv } from '../contract/reports.js';
import { FormatQuery, PageQuery } from '../schemas.js';
import { sendCsv } from './reports.js';

const AuditCursor = z.object({ at: z.number().int(), id: z.number().int() });

export function auditRoutes(app: ApiInstance, deps: ApiDeps): void {
  app.get(
    '/audit',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags: ['audit'],
        summary: 'What people did in duo-insights, newest first (admin); CSV with format=csv',
        querystring: PageQuery.extend(FormatQuery.shape),
        response: answers({ 200: jsonOrCsv(AuditList) }),
      },
    },
    async (request, reply) => {
      const { limit = 100, cursor, format } = request.query;
      if (format === 'csv')
        return sendCsv(reply, 'audit-trail', csvPages(auditPages(deps.db), AUDIT_COLUMNS));
      const before = decodeCursor(AuditCursor, cursor);
      const entries = await listAudit(deps.db, {
        limit: limit + 1,
        ...(before === undefined ? {} : { before }),
      });
      const page = entries.slice(0, limit);
      const last = page[page.length - 1];
      return {
        entries: page,
        next: entries.length > limit && last ? encodeCursor({ at: last.at, id: last.id }) : null,
      };
    },
  );
}

const EXPORT_PAGE = 1000;

/** Every entry, newest first, a page at a time. */
async function* auditPages(db: Db): AsyncGenerator<AuditEntry[]> {
  for (let before: { at: number; id: number } | undefined; ;) {
    const page = await listAudit(db, { limit: EXPORT_PAGE, ...(before ? { before } : {}) });
    yield page;
    const last = page[page.length - 1];
    if (page.length < EXPORT_PAGE || !last) return;
    before = { at: last.at, id: last.id };
  }
}

const AUDIT_COLUMNS: readonly CsvColumn<AuditEntry>[] = [
  { header: 'at', value: (e) => csvTime(e.at) },
  { header: 'actor', value: (e) => e.actor },
  { header: 'action', value: (e) => e.action },
  { header: 'target_type', value: (e) => e.targetType },
  { header: 'target_id', value: (e) => e.targetId },
  { header: 'target_name', value: (e) => e.targetName },
  { header: 'ip', value: (e) => e.ip },
  {
    header: 'details',
    value: (e) => (e.details === null || e.details === undefined ? '' : JSON.stringify(e.details)),
  },
];
