/**
 * Sources: create, list (with last run, next run, health), show, change, delete (confirmed by
 * name; removes the source's data), configure (the secret key is write-only), test the
 * connection, aggregate and sync in the background (`202 {runId}`), runs, streams, accounts,
 * entitlements and their members. Who may manage a source (admins every one; source managers
 * the sources they own or whose governance group they belong to; viewers read) is decided by the
 * use cases of `core/sources.ts`.
 */
import { z } from 'zod';
import { STREAMS } from '../../domain/streams.js';
import {
  findEntitlementByDuoGroupId,
  getEntitlement,
  listEntitlementMembers,
  listEntitlements,
} from '../../store/entitlements.js';
import { searchAccounts } from '../../store/accounts.js';
import { getRun, listRuns } from '../../store/runs.js';
import { getSource } from '../../store/sources.js';
import { listRejectedRecords } from '../../store/rejected-records.js';
import { listStreams } from '../../store/streams.js';
import { CredentialsInput, NewSourceInput, SourceSettingsInput } from '../../sync/sources.js';
import {
  configureSource,
  createSource,
  deleteSource,
  listSourceSummaries,
  showSource,
  startSourceRun,
  testConnection,
  updateSource,
} from '../../core/sources.js';
import { actorOf } from '../auth.js';
import { decodeCursor, encodeCursor } from '../cursors.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { ApiError } from '../errors.js';
import { AccountList } from '../contract/accounts.js';
import { NoContent } from '../contract/common.js';
import { answers } from '../contract/errors.js';
import { Run, RunList, RunStarted } from '../contract/runs.js';
import {
  ConnectionTest,
  EntitlementList,
  EntitlementMembers,
  RejectedRecordList,
  Source as SourceAnswer,
  SourceList,
  SourceSummary,
  StreamList,
} from '../contract/sources.js';
import { IdParams, NoBody, PageQuery } from '../schemas.js';
import {
  accountViews,
  groupView,
  runView,
  sourceSummaryView,
  sourceView,
  streamView,
} from '../views.js';

const SourcePatchBody = z
  .object({
    name: z.string().trim().min(1, 'is required').max(120).optional(),
    description: z.string().max(2000).nullable().optional(),
    ownerIdentityId: z.string().min(1).max(100).optional(),
    governanceGroupId: z.string().min(1).max(100).nullable().optional(),
    settings: SourceSettingsInput.optional(),
  })
  .strict();

const SyncBody = z
  .object({
    streams: z.array(z.enum(STREAMS)).min(1).optional(),
    backfillDays: z.number().int().min(1).max(180).optional(),
  })
  .strict();

const RunCursor = z.object({ id: z.string() });
const AccountCursor = z.object({ id: z.number().int() });

const AccountsQuery = PageQuery.extend({
  status: z.string().max(50).optional(),
  group: z.string().max(100).optional(),
  correlated: z.enum(['true', 'false']).optional(),
  q: z.string().max(200).optional(),
});

export function sourceRoutes(app: ApiInstance, deps: ApiDeps): void {
  app.get(
    '/sources',
    {
      schema: {
        tags: ['sources'],
        summary: 'Every source with its last run, next run and health',
        response: answers({ 200: SourceList }),
      },
    },
    async () => {
      const summaries = await listSourceSummaries(deps);
      return { sources: summaries.map(sourceSummaryView), next: null };
    },
  );

  app.post(
    '/sources',
    {
      schema: {
        tags: ['sources'],
        summary: 'Create a source (type duo or duo-activity); configure and test it next',
        body: NewSourceInput,
        response: answers({ 201: SourceAnswer }),
      },
    },
    async (request, reply) => {
      const source = await createSource(deps, actorOf(request), request.body);
      return reply.code(201).send(sourceView(source));
    },
  );

  app.get(
    '/sources/:id',
    {
      schema: {
        tags: ['sources'],
        summary: 'A source with its last run, next run and health',
        params: IdParams,
        response: answers({ 200: SourceSummary }),
      },
    },
    async (request) => {
      return sourceSummaryView(await showSource(deps, request.params.id));
    },
  );

  app.patch(
    '/sources/:id',
    {
      schema: {
        tags: ['sources'],
        summary: 'Change a source’s name, description, owner, governance group or settings',
        params: IdParams,
        body: SourcePatchBody,
        response: answers({ 200: SourceAnswer }),
      },
    },
    async (request) => {
      const updated = await updateSource(deps, actorOf(request), {
        sourceId: request.params.id,
        changes: request.body,
      });
      return sourceView(updated);
    },
  );

  app.delete(
    '/sources/:id',
    {
      schema: {
        tags: ['sources'],
        summary: 'Delete a source and all its data; confirm with ?confirm=<the source name>',
        params: IdParams,
        querystring: z.object({ confirm: z.string().max(200).optional() }),
        response: answers({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await deleteSource(deps, actorOf(request), {
        sourceId: request.params.id,
        confirm: request.query.confirm,
      });
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/sources/:id/configuration',
    {
      schema: {
        tags: ['sources'],
        summary: 'Set the integration key, secret key (write-only) and API host',
        params: IdParams,
        body: CredentialsInput,
        response: answers({ 200: SourceAnswer }),
      },
    },
    async (request) => {
      const configured = await configureSource(deps, actorOf(request), {
        sourceId: request.params.id,
        credentials: request.body,
      });
      return sourceView(configured);
    },
  );

  app.post(
    '/sources/:id/test-connection',
    {
      schema: {
        tags: ['sources'],
        summary: 'Test the credentials with one cheap Duo call: a verdict, the cause and the fix',
        params: IdParams,
        body: NoBody,
        response: answers({ 200: ConnectionTest }),
      },
    },
    async (request) => {
      const result = await testConnection(deps, actorOf(request), { sourceId: request.params.id });
      return {
        ok: result.ok,
        ...(result.code === undefined ? {} : { code: result.code }),
        message: result.message,
        at: result.at,
        details: result.details ?? {},
      };
    },
  );

  app.post(
    '/sources/:id/aggregate',
    {
      schema: {
        tags: ['sources'],
        summary: 'Aggregate a Duo source now (in the background): 202 with the run id',
        params: IdParams,
        body: NoBody,
        response: answers({ 202: RunStarted }),
      },
    },
    async (request, reply) => {
      const run = await startSourceRun(deps, actorOf(request), {
        sourceId: request.params.id,
        kind: 'aggregation',
      });
      return reply.code(202).send({ runId: run.id, run: runView(run) });
    },
  );

  app.post(
    '/sources/:id/sync',
    {
      schema: {
        tags: ['sources'],
        summary: 'Sync an Activity Insights source now (in the background): 202 with the run id',
        params: IdParams,
        body: SyncBody.optional(),
        response: answers({ 202: RunStarted }),
      },
    },
    async (request, reply) => {
      const body = request.body ?? {};
      const run = await startSourceRun(deps, actorOf(request), {
        sourceId: request.params.id,
        kind: 'sync',
        ...(body.streams === undefined ? {} : { streams: body.streams }),
        ...(body.backfillDays === undefined ? {} : { backfillDays: body.backfillDays }),
      });
      return reply.code(202).send({ runId: run.id, run: runView(run) });
    },
  );

  app.get(
    '/sources/:id/runs',
    {
      schema: {
        tags: ['sources'],
        summary: 'A source’s runs, newest first',
        params: IdParams,
        querystring: PageQuery,
        response: answers({ 200: RunList }),
      },
    },
    async (request) => {
      const source = await getSource(deps.db, request.params.id);
      const { limit = 50, cursor } = request.query;
      const position = decodeCursor(RunCursor, cursor);
      const before = position === undefined ? undefined : await getRun(deps.db, position.id);
      const runs = await listRuns(deps.db, {
        sourceId: source.id,
        limit: limit + 1,
        ...(before === undefined ? {} : { before }),
      });
      const page = runs.slice(0, limit);
      const last = page[page.length - 1];
      return {
        runs: page.map(runView),
        next: runs.length > limit && last ? encodeCursor({ id: last.id }) : null,
      };
    },
  );

  app.get(
    '/runs/:runId',
    {
      schema: {
        tags: ['sources'],
        summary: 'One run: status, counts, progress, error',
        params: z.object({ runId: z.string().min(1).max(100) }),
        response: answers({ 200: Run }),
      },
    },
    async (request) => {
      const run = await getRun(deps.db, request.params.runId);
      return runView(run);
    },
  );

  app.get(
    '/sources/:id/streams',
    {
      schema: {
        tags: ['sources'],
        summary:
          'Per stream: state, last success, cursor time (syncedUntil), lag, backfill, pages, 429s, last error',
        params: IdParams,
        response: answers({ 200: StreamList }),
      },
    },
    async (request) => {
      const source = await getSource(deps.db, request.params.id);
      const now = deps.clock();
      const streams = (await listStreams(deps.db, source.id)).map((s) => streamView(s, now));
      return { streams, next: null };
    },
  );

  app.get(
    '/sources/:id/rejected-records',
    {
      schema: {
        tags: ['sources'],
        summary:
          'Records Duo sent that could not be read, kept whole with their stream, run and position',
        params: IdParams,
        response: answers({ 200: RejectedRecordList }),
      },
    },
    async (request) => {
      const source = await getSource(deps.db, request.params.id);
      return { records: await listRejectedRecords(deps.db, source.id), next: null };
    },
  );

  app.get(
    '/sources/:id/accounts',
    {
      schema: {
        tags: ['sources'],
        summary:
          'A source’s accounts; filters: status, group (entitlement id or Duo group id), correlated, q',
        params: IdParams,
        querystring: AccountsQuery,
        response: answers({ 200: AccountList }),
      },
    },
    async (request) => {
      const source = await getSource(deps.db, request.params.id);
      const { limit = 100, cursor, status, group, correlated, q } = request.query;
      let entitlementId: number | undefined;
      if (group !== undefined) {
        const byDuoId = await findEntitlementByDuoGroupId(deps.db, source.id, group);
        entitlementId = byDuoId?.id ?? (/^\d+$/.test(group) ? Number(group) : -1);
      }
      const after = decodeCursor(AccountCursor, cursor);
      const accounts = await searchAccounts(deps.db, {
        sourceId: source.id,
        limit: limit + 1,
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

  app.get(
    '/sources/:id/entitlements',
    {
      schema: {
        tags: ['sources'],
        summary: 'A source’s entitlements (Duo groups)',
        params: IdParams,
        response: answers({ 200: EntitlementList }),
      },
    },
    async (request) => {
      const source = await getSource(deps.db, request.params.id);
      const entitlements = await listEntitlements(deps.db, { sourceId: source.id });
      return {
        entitlements: entitlements.map((e) => ({
          ...groupView(e),
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
        entitlement: groupView(entitlement),
        accounts: await accountViews(deps.db, members),
        next: null,
      };
    },
  );
}
