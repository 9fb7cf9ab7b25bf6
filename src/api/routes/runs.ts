/**
 * Runs: start an aggregation or a sync in the background (`202 {runId}`; a source that has not
 * passed its connection test is refused by `core/sources.ts`), a source's runs newest first, and
 * one run with its status, counts, progress and error. The runs, and a run's streams read, also
 * as CSV (`format=csv`).
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
import { jsonOrCsv } from '../contract/reports.js';
import { csvPages, csvTime, toCsv, type CsvColumn } from '../../core/csv.js';
import type { Run as StoredRun, StreamRunCounts } from '../../domain/runs.js';
import type { Db } from '../../store/dialect.js';
import { FormatQuery, IdParams, NoBody, PageQuery } from '../schemas.js';
import { csvFileName } from './accounts.js';
import { sendCsv } from './reports.js';
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
        summary: 'A source’s runs, newest first; CSV of every run with format=csv',
        params: IdParams,
        querystring: PageQuery.extend(FormatQuery.shape),
        response: answers({ 200: jsonOrCsv(RunList) }),
      },
    },
    async (request, reply) => {
      const source = await getSource(deps.db, request.params.id);
      const { limit = 50, cursor, format } = request.query;
      if (format === 'csv')
        return sendCsv(
          reply,
          csvFileName(source.name, 'runs'),
          csvPages(runPages(deps.db, source.id), RUN_COLUMNS),
        );
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
        summary:
          'One run: status, counts, progress, error; with format=csv the CSV of the streams it read',
        params: z.object({ runId: z.string().min(1).max(100) }),
        querystring: FormatQuery,
        response: answers({ 200: jsonOrCsv(Run) }),
      },
    },
    async (request, reply) => {
      const run = await getRun(deps.db, request.params.runId);
      if (request.query.format === 'csv')
        return sendCsv(reply, `${run.id}-streams`, toCsv(streamsRead(run), RUN_STREAM_COLUMNS));
      return runView(run);
    },
  );
}

const EXPORT_PAGE = 1000;

/** Every run of a source, newest first, a page at a time. */
async function* runPages(db: Db, sourceId: string): AsyncGenerator<StoredRun[]> {
  for (let before: StoredRun | undefined; ;) {
    const page = await listRuns(db, {
      sourceId,
      limit: EXPORT_PAGE,
      ...(before === undefined ? {} : { before }),
    });
    yield page;
    before = page[page.length - 1];
    if (page.length < EXPORT_PAGE || before === undefined) return;
  }
}

const RUN_COLUMNS: readonly CsvColumn<StoredRun>[] = [
  { header: 'kind', value: (r) => r.kind },
  { header: 'trigger', value: (r) => r.trigger },
  { header: 'status', value: (r) => r.status },
  { header: 'created', value: (r) => csvTime(r.createdAt) },
  { header: 'started', value: (r) => csvTime(r.startedAt) },
  { header: 'finished', value: (r) => csvTime(r.finishedAt) },
  { header: 'error', value: (r) => r.error?.message },
  { header: 'id', value: (r) => r.id },
];

type StreamRead = readonly [string, StreamRunCounts];

/** The streams a sync read, each with its counts (an aggregation's counts are numbers). */
function streamsRead(run: StoredRun): StreamRead[] {
  return Object.entries(run.counts).filter(
    (entry): entry is [string, StreamRunCounts] => typeof entry[1] !== 'number',
  );
}

const RUN_STREAM_COLUMNS: readonly CsvColumn<StreamRead>[] = [
  { header: 'stream', value: ([stream]) => stream },
  { header: 'pages', value: ([, c]) => c.pages },
  { header: 'events_new', value: ([, c]) => c.eventsNew },
  { header: 'events_updated', value: ([, c]) => c.eventsUpdated },
  { header: 'rejected', value: ([, c]) => c.rejected },
  { header: 'rate_limited', value: ([, c]) => c.rateLimited },
];
