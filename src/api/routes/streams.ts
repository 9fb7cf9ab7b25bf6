/**
 * An Activity Insights source's streams: per stream its state, last success, cursor time
 * (`syncedUntil`), lag, backfill, pages, 429s and last error.
 *
 * @example curl /api/v1/sources/src_1/streams   # {"streams":[{"stream":"authentication",…}],"next":null}
 */
import { getSource } from '../../store/sources.js';
import { listStreams } from '../../store/streams.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { answers } from '../contract/errors.js';
import { StreamList } from '../contract/sources.js';
import { IdParams } from '../schemas.js';
import { streamView } from '../views.js';

export function streamRoutes(app: ApiInstance, deps: ApiDeps): void {
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
}
