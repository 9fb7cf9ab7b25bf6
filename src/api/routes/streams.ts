/**
 * An Activity Insights source's streams: per stream its state, last success, cursor time
 * (`syncedUntil`), lag, backfill, pages, 429s and last error; also as CSV (`format=csv`).
 *
 * @example curl /api/v1/sources/src_1/streams   # {"streams":[{"stream":"authentication",…}],"next":null}
 */
import { getSource } from '../../store/sources.js';
import { listStreams } from '../../store/streams.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { answers } from '../contract/errors.js';
import { StreamList } from '../contract/sources.js';
import { jsonOrCsv } from '../contract/reports.js';
import { csvTime, toCsv, type CsvColumn } from '../../core/csv.js';
import { FormatQuery, IdParams } from '../schemas.js';
import { csvFileName } from './accounts.js';
import { sendCsv } from './reports.js';
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
        querystring: FormatQuery,
        response: answers({ 200: jsonOrCsv(StreamList) }),
      },
    },
    async (request, reply) => {
      const source = await getSource(deps.db, request.params.id);
      const now = deps.clock();
      const streams = (await listStreams(deps.db, source.id)).map((s) => streamView(s, now));
      if (request.query.format === 'csv')
        return sendCsv(reply, csvFileName(source.name, 'streams'), toCsv(streams, STREAM_COLUMNS));
      return { streams, next: null };
    },
  );
}

/** A stream's state and progress, as the source page lists them. */
export const STREAM_COLUMNS: readonly CsvColumn<ReturnType<typeof streamView>>[] = [
  { header: 'stream', value: (s) => s.stream },
  { header: 'state', value: (s) => s.state },
  { header: 'last_success', value: (s) => csvTime(s.lastSuccessAt) },
  { header: 'synced_until', value: (s) => csvTime(s.syncedUntil) },
  { header: 'lag_ms', value: (s) => s.lagMs },
  { header: 'backfill_progress', value: (s) => s.backfillProgress },
  { header: 'pages', value: (s) => s.pages },
  { header: 'rate_limited', value: (s) => s.rateLimited },
  { header: 'last_error', value: (s) => s.lastError?.message },
];
