/**
 * A source's entitlements (Duo groups and Duo admin roles; `?kind=group|admin_role`) and the
 * accounts holding one; each also as CSV (`format=csv`).
 *
 * @example curl /api/v1/sources/src_1/entitlements/7/members   # {"entitlement":{…},"accounts":[…],"next":null}
 */
import { z } from 'zod';
import { ENTITLEMENT_KINDS } from '../../domain/accounts.js';
import {
  getEntitlement,
  listEntitlementMembers,
  listEntitlements,
} from '../../store/entitlements.js';
import { getSource } from '../../store/sources.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { ApiError } from '../errors.js';
import { answers } from '../contract/errors.js';
import { EntitlementList, EntitlementMembers } from '../contract/sources.js';
import { jsonOrCsv } from '../contract/reports.js';
import { toCsv, type CsvColumn } from '../../core/csv.js';
import { FormatQuery, IdParams } from '../schemas.js';
import { ACCOUNT_COLUMNS, csvFileName } from './accounts.js';
import { sendCsv } from './reports.js';
import { accountViews, entitlementView } from '../views.js';

export function entitlementRoutes(app: ApiInstance, deps: ApiDeps): void {
  app.get(
    '/sources/:id/entitlements',
    {
      schema: {
        tags: ['sources'],
        summary: 'A source’s entitlements (Duo groups and admin roles); filter: kind',
        params: IdParams,
        querystring: FormatQuery.extend({ kind: z.enum(ENTITLEMENT_KINDS).optional() }),
        response: answers({ 200: jsonOrCsv(EntitlementList) }),
      },
    },
    async (request, reply) => {
      const source = await getSource(deps.db, request.params.id);
      const { kind } = request.query;
      const entitlements = await listEntitlements(deps.db, {
        sourceId: source.id,
        ...(kind === undefined ? {} : { kind }),
      });
      const views = entitlements.map((e) => ({
        ...entitlementView(e),
        sourceId: e.sourceId,
        description: e.description,
        status: e.status,
      }));
      if (request.query.format === 'csv')
        return sendCsv(
          reply,
          csvFileName(source.name, 'entitlements'),
          toCsv(views, ENTITLEMENT_COLUMNS),
        );
      return { entitlements: views, next: null };
    },
  );

  app.get(
    '/sources/:id/entitlements/:entitlementId/members',
    {
      schema: {
        tags: ['sources'],
        summary: 'The accounts holding an entitlement',
        params: z.object({
          id: z.string().min(1).max(100),
          entitlementId: z.coerce.number().int().positive(),
        }),
        querystring: FormatQuery,
        response: answers({ 200: jsonOrCsv(EntitlementMembers) }),
      },
    },
    async (request, reply) => {
      const source = await getSource(deps.db, request.params.id);
      const entitlement = await getEntitlement(deps.db, request.params.entitlementId);
      if (entitlement.sourceId !== source.id)
        throw new ApiError(
          'not_found',
          `entitlement ${entitlement.id} is not in source "${source.name}"`,
        );
      const members = await listEntitlementMembers(deps.db, entitlement.id);
      const accounts = await accountViews(deps.db, members);
      if (request.query.format === 'csv')
        return sendCsv(
          reply,
          csvFileName(entitlement.name, 'members'),
          toCsv(accounts, ACCOUNT_COLUMNS),
        );
      return { entitlement: entitlementView(entitlement), accounts, next: null };
    },
  );
}

interface EntitlementRow {
  readonly kind: string;
  readonly name: string;
  readonly description: string | null;
  readonly status: string | null;
  readonly duoGroupId: string | null;
  readonly id: number;
}

const ENTITLEMENT_COLUMNS: readonly CsvColumn<EntitlementRow>[] = [
  { header: 'name', value: (e) => e.name },
  { header: 'kind', value: (e) => e.kind },
  { header: 'description', value: (e) => e.description },
  { header: 'status', value: (e) => e.status },
  { header: 'duo_group_id', value: (e) => e.duoGroupId },
  { header: 'id', value: (e) => e.id },
];
