/**
 * A source's accounts (Duo users and administrators), a page at a time, with their
 * entitlements; filters: kind (`user`, `administrator`), status,
 * entitlement (the `group` query parameter, kept for clients: an entitlement id or a Duo group
 * id), correlated, q; sorted by `sort` (a column) and `order`; `total` counts every match.
 * `format=csv` answers every matching account (read a page at a time) in the same order.
 * One account by id (with the actions that apply to it), and its actions: disable, enable,
 * unlock (in Duo, for those who manage its source).
 *
 * @example curl '/api/v1/sources/src_1/accounts?group=DGXXXXXXXXXXXXXXXXXX&correlated=false&sort=lastLogin&order=desc'
 * @example curl -X POST -d '{"action":"disable"}' '/api/v1/accounts/7/actions'
 */
import { z } from 'zod';
import {
  ACCOUNT_ACTIONS,
  accountAction,
  applicableAccountActions,
} from '../../core/account-actions.js';
import { ACCOUNT_KINDS } from '../../domain/accounts.js';
import { findEntitlementByDuoGroupId } from '../../store/entitlements.js';
import {
  ACCOUNT_SORT_COLUMNS,
  countAccounts,
  getAccount,
  searchAccounts,
  type AccountSearch,
  type AccountSortColumn,
} from '../../store/accounts.js';
import { csvPages, csvTime, type CsvColumn } from '../../core/csv.js';
import { getSource } from '../../store/sources.js';
import type { Db } from '../../store/dialect.js';
import { decodeCursor, encodeCursor } from '../../core/cursors.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { actorOf } from '../auth.js';
import { Account, AccountDetail, AccountList } from '../contract/accounts.js';
import { answers } from '../contract/errors.js';
import { jsonOrCsv } from '../contract/reports.js';
import { sendCsv } from './reports.js';
import { FormatQuery, IdParams, PageQuery } from '../schemas.js';
import { accountViews } from '../views.js';

/** By id (`id`: the last id of the page), or, when sorted, the count of rows before the next page. */
const AccountCursor = z.union([
  z.object({ id: z.number().int() }),
  z.object({ offset: z.number().int().min(0) }),
]);

const SORTS = Object.keys(ACCOUNT_SORT_COLUMNS) as [AccountSortColumn, ...AccountSortColumn[]];

const AccountsQuery = PageQuery.extend(FormatQuery.shape).extend({
  sort: z
    .enum(SORTS, { error: `sort must be one of ${SORTS.join(', ')}` })
    .optional()
    .describe('the column to sort on; absent: by id'),
  order: z.enum(['asc', 'desc'], { error: 'order must be asc or desc' }).optional(),
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

const AccountParams = z.object({ id: z.coerce.number().int().positive() });

const AccountActionBody = z
  .object({
    action: z.enum(ACCOUNT_ACTIONS, {
      error: `action must be one of ${ACCOUNT_ACTIONS.join(', ')}`,
    }),
  })
  .strict();

export function accountRoutes(app: ApiInstance, deps: ApiDeps): void {
  app.get(
    '/accounts/:id',
    {
      schema: {
        tags: ['accounts'],
        summary:
          'One account with its entitlements, its source’s write permission and the actions that apply to it',
        params: AccountParams,
        response: answers({ 200: AccountDetail }),
      },
    },
    async (request) => {
      const account = await getAccount(deps.db, request.params.id);
      const source = await getSource(deps.db, account.sourceId);
      const [view] = await accountViews(deps.db, [account]);
      if (!view) throw new Error(`account ${String(account.id)} has no view`);
      return {
        ...view,
        sourceType: source.type,
        writeGranted: source.writeGranted,
        actions: source.type === 'duo' ? applicableAccountActions(account) : [],
      };
    },
  );

  app.post(
    '/accounts/:id/actions',
    {
      schema: {
        tags: ['accounts'],
        summary:
          'Disable, enable or unlock a Duo user in Duo (needs "Grant write resource"); answers the account as Duo has it now',
        params: AccountParams,
        body: AccountActionBody,
        response: answers({ 200: Account }),
      },
    },
    async (request) => {
      const changed = await accountAction(deps, actorOf(request), {
        accountId: request.params.id,
        action: request.body.action,
      });
      const [view] = await accountViews(deps.db, [changed]);
      if (!view) throw new Error(`account ${String(changed.id)} has no view`);
      return view;
    },
  );

  app.get(
    '/sources/:id/accounts',
    {
      schema: {
        tags: ['sources'],
        summary:
          'A source’s accounts; filters: kind (user, administrator), status, group (entitlement id, Duo group id or admin role), correlated, q',
        params: IdParams,
        querystring: AccountsQuery,
        response: answers({ 200: jsonOrCsv(AccountList) }),
      },
    },
    async (request, reply) => {
      const source = await getSource(deps.db, request.params.id);
      const {
        limit = 100,
        cursor,
        kind,
        status,
        group: entitlementRef,
        correlated,
        q,
        sort,
        order,
        format,
      } = request.query;
      const entitlementId =
        entitlementRef === undefined
          ? undefined
          : await entitlementIdOf(deps.db, source.id, entitlementRef);
      const search: AccountSearch = {
        sourceId: source.id,
        ...(kind === undefined ? {} : { kind }),
        ...(status === undefined ? {} : { status }),
        ...(entitlementId === undefined ? {} : { entitlementId }),
        ...(correlated === undefined ? {} : { correlated: correlated === 'true' }),
        ...(q === undefined ? {} : { q }),
        ...(sort === undefined ? {} : { sort }),
        ...(order === undefined ? {} : { order }),
      };
      if (format === 'csv') {
        return sendCsv(
          reply,
          csvFileName(source.name, 'accounts'),
          csvPages(accountPages(deps.db, search), ACCOUNT_COLUMNS),
        );
      }
      const after = decodeCursor(AccountCursor, cursor);
      const offset = after !== undefined && 'offset' in after ? after.offset : 0;
      const [accounts, total] = await Promise.all([
        searchAccounts(deps.db, {
          ...search,
          limit: limit + 1,
          ...(after !== undefined && 'id' in after && sort === undefined
            ? { afterId: after.id }
            : {}),
          ...(sort === undefined ? {} : { offset }),
        }),
        countAccounts(deps.db, search),
      ]);
      const page = accounts.slice(0, limit);
      const last = page[page.length - 1];
      const more = accounts.length > limit && last !== undefined;
      return {
        accounts: await accountViews(deps.db, page),
        total,
        next: !more
          ? null
          : sort === undefined
            ? encodeCursor({ id: last.id })
            : encodeCursor({ offset: offset + limit }),
      };
    },
  );
}

type AccountView = Awaited<ReturnType<typeof accountViews>>[number];

const EXPORT_PAGE = 1000;

/** Every account a search matches, a page at a time, in its order. */
async function* accountPages(db: Db, search: AccountSearch): AsyncGenerator<AccountView[]> {
  for (let offset = 0, afterId: number | undefined; ;) {
    const page = await searchAccounts(db, {
      ...search,
      limit: EXPORT_PAGE,
      ...(search.sort === undefined ? (afterId === undefined ? {} : { afterId }) : { offset }),
    });
    yield await accountViews(db, page);
    if (page.length < EXPORT_PAGE) return;
    offset += page.length;
    afterId = page[page.length - 1]?.id;
  }
}

export const ACCOUNT_COLUMNS: readonly CsvColumn<AccountView>[] = [
  { header: 'username', value: (a) => a.username },
  { header: 'kind', value: (a) => a.kind },
  { header: 'admin_role', value: (a) => a.adminRole },
  { header: 'realname', value: (a) => a.realname },
  { header: 'email', value: (a) => a.email },
  { header: 'status', value: (a) => a.status },
  { header: 'identity_id', value: (a) => a.identityId },
  { header: 'correlation', value: (a) => a.correlation },
  { header: 'entitlements', value: (a) => a.groups.map((g) => g.name).join('; ') },
  { header: 'last_login', value: (a) => csvTime(a.lastLoginMs) },
  { header: 'duo_user_id', value: (a) => a.duoUserId },
];

/**
 * A CSV's file name from a name (a source's, an identity's) and what it holds: letters, digits,
 * dots, dashes and underscores only.
 *
 * @example csvFileName('Duo EU', 'streams') // 'Duo-EU-streams'
 */
export function csvFileName(name: string, what: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  return `${safe || 'source'}-${what}`;
}
