/**
 * An Activity Insights source's storage (events per stream, oldest and newest, estimated bytes,
 * its retention and its last retention pass) and "apply retention now".
 *
 * @example curl /api/v1/sources/src_1/storage   # {"sourceId":"src_1","retentionDays":400,"streams":[…],…}
 */
import { actorOf } from '../auth.js';
import { applyRetention, sourceStorage } from '../../core/retention.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { answers } from '../contract/errors.js';
import { RetentionPass, SourceStorage } from '../contract/sources.js';
import { IdParams, NoBody } from '../schemas.js';
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
          'What each stream of an Activity Insights source holds, its retention and its last retention pass',
        params: IdParams,
        response: answers({ 200: SourceStorage }),
      },
    },
    async (request) => {
      const storage = await sourceStorage(deps, request.params.id, deps.clock() as EpochMs);
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
