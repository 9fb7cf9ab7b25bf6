/**
 * A source's entitlements (Duo groups and Duo admin roles; `?kind=group|admin_role`) and the
 * accounts holding one.
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
import { IdParams } from '../schemas.js';
import { accountViews, entitlementView } from '../views.js';

export function entitlementRoutes(app: ApiInstance, deps: ApiDeps): void {
  app.get(
    '/sources/:id/entitlements',
    {
      schema: {
        tags: ['sources'],
        summary: 'A source’s entitlements (Duo groups and admin roles); filter: kind',
        params: IdParams,
        querystring: z.object({ kind: z.enum(ENTITLEMENT_KINDS).optional() }),
        response: answers({ 200: EntitlementList }),
      },
    },
    async (request) => {
      const source = await getSource(deps.db, request.params.id);
      const { kind } = request.query;
      const entitlements = await listEntitlements(deps.db, {
        sourceId: source.id,
        ...(kind === undefined ? {} : { kind }),
      });
      return {
        entitlements: entitlements.map((e) => ({
          ...entitlementView(e),
          sourceId: e.sourceId,
          description: e.description,
          status: e.status,
        })),
        next: null,
      };
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
        response: answers({ 200: EntitlementMembers }),
      },
    },
    async (request) => {
      const source = await getSource(deps.db, request.params.id);
      const entitlement = await getEntitlement(deps.db, request.params.entitlementId);
      if (entitlement.sourceId !== source.id)
        throw new ApiError(
          'not_found',
          `entitlement ${entitlement.id} is not in source "${source.name}"`,
        );
      const members = await listEntitlementMembers(deps.db, entitlement.id);
      return {
        entitlement: entitlementView(entitlement),
        accounts: await accountViews(deps.db, members),
        next: null,
      };
    },
  );
}
