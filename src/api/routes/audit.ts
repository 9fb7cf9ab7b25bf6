/** The audit trail (admins): who created, configured, tested, synced, deleted what, when. */
import { z } from 'zod';
import { listAudit } from '../../store/audit.js';
import { requireRole } from '../auth.js';
import { decodeCursor, encodeCursor } from '../../core/cursors.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { AuditList } from '../contract/audit.js';
import { answers } from '../contract/errors.js';
import { PageQuery } from '../schemas.js';

const AuditCursor = z.object({ at: z.number().int(), id: z.number().int() });

export function auditRoutes(app: ApiInstance, deps: ApiDeps): void {
  app.get(
    '/audit',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags: ['audit'],
        summary: 'What people did in duo-insights, newest first (admin)',
        querystring: PageQuery,
        response: answers({ 200: AuditList }),
      },
    },
    async (request) => {
      const { limit = 100, cursor } = request.query;
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
