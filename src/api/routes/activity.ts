/** An identity's activity timeline (filtered, cursor-paged) and its insights. */
import { z } from 'zod';
import type { ActivityEvent } from '../../domain/activity.js';
import { factorLabel } from '../../domain/factors.js';
import { STREAMS, type StreamName } from '../../domain/streams.js';
import { ms } from '../../domain/time.js';
import { listActivityEvents } from '../../store/activity/timeline.js';
import { getIdentity } from '../../store/identities.js';
import { decodeCursor, encodeCursor, EventCursor } from '../../core/cursors.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { ApiError } from '../errors.js';
import { OrganisationAverages, readIdentityInsights } from '../../core/insights.js';
import { actorOf } from '../auth.js';
import { ActivityEventList, Insights } from '../contract/activity.js';
import { answers } from '../contract/errors.js';
import { IdParams, ListQuery, PageQuery } from '../schemas.js';
import { TimeQuery } from '../../core/queries.js';

export const ActivityQuery = PageQuery.extend({
  stream: ListQuery.optional(),
  result: ListQuery.optional(),
  factor: ListQuery.optional(),
  application: ListQuery.optional(),
  from: TimeQuery.optional(),
  to: TimeQuery.optional(),
  as: z
    .enum(['user', 'administrator'])
    .optional()
    .describe(
      'user (default): the events of its Duo users; administrator: what it did as a Duo administrator (the administrator log naming its administrator accounts)',
    ),
});

export function eventView(e: ActivityEvent) {
  return {
    id: e.id,
    sourceId: e.sourceId,
    stream: e.stream,
    tsMs: e.tsMs,
    userKey: e.userKey,
    username: e.username,
    result: e.result,
    reason: e.reason,
    factor: e.factor,
    /** What the console shows for the factor (`sms_passcode` → `SMS passcode`). */
    factorLabel: e.factor === null ? null : factorLabel(e.factor),
    application: e.application,
    location: e.location,
    accessOs: e.accessOs,
    accessBrowser: e.accessBrowser,
    ip: e.ip,
    txid: e.txid,
    payload: e.payload,
  };
}

export function parseStreams(values: readonly string[] | undefined): StreamName[] | undefined {
  if (values === undefined) return undefined;
  const bad = values.filter((v) => !(STREAMS as readonly string[]).includes(v));
  if (bad.length > 0)
    throw new ApiError(
      'validation_failed',
      `stream: ${bad.join(', ')} is not one of ${STREAMS.join(', ')}`,
      [{ field: 'stream', message: `must be one of ${STREAMS.join(', ')}` }],
    );
  return values as StreamName[];
}

export function activityRoutes(app: ApiInstance, deps: ApiDeps): void {
  const averages = new OrganisationAverages();

  app.get(
    '/identities/:id/activity',
    {
      schema: {
        tags: ['activity'],
        summary:
          'An identity’s events, newest first; filters: stream, result, factor, application (comma lists), from/to (epoch ms or ISO), as (user, administrator)',
        params: IdParams,
        querystring: ActivityQuery,
        response: answers({ 200: ActivityEventList }),
      },
    },
    async (request) => {
      const identity = await getIdentity(deps.db, request.params.id);
      const q = request.query;
      const streams = parseStreams(q.stream);
      const cursor = decodeCursor(EventCursor, q.cursor);
      const page = await listActivityEvents(deps.db, {
        identityId: identity.id,
        limit: q.limit ?? 50,
        ...(q.as === undefined ? {} : { actingAs: q.as }),
        ...(streams === undefined ? {} : { streams }),
        ...(q.result === undefined ? {} : { results: q.result }),
        ...(q.factor === undefined ? {} : { factors: q.factor }),
        ...(q.application === undefined ? {} : { applications: q.application }),
        ...(q.from === undefined ? {} : { fromMs: ms(q.from) }),
        ...(q.to === undefined ? {} : { toMs: ms(q.to) }),
        ...(cursor === undefined ? {} : { cursor: { tsMs: ms(cursor.t), id: cursor.id } }),
      });
      return {
        events: page.events.map(eventView),
        next: page.next ? encodeCursor({ t: page.next.tsMs, id: page.next.id }) : null,
      };
    },
  );

  app.get(
    '/identities/:id/insights',
    {
      schema: {
        tags: ['activity'],
        summary:
          'Last activity, last success, days active in 90, counts vs the organisation, applications, factors, locations, daily series',
        params: IdParams,
        response: answers({ 200: Insights }),
      },
    },
    async (request) =>
      readIdentityInsights({ db: deps.db, clock: deps.clock, averages }, actorOf(request), {
        identityId: request.params.id,
      }),
  );
}
