/**
 * Duo administrators, used to resolve the names in administrator logs. Needs "Grant
 * administrators", which many deployments do not grant: callers treat `permission_missing` as
 * "not available".
 *
 * @example for await (const page of readAdmins(transport, {}, signal)) remember(page.records);
 */
import type { DuoPage, OffsetQuery } from './pages.js';
import { readOffsetPages } from './pages.js';
import type { DuoTransport } from './transport.js';
import { AdminSchema } from './wire.js';
import type { DuoAdmin } from './wire.js';

export const ADMINS_PAGE_LIMIT = 100;

export function readAdmins(
  transport: DuoTransport,
  query: OffsetQuery = {},
  signal?: AbortSignal,
): AsyncGenerator<DuoPage<DuoAdmin, number>> {
  return readOffsetPages(
    transport,
    {
      path: '/admin/v1/admins',
      family: 'objects_page',
      schema: AdminSchema,
      limit: ADMINS_PAGE_LIMIT,
    },
    query,
    signal,
  );
}
