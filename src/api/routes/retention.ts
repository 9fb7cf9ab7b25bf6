/**
 * An Activity Insights source's storage (events per stream, oldest and newest, estimated bytes,
 * its retention and its last retention pass; its streams also as CSV with `format=csv`) and
 * "apply retention now".
 *
 * @example curl /api/v1/sources/src_1/storage   # {"sourceId":"src_1","retentionDays":400,"streams":[…],…}
 */
import { actorOf } from '../auth.js';
import { applyRetention, sourceStorage } from '../../core/retention.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { answers } from '../contract/errors.js';
import { RetentionPass, SourceStorage } from '../contract/sources.js';
import { jsonOrCsv } from '../contract/reports.js';
import { csvTime, toCsv, type CsvColumn } from '../../core/csv.js';
import type { StreamStorage } from '../../store/activity/retention.js';
import { getSource } from '../../store/sources.js';
import { FormatQuery, IdParams, NoBody } from '../schemas.js';
import { csvFileName } from './accounts.js';
import { sendCsv } from './reports.js';
import type { EpochMs } from '../../domain/time.js';
import type { RetentionOutcome } from '../../sync/retention.js';

function passView(pass: RetentionOutcome) {
  return { ...pass, streams: [...pass.streams] };
}

export function retentionRoutes(app: ApiInstance, deps: ApiDeps): void {
  app.get(
    '/sources/:id/storage',
    {
      schema: {
        tags: ['sources'],
        summary:
          'What each stream of an Activity Insights source holds, its retention and its last retention pass; the streams as CSV with format=csv',
        params: IdParams,
        querystring: FormatQuery,
        response: answers({ 200: jsonOrCsv(SourceStorage) }),
      },
    },
    async (request, reply) => {
      const storage = await sourceStorage(deps, request.params.id, deps.clock() as EpochMs);
      if (request.query.format === 'csv') {
        const source = await getSource(deps.db, storage.sourceId);
        return sendCsv(
          reply,
          csvFileName(source.name, 'storage'),
          toCsv(storage.streams, STORAGE_COLUMNS),
        );
      }
      return {
        ...storage,
        streams: [...storage.streams],
        lastPass: storage.lastPass === null ? null : passView(storage.lastPass),
      };
    },
  );

  app.post(
    '/sources/:id/retention',
    {
      schema: {
        tags: ['sources'],
        summary:
          'Delete the events and rollups past the source’s retention now, in small batches: what was deleted',
        params: IdParams,
        body: NoBody,
        response: answers({ 200: RetentionPass }),
      },
    },
    async (request) => passView(await applyRetention(deps, actorOf(request), request.params.id)),
  );
}

const STORAGE_COLUMNS: readonly CsvColumn<StreamStorage>[] = [
  { header: 'stream', value: (s) => s.stream },
  { header: 'events', value: (s) => s.events },
  { header: 'oldest', value: (s) => csvTime(s.oldestMs) },
  { header: 'newest', value: (s) => csvTime(s.newestMs) },
  { header: 'estimated_bytes', value: (s) => s.estimatedBytes },
];
