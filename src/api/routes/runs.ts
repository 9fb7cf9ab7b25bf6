/**
 * Runs: start an aggregation or a sync in the background (`202 {runId}`; a source that has not
 * passed its connection test is refused by `core/sources.ts`), a source's runs newest first, and
 * one run with its status, counts, progress and error.
 *
 * @example curl -X POST /api/v1/sources/src_1/aggregate -d '{}'   # 202 {"runId":"run_…"}
 */
import { z } from 'zod';
import { MAX_BACKFILL_DAYS } from '../../domain/sources.js';
import { STREAMS } from '../../domain/streams.js';
import { getRun, listRuns } from '../../store/runs.js';
import { getSource } from '../../store/sources.js';
import { startSourceRun } from '../../core/sources.js';
import { actorOf } from '../auth.js';
import { decodeCursor, encodeCursor } from '../../core/cursors.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { answers } from '../contract/errors.js';
import { Run, RunList, RunStarted } from '../contract/runs.js';
import { IdParams, NoBody, PageQuery } from '../schemas.js';
import { runView } from '../views.js';

const SyncBody = z
  .object({
    streams: z.array(z.enum(STREAMS)).min(1).optional(),
    backfillDays: z.number().int().min(1).max(MAX_BACKFILL_DAYS).optional(),
  })
  .strict();

const RunCursor = z.object({ id: z.string() });

export function runRoutes(app: ApiInstance, deps: ApiDeps): void {
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
}
