/**
 * Identities (people): list and search (`q` needs two letters or more, as the owner picker),
 * create, show with their Duo accounts (those also as CSV, `format=csv`), change; and manual correlation of an account to an
 * identity (admins, or the manager of the account's source).
 */
import { z } from 'zod';
import type { Identity } from '../../domain/identities.js';
import { ms } from '../../domain/time.js';
import {
  countAccountsOfIdentities,
  getAccount,
  listAccounts,
  setAccountIdentity,
} from '../../store/accounts.js';
import {
  createIdentity,
  getIdentity,
  searchIdentities,
  updateIdentity,
} from '../../store/identities.js';
import { getSource } from '../../store/sources.js';
import { actorOf, requireRole } from '../auth.js';
import { decodeCursor, encodeCursor } from '../../core/cursors.js';
import { recordAction } from '../../core/actor.js';
import { assertMayManageSource } from '../../core/sources.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { ApiError } from '../errors.js';
import { Account } from '../contract/accounts.js';
import { answers } from '../contract/errors.js';
import {
  Identity as IdentityAnswer,
  IdentityDetail,
  IdentityList,
} from '../contract/identities.js';
import { FormatQuery, IdParams, PageQuery } from '../schemas.js';
import { csvPages, csvTime, toCsv, type CsvColumn } from '../../core/csv.js';
import type { Db } from '../../store/dialect.js';
import { jsonOrCsv } from '../contract/reports.js';
import { sendCsv } from './reports.js';
import { ACCOUNT_COLUMNS, csvFileName } from './accounts.js';
import { accountViews } from '../views.js';

const Email = z.email().max(320);

const NewIdentityBody = z
  .object({
    displayName: z.string().trim().min(1, 'is required').max(200),
    email: Email.nullable().optional(),
    username: z.string().trim().min(1).max(200).nullable().optional(),
  })
  .strict();

const IdentityPatchBody = NewIdentityBody.partial().strict();

const IdentityCursor = z.object({ n: z.string(), id: z.string() });

const ListQuery = PageQuery.extend(FormatQuery.shape).extend({
  q: z.string().max(200).optional(),
});

export function identityView(i: Identity) {
  return {
    id: i.id,
    displayName: i.displayName,
    email: i.email,
    username: i.username,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  };
}

export function identityRoutes(app: ApiInstance, deps: ApiDeps): void {
  app.get(
    '/identities',
    {
      schema: {
        tags: ['identities'],
        summary:
          'List or search identities by name, e-mail or username (q: two letters or more); CSV of every match with format=csv',
        querystring: ListQuery,
        response: answers({ 200: jsonOrCsv(IdentityList) }),
      },
    },
    async (request, reply) => {
      const { q, limit = 50, cursor, format } = request.query;
      if (q !== undefined && q.trim().length < 2)
        throw new ApiError('validation_failed', 'q: type at least two letters to search', [
          { field: 'q', message: 'type at least two letters to search' },
        ]);
      if (format === 'csv')
        return sendCsv(reply, 'identities', csvPages(identityPages(deps.db, q), IDENTITY_COLUMNS));
      const after = decodeCursor(IdentityCursor, cursor);
      const identities = await searchIdentities(deps.db, {
        ...(q === undefined ? {} : { query: q }),
        limit: limit + 1,
        ...(after === undefined
          ? {}
          : {
              after: {
                id: after.id,
                displayName: after.n,
                email: null,
                username: null,
                createdAt: ms(0),
                updatedAt: ms(0),
              },
            }),
      });
      const page = identities.slice(0, limit);
      const last = page[page.length - 1];
      const accountCounts = await countAccountsOfIdentities(
        deps.db,
        page.map((i) => i.id),
      );
      return {
        identities: page.map((i) => ({
          ...identityView(i),
          accountCount: accountCounts.get(i.id) ?? 0,
        })),
        next:
          identities.length > limit && last
            ? encodeCursor({ n: last.displayName, id: last.id })
            : null,
      };
    },
  );

  app.post(
    '/identities',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags: ['identities'],
        summary: 'Create an identity (admin)',
        body: NewIdentityBody,
        response: answers({ 201: IdentityAnswer }),
      },
    },
    async (request, reply) => {
      const body = request.body;
      const identity = await createIdentity(deps.db, {
        displayName: body.displayName,
        email: body.email ?? null,
        username: body.username ?? null,
      });
      await recordAction(deps.db, actorOf(request), 'identity.create', {
        type: 'identity',
        id: identity.id,
        name: identity.displayName,
      });
      return reply.code(201).send(identityView(identity));
    },
  );

  app.get(
    '/identities/:id',
    {
      schema: {
        tags: ['identities'],
        summary:
          'An identity with its Duo accounts (status, groups, source); with format=csv the CSV of its accounts',
        params: IdParams,
        querystring: FormatQuery,
        response: answers({ 200: jsonOrCsv(IdentityDetail) }),
      },
    },
    async (request, reply) => {
      const identity = await getIdentity(deps.db, request.params.id);
      const accounts = await accountViews(
        deps.db,
        await listAccounts(deps.db, { identityId: identity.id, limit: 1000 }),
      );
      if (request.query.format === 'csv')
        return sendCsv(
          reply,
          csvFileName(identity.displayName, 'accounts'),
          toCsv(accounts, IDENTITY_ACCOUNT_COLUMNS),
        );
      return { ...identityView(identity), accounts };
    },
  );

  app.patch(
    '/identities/:id',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags: ['identities'],
        summary: 'Change an identity’s name, e-mail or username (admin)',
        params: IdParams,
        body: IdentityPatchBody,
        response: answers({ 200: IdentityAnswer }),
      },
    },
    async (request) => {
      const patch = request.body;
      const identity = await updateIdentity(deps.db, request.params.id, {
        ...(patch.displayName === undefined ? {} : { displayName: patch.displayName }),
        ...(patch.email === undefined ? {} : { email: patch.email }),
        ...(patch.username === undefined ? {} : { username: patch.username }),
      });
      await recordAction(deps.db, actorOf(request), 'identity.update', {
        type: 'identity',
        id: identity.id,
        name: identity.displayName,
        details: { fields: Object.keys(patch) },
      });
      return identityView(identity);
    },
  );

  const AccountParams = z.object({ accountId: z.coerce.number().int().positive() });

  app.put(
    '/accounts/:accountId/identity',
    {
      schema: {
        tags: ['identities'],
        summary: 'Correlate an account to an identity by hand (kept across aggregations)',
        params: AccountParams,
        body: z.object({ identityId: z.string().min(1).max(100) }).strict(),
        response: answers({ 200: Account }),
      },
    },
    async (request) => {
      const account = await getAccount(deps.db, request.params.accountId);
      const source = await getSource(deps.db, account.sourceId);
      await assertMayManageSource(deps.db, actorOf(request), source);
      const linked = await setAccountIdentity(deps.db, account.id, {
        identityId: request.body.identityId,
        correlation: 'manual',
      });
      const identity = await getIdentity(deps.db, request.body.identityId);
      await recordAction(deps.db, actorOf(request), 'account.correlate', {
        type: 'account',
        id: String(account.id),
        name: account.username,
        details: { identityId: identity.id, previousIdentityId: account.identityId },
      });
      const [view] = await accountViews(deps.db, [linked]);
      if (!view) throw new Error(`account ${account.id} has no view`);
      return view;
    },
  );

  app.delete(
    '/accounts/:accountId/identity',
    {
      schema: {
        tags: ['identities'],
        summary: 'Unlink an account from its identity',
        params: AccountParams,
        response: answers({ 200: Account }),
      },
    },
    async (request) => {
      const account = await getAccount(deps.db, request.params.accountId);
      const source = await getSource(deps.db, account.sourceId);
      await assertMayManageSource(deps.db, actorOf(request), source);
      const unlinked = await setAccountIdentity(deps.db, account.id, null);
      await recordAction(deps.db, actorOf(request), 'account.uncorrelate', {
        type: 'account',
        id: String(account.id),
        name: account.username,
        details: { previousIdentityId: account.identityId },
      });
      const [view] = await accountViews(deps.db, [unlinked]);
      if (!view) throw new Error(`account ${account.id} has no view`);
      return view;
    },
  );
}

type IdentityRow = ReturnType<typeof identityView> & { readonly accountCount: number };

const EXPORT_PAGE = 1000;

/** Every identity a search matches (all without `q`), by name, a page at a time. */
async function* identityPages(db: Db, q: string | undefined): AsyncGenerator<IdentityRow[]> {
  for (let after: Identity | undefined; ;) {
    const page = await searchIdentities(db, {
      ...(q === undefined ? {} : { query: q }),
      limit: EXPORT_PAGE,
      ...(after === undefined ? {} : { after }),
    });
    const counts = await countAccountsOfIdentities(
      db,
      page.map((i) => i.id),
    );
    yield page.map((i) => ({ ...identityView(i), accountCount: counts.get(i.id) ?? 0 }));
    after = page[page.length - 1];
    if (page.length < EXPORT_PAGE || after === undefined) return;
  }
}

const IDENTITY_COLUMNS: readonly CsvColumn<IdentityRow>[] = [
  { header: 'display_name', value: (i) => i.displayName },
  { header: 'email', value: (i) => i.email },
  { header: 'username', value: (i) => i.username },
  { header: 'accounts', value: (i) => i.accountCount },
  { header: 'created', value: (i) => csvTime(i.createdAt) },
  { header: 'id', value: (i) => i.id },
];

/** An identity's accounts: the source's name first, then the columns of a source's accounts. */
const IDENTITY_ACCOUNT_COLUMNS: readonly CsvColumn<
  Awaited<ReturnType<typeof accountViews>>[number]
>[] = [{ header: 'source', value: (a) => a.sourceName }, ...ACCOUNT_COLUMNS];
