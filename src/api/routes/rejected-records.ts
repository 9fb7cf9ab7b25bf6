/**
 * Rejected records: what Duo sent that could not be read, kept whole with its stream, run and
 * position, so nothing is dropped silently.
 *
 * @example curl /api/v1/sources/src_1/rejected-records   # {"records":[…],"next":null}
 */
import { getSource } from '../../store/sources.js';
import { listRejectedRecords } from '../../store/rejected-records.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { answers } from '../contract/errors.js';
import { RejectedRecordList } from '../contract/sources.js';
import { IdParams } from '../schemas.js';

export function rejectedRecordRoutes(app: ApiInstance, deps: ApiDeps): void {
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
}
