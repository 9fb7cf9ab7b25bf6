/**
 * A source's accounts (Duo users and administrators), a page at a time, with their
 * entitlements; filters: kind (`user`, `administrator`), status,
 * entitlement (the `group` query parameter, kept for clients: an entitlement id or a Duo group
 * id), correlated, q.
 *
 * @example curl '/api/v1/sources/src_1/accounts?group=DGXXXXXXXXXXXXXXXXXX&correlated=false'
 */
import { z } from 'zod';
import { ACCOUNT_KINDS } from '../../domain/accounts.js';
import { findEntitlementByDuoGroupId } from '../../store/entitlements.js';
import { searchAccounts } from '../../store/accounts.js';
import { getSource } from '../../store/sources.js';
import type { Db } from '../../store/dialect.js';
import { decodeCursor, encodeCursor } from '../../core/cursors.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { AccountList } from '../contract/accounts.js';
import { answers } from '../contract/errors.js';
import { IdParams, PageQuery } from '../schemas.js';
import { accountViews } from '../views.js';

const AccountCursor = z.object({ id: z.number().int() });

const AccountsQuery = PageQuery.extend({
  kind: z.enum(ACCOUNT_KINDS).optional(),
  status: z.string().max(50).optional(),
  group: z.string().max(100).optional(),
  correlated: z.enum(['true', 'false']).optional(),
  q: z.string().max(200).optional(),
});

/** The entitlement a filter names, by Duo group id first, then by id; -1 (matches none) if neither. */
async function entitlementIdOf(db: Db, sourceId: string, ref: string): Promise<number> {
  const byDuoId = await findEntitlementByDuoGroupId(db, sourceId, ref);
  return byDuoId?.id ?? (/^\d+$/.test(ref) ? Number(ref) : -1);
}

export function accountRoutes(app: ApiInstance, deps: ApiDeps): void {
  app.get(
    '/sources/:id/accounts',
    {
      schema: {
        tags: ['sources'],
        summary:
          'A source’s accounts; filters: kind (user, administrator), status, group (entitlement id, Duo group id or admin role), correlated, q',
        params: IdParams,
        querystring: AccountsQuery,
        response: answers({ 200: AccountList }),
      },
    },
    async (request) => {
      const source = await getSource(deps.db, request.params.id);
      const {
        limit = 100,
        cursor,
        kind,
        status,
        group: entitlementRef,
        correlated,
        q,
      } = request.query;
      const entitlementId =
        entitlementRef === undefined
          ? undefined
          : await entitlementIdOf(deps.db, source.id, entitlementRef);
      const after = decodeCursor(AccountCursor, cursor);
      const accounts = await searchAccounts(deps.db, {
        sourceId: source.id,
        limit: limit + 1,
        ...(kind === undefined ? {} : { kind }),
        ...(status === undefined ? {} : { status }),
        ...(entitlementId === undefined ? {} : { entitlementId }),
        ...(correlated === undefined ? {} : { correlated: correlated === 'true' }),
        ...(q === undefined ? {} : { q }),
        ...(after === undefined ? {} : { afterId: after.id }),
      });
      const page = accounts.slice(0, limit);
      const last = page[page.length - 1];
      return {
        accounts: await accountViews(deps.db, page),
        next: accounts.length > limit && last ? encodeCursor({ id: last.id }) : null,
      };
    },
  );
}
