/**
 * An identity's activity timeline (filtered, cursor-paged; `format=csv`: every matching event,
 * read a page at a time) and its insights.
 */
import { z } from 'zod';
import type { ActivityEvent } from '../../domain/activity.js';
import { factorLabel } from '../../domain/factors.js';
import { STREAMS, type StreamName } from '../../domain/streams.js';
import { ms } from '../../domain/time.js';
import {
  listActivityEvents,
  type ActivityQuery as TimelineQuery,
} from '../../store/activity/timeline.js';
import type { Db } from '../../store/dialect.js';
import { csvPages, csvTime, type CsvColumn } from '../../core/csv.js';
import { getIdentity } from '../../store/identities.js';
import { decodeCursor, encodeCursor, EventCursor } from '../../core/cursors.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { ApiError } from '../errors.js';
import { OrganisationAverages, readIdentityInsights } from '../../core/insights.js';
import { actorOf } from '../auth.js';
import { ActivityEventList, Insights } from '../contract/activity.js';
import { answers } from '../contract/errors.js';
import { jsonOrCsv } from '../contract/reports.js';
import { FormatQuery, IdParams, ListQuery, PageQuery } from '../schemas.js';
import { sendCsv } from './reports.js';
import { TimeQuery } from '../../core/queries.js';

export const ActivityQuery = PageQuery.extend(FormatQuery.shape).extend({
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
          'An identity’s events, newest first; filters: stream, result, factor, application (comma lists), from/to (epoch ms or ISO), as (user, administrator); CSV of every match with format=csv',
        params: IdParams,
        querystring: ActivityQuery,
        response: answers({ 200: jsonOrCsv(ActivityEventList) }),
      },
    },
    async (request, reply) => {
      const identity = await getIdentity(deps.db, request.params.id);
      const q = request.query;
      const streams = parseStreams(q.stream);
      const cursor = decodeCursor(EventCursor, q.cursor);
      const filter: TimelineQuery = {
        identityId: identity.id,
        ...(q.as === undefined ? {} : { actingAs: q.as }),
        ...(streams === undefined ? {} : { streams }),
        ...(q.result === undefined ? {} : { results: q.result }),
        ...(q.factor === undefined ? {} : { factors: q.factor }),
        ...(q.application === undefined ? {} : { applications: q.application }),
        ...(q.from === undefined ? {} : { fromMs: ms(q.from) }),
        ...(q.to === undefined ? {} : { toMs: ms(q.to) }),
      };
      if (q.format === 'csv')
        return q.as === 'administrator'
          ? sendCsv(
              reply,
              'administrator-actions',
              csvPages(eventPages(deps.db, filter), ADMIN_EVENT_COLUMNS),
            )
          : sendCsv(reply, 'activity', csvPages(eventPages(deps.db, filter), EVENT_COLUMNS));
      const page = await listActivityEvents(deps.db, {
        ...filter,
        limit: q.limit ?? 50,
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

const EXPORT_PAGE = 1000;

/** Every event a filter matches, newest first, a page at a time. */
async function* eventPages(
  db: Db,
  filter: TimelineQuery,
): AsyncGenerator<readonly ActivityEvent[]> {
  for (let cursor = filter.cursor; ;) {
    const page = await listActivityEvents(db, {
      ...filter,
      limit: EXPORT_PAGE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    yield page.events;
    if (!page.next) return;
    cursor = page.next;
  }
}

/** A field of an event's payload (Duo's record as it came). */
function payloadField(e: ActivityEvent, key: string): unknown {
  const p = e.payload;
  return typeof p === 'object' && p !== null && !Array.isArray(p)
    ? (p as Record<string, unknown>)[key]
    : undefined;
}

/** A text field of an event's payload, when it is one. */
function payloadText(e: ActivityEvent, key: string): string | null {
  const value = payloadField(e, key);
  return typeof value === 'string' ? value : null;
}

/** The timeline's events: when, which log, who, the outcome and how. */
const EVENT_COLUMNS: readonly CsvColumn<ActivityEvent>[] = [
  { header: 'time', value: (e) => csvTime(e.tsMs) },
  { header: 'stream', value: (e) => e.stream },
  { header: 'username', value: (e) => e.username },
  { header: 'result', value: (e) => e.result },
  { header: 'reason', value: (e) => e.reason },
  { header: 'factor', value: (e) => (e.factor === null ? null : factorLabel(e.factor)) },
  { header: 'application', value: (e) => e.application },
  { header: 'location', value: (e) => e.location },
  { header: 'ip', value: (e) => e.ip },
  { header: 'txid', value: (e) => e.txid },
];

/**
 * What the identity did as a Duo administrator, in the columns of the administrator-actions
 * report: Duo's `username`, `action`, `object` and `description` of each administrator-log record.
 */
const ADMIN_EVENT_COLUMNS: readonly CsvColumn<ActivityEvent>[] = [
  { header: 'time', value: (e) => csvTime(e.tsMs) },
  { header: 'admin', value: (e) => payloadText(e, 'username') ?? e.username },
  { header: 'action', value: (e) => payloadText(e, 'action') ?? e.result },
  { header: 'object', value: (e) => payloadText(e, 'object') ?? e.application },
  {
    header: 'description',
    value: (e) => {
      const d = payloadField(e, 'description');
      return d === undefined || d === null ? '' : typeof d === 'string' ? d : JSON.stringify(d);
    },
  },
];
