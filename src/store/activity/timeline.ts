/**
 * The activity timeline: stored events, newest first, filtered by Duo user, identity, source,
 * stream, result, factor, application and time, keyset-paged on (ts_ms, id), each with its
 * strings resolved and its payload decoded.
 *
 * @example const page = await listActivityEvents(db, { identityId, streams: ['authentication'] });
 */
import type {
  ActivityEvent,
  ActivityFilter,
  ActivityPage,
  ActivityCursor,
} from '../../domain/activity.js';
import type { Selectable } from 'kysely';
import type { StreamName } from '../../domain/streams.js';
import { epochMs } from '../columns.js';
import type { Db } from '../dialect.js';
import { decodePayload } from '../payload.js';
import type { ActivityEventsTable } from '../schema.js';
import { eventStreamIds, eventStreamsById } from './event-streams.js';
import { lookupStrings, stringValues } from './strings.js';

export interface ActivityQuery extends ActivityFilter {
  /** Events of these Duo users (`user.key`). */
  readonly userKeys?: readonly string[];
  /** Events of the Duo users of this identity's accounts. */
  readonly identityId?: string;
  readonly sourceId?: string;
  /** The last event of the previous page. */
  readonly cursor?: ActivityCursor;
  /** Default 50, at most 1000. */
  readonly limit?: number;
}

/**
 * A page of events, newest first, keyset-paged on (ts_ms, id).
 *
 * @example const page = await listActivityEvents(db, { identityId, streams: ['authentication'] });
 */
export async function listActivityEvents(db: Db, query: ActivityQuery): Promise<ActivityPage> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 1000);
  const filterValues = [
    ...(query.userKeys ?? []),
    ...(query.results ?? []),
    ...(query.factors ?? []),
    ...(query.applications ?? []),
  ];
  const ids = await lookupStrings(db, filterValues);
  const idsOf = (values: readonly string[]): number[] =>
    values.flatMap((v) => {
      const id = ids.get(v);
      return id === undefined ? [] : [id];
    });

  // A filter value never stored matches no event. The lists carry no placeholder value: a list
  // of one compiles to `=`, which reads the index in the page's order instead of sorting every
  // matching event.
  const userKeys = query.userKeys && idsOf(query.userKeys);
  const results = query.results && idsOf(query.results);
  const factors = query.factors && idsOf(query.factors);
  const applications = query.applications && idsOf(query.applications);
  // The identity's Duo users first: most identities have one, and `user_key = ?` reads the page
  // in index order where `user_key in (subquery)` sorts all the identity's events.
  const identityKeys =
    query.identityId === undefined ? undefined : await userKeysOfIdentity(db, query.identityId);
  const filters = [query.streams, userKeys, identityKeys, results, factors, applications];
  if (filters.some((values) => values?.length === 0)) return { events: [], next: undefined };

  let streamIds: readonly number[] | undefined;
  if (query.sourceId !== undefined || query.streams !== undefined) {
    streamIds = await eventStreamIds(db, {
      ...(query.sourceId === undefined ? {} : { sourceId: query.sourceId }),
      ...(query.streams === undefined ? {} : { streams: query.streams }),
    });
    if (streamIds.length === 0) return { events: [], next: undefined };
  }
  const cursor = query.cursor;
  /** The newest `limit + 1` events of these streams (all streams when undefined) that match. */
  const newest = (streams: readonly number[] | undefined) => {
    let q = db.selectFrom('activity_events').selectAll();
    if (streams !== undefined) q = q.where('stream_id', 'in', streams);
    if (userKeys !== undefined) q = q.where('user_key', 'in', userKeys);
    if (identityKeys !== undefined) q = q.where('user_key', 'in', identityKeys);
    if (results !== undefined) q = q.where('result', 'in', results);
    if (factors !== undefined) q = q.where('factor', 'in', factors);
    if (applications !== undefined) q = q.where('application', 'in', applications);
    if (query.fromMs !== undefined) q = q.where('ts_ms', '>=', query.fromMs);
    if (query.toMs !== undefined) q = q.where('ts_ms', '<', query.toMs);
    if (cursor)
      // A row value, so the index range starts at the cursor (an OR of the two cases plans as
      // a scan); both columns are NOT NULL, so it means exactly "older than the cursor".
      q = q.where((eb) => eb(eb.refTuple('ts_ms', 'id'), '<', eb.tuple(cursor.tsMs, cursor.id)));
    return q
      .orderBy('ts_ms', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1);
  };
  // Several streams (a source's five) and no Duo user to read by: `stream_id in (...)` gives no
  // index in the page's order, so both databases would sort every matching event. Each stream's
  // newest events come in order from its (stream_id, ts_ms) index instead, and the page is the
  // newest of those (a merge of ordered, limited lists: the page is among them).
  let rows: Selectable<ActivityEventsTable>[];
  if (
    streamIds !== undefined &&
    streamIds.length > 1 &&
    userKeys === undefined &&
    identityKeys === undefined
  ) {
    const [first, ...rest] = streamIds.map((id, i) =>
      db.selectFrom(newest([id]).as(`stream${String(i)}`)).selectAll(),
    );
    if (first === undefined) throw new Error('no stream to read');
    rows = await rest
      .reduce((union, arm) => union.unionAll(arm), first)
      .orderBy('ts_ms', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
  } else rows = await newest(streamIds).execute();
  const page = rows.slice(0, limit);
  const values = await stringValues(
    db,
    page.flatMap((r) =>
      [
        r.user_key,
        r.username,
        r.result,
        r.reason,
        r.factor,
        r.application,
        r.location,
        r.access_os,
        r.access_browser,
      ].flatMap((v) => (v === null ? [] : [v])),
    ),
  );
  const streams = await eventStreamsById(
    db,
    page.map((r) => r.stream_id),
  );
  const text = (id: number | null): string | null =>
    id === null ? null : (values.get(id) ?? null);
  const events: ActivityEvent[] = page.map((r) => {
    const of = streams.get(r.stream_id);
    if (of === undefined) throw new Error(`event ${String(r.id)} names no stored stream`);
    return toActivityEvent(r, of.sourceId, of.stream, text);
  });
  const last = events[events.length - 1];
  return {
    events,
    next: rows.length > limit && last ? { tsMs: last.tsMs, id: last.id } : undefined,
  };
}

/** A stored row as an event: its strings resolved by `text`, its payload decoded. */
export function toActivityEvent(
  r: Selectable<ActivityEventsTable>,
  sourceId: string,
  stream: StreamName,
  text: (id: number | null) => string | null,
): ActivityEvent {
  return {
    id: r.id,
    sourceId,
    stream,
    naturalKey: r.natural_key,
    tsMs: epochMs(r.ts_ms),
    userKey: text(r.user_key),
    username: text(r.username),
    result: text(r.result),
    reason: text(r.reason),
    factor: text(r.factor),
    application: text(r.application),
    location: text(r.location),
    accessOs: text(r.access_os),
    accessBrowser: text(r.access_browser),
    ip: r.ip,
    txid: r.txid ?? (stream === 'authentication' ? r.natural_key : null),
    payload: JSON.parse(decodePayload(r.payload)) as unknown,
  };
}

/** The strings ids of the Duo users of an identity's accounts (those with stored activity). */
async function userKeysOfIdentity(db: Db, identityId: string): Promise<number[]> {
  const rows = await db
    .selectFrom('accounts')
    .innerJoin('strings', 'strings.value', 'accounts.duo_user_id')
    .select('strings.id')
    .distinct()
    .where('accounts.identity_id', '=', identityId)
    .orderBy('strings.id')
    .execute();
  return rows.map((r) => r.id);
}
