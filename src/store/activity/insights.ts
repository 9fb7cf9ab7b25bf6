/**
 * Insight queries over activity: per-user summaries (last activity, last successful
 * authentication, days active), daily counts from the rollup, applications, factors and
 * locations used, the first stored event and the locations seen before a time.
 *
 * @example await activitySummaries(db, { userKeys, sinceMs: addMs(now, -90 * DAY_MS) })
 */
import {
  SUCCESS_RESULT,
  dayOf,
  type ActivitySummary,
  type ActivityUsage,
  type DailyCount,
  type UsageCount,
} from '../../domain/activity.js';
import type { StreamName } from '../../domain/streams.js';
import type { EpochMs } from '../../domain/time.js';
import { chunks, epochMs } from '../columns.js';
import type { Db } from '../dialect.js';
import { eventStreamIds } from './event-streams.js';
import { lookupStrings, stringValues } from './strings.js';

/**
 * Per Duo user: last activity, last successful authentication (exact, from the (user_key, ts)
 * index; an activity-log `success` is not a sign-in) and days
 * active / events since `sinceMs` (from the daily rollup). Users with no events are included
 * with nulls and zeros.
 *
 * @example await activitySummaries(db, { userKeys, sinceMs: addMs(now, -90 * DAY_MS) })
 */
export async function activitySummaries(
  db: Db,
  query: { readonly userKeys: readonly string[]; readonly sinceMs: EpochMs },
): Promise<ActivitySummary[]> {
  const keys = [...new Set(query.userKeys)];
  const ids = await lookupStrings(db, [...keys, SUCCESS_RESULT]);
  const successId = ids.get(SUCCESS_RESULT) ?? -1;
  const userIds = keys.flatMap((k) => {
    const id = ids.get(k);
    return id === undefined ? [] : [id];
  });
  const authStreams = [...(await eventStreamIds(db, { streams: ['authentication'] })), -1];
  const sinceDay = dayOf(query.sinceMs);
  const windows = new Map<number, { days: number; events: number }>();
  const latest = new Map<number, { last: number | null; success: number | null }>();
  for (const batch of chunks(userIds, 500)) {
    const rollup = await db
      .selectFrom('activity_daily')
      .select([
        'user_key',
        (eb) => eb.fn.count<number>('day').distinct().as('days'),
        (eb) => eb.fn.sum<number>('count').as('events'),
      ])
      .where('user_key', 'in', batch)
      .where('day', '>=', sinceDay)
      .where('count', '>', 0)
      .groupBy('user_key')
      .execute();
    for (const r of rollup) windows.set(r.user_key, { days: r.days, events: r.events });
    const last = await db
      .selectFrom('strings as s')
      .select((eb) => [
        's.id',
        eb
          .selectFrom('activity_events as e')
          .select('e.ts_ms')
          .whereRef('e.user_key', '=', 's.id')
          .orderBy('e.ts_ms', 'desc')
          .limit(1)
          .as('last_ms'),
        eb
          .selectFrom('activity_events as e')
          .select('e.ts_ms')
          .whereRef('e.user_key', '=', 's.id')
          .where('e.result', '=', successId)
          .where('e.stream_id', 'in', authStreams)
          .orderBy('e.ts_ms', 'desc')
          .limit(1)
          .as('success_ms'),
      ])
      .where('s.id', 'in', batch)
      .execute();
    for (const r of last)
      latest.set(r.id, {
        last: r.last_ms === null ? null : r.last_ms,
        success: r.success_ms === null ? null : r.success_ms,
      });
  }
  return keys.map((userKey) => {
    const id = ids.get(userKey);
    const w = id === undefined ? undefined : windows.get(id);
    const l = id === undefined ? undefined : latest.get(id);
    return {
      userKey,
      lastActivityMs: l?.last == null ? null : epochMs(l.last),
      lastSuccessMs: l?.success == null ? null : epochMs(l.success),
      daysActive: w?.days ?? 0,
      events: w?.events ?? 0,
    };
  });
}

/**
 * Events per UTC day, stream and result for a set of Duo users, from the daily rollup
 * (`fromDay` and `toDay` inclusive, days since the epoch).
 */
export async function dailyActivity(
  db: Db,
  query: { readonly userKeys: readonly string[]; readonly fromDay: number; readonly toDay: number },
): Promise<DailyCount[]> {
  const ids = await lookupStrings(db, query.userKeys);
  const userIds = [...ids.values()];
  if (userIds.length === 0) return [];
  const totals = new Map<string, DailyCount & { resultId: number }>();
  for (const batch of chunks(userIds, 500)) {
    const rows = await db
      .selectFrom('activity_daily')
      .select(['day', 'stream', 'result', (eb) => eb.fn.sum<number>('count').as('count')])
      .where('user_key', 'in', batch)
      .where('day', '>=', query.fromDay)
      .where('day', '<=', query.toDay)
      .groupBy(['day', 'stream', 'result'])
      .execute();
    for (const r of rows) {
      const key = `${String(r.day)}|${r.stream}|${String(r.result)}`;
      const before = totals.get(key);
      totals.set(key, {
        day: r.day,
        stream: r.stream as StreamName,
        result: null,
        resultId: r.result,
        count: (before?.count ?? 0) + r.count,
      });
    }
  }
  const names = await stringValues(
    db,
    [...totals.values()].map((t) => t.resultId).filter((id) => id !== 0),
  );
  return [...totals.values()]
    .filter((t) => t.count !== 0)
    .map(({ resultId, ...t }) => ({ ...t, result: names.get(resultId) ?? null }))
    .sort((a, b) => a.day - b.day || a.stream.localeCompare(b.stream));
}

/**
 * Applications, factors and locations a set of Duo users used in `[fromMs, toMs)`, most used
 * first, with first and last use (reads raw events through the (user_key, ts) index). Factors
 * are those of authentications: a telephony row repeats the factor of the authentication that
 * sent it, so counting it too would count one sign-in twice.
 */
export async function activityUsage(
  db: Db,
  query: { readonly userKeys: readonly string[]; readonly fromMs: EpochMs; readonly toMs: EpochMs },
): Promise<ActivityUsage> {
  const ids = [...(await lookupStrings(db, query.userKeys)).values()];
  const authStreams = [...(await eventStreamIds(db, { streams: ['authentication'] })), -1];
  const usage = async (column: 'application' | 'factor' | 'location'): Promise<UsageCount[]> => {
    if (ids.length === 0) return [];
    const rows = await db
      .selectFrom('activity_events')
      .select([
        column,
        (eb) => eb.fn.countAll<number>().as('count'),
        (eb) => eb.fn.min<number>('ts_ms').as('first_ms'),
        (eb) => eb.fn.max<number>('ts_ms').as('last_ms'),
      ])
      .where('user_key', 'in', ids)
      .where('ts_ms', '>=', query.fromMs)
      .where('ts_ms', '<', query.toMs)
      .where(column, 'is not', null)
      .$if(column === 'factor', (q) => q.where('stream_id', 'in', authStreams))
      .groupBy(column)
      .execute();
    const names = await stringValues(
      db,
      rows.flatMap((r) => (r[column] === null ? [] : [r[column]])),
    );
    return rows
      .map((r) => ({
        value: names.get(Number(r[column])) ?? '',
        count: r.count,
        firstMs: epochMs(r.first_ms),
        lastMs: epochMs(r.last_ms),
      }))
      .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  };
  return {
    applications: await usage('application'),
    factors: await usage('factor'),
    locations: await usage('location'),
  };
}

/**
 * The time of the first stored event of a set of Duo users, or null (one index probe per user).
 *
 * @example const since = await firstActivityMs(db, ['DU3KC77WJ06Y5HIV7XKQ']);
 */
export async function firstActivityMs(
  db: Db,
  userKeys: readonly string[],
): Promise<EpochMs | null> {
  const ids = [...(await lookupStrings(db, userKeys)).values()];
  let first: number | null = null;
  for (const batch of chunks(ids, 500)) {
    const rows = await db
      .selectFrom('strings as s')
      .select((eb) =>
        eb
          .selectFrom('activity_events as e')
          .select('e.ts_ms')
          .whereRef('e.user_key', '=', 's.id')
          .orderBy('e.ts_ms', 'asc')
          .limit(1)
          .as('first_ms'),
      )
      .where('s.id', 'in', batch)
      .execute();
    for (const r of rows)
      if (r.first_ms !== null && (first === null || r.first_ms < first)) first = r.first_ms;
  }
  return first === null ? null : epochMs(first);
}

/**
 * Which of `locations` a set of Duo users was seen at before `beforeMs` (at any time, not only
 * within a report window): a place is new only if it is absent here.
 */
export async function locationsSeenBefore(
  db: Db,
  query: {
    readonly userKeys: readonly string[];
    readonly locations: readonly string[];
    readonly beforeMs: EpochMs;
  },
): Promise<Set<string>> {
  const seen = new Set<string>();
  if (query.locations.length === 0) return seen;
  const users = [...(await lookupStrings(db, query.userKeys)).values()];
  const places = await lookupStrings(db, query.locations);
  if (users.length === 0 || places.size === 0) return seen;
  const names = new Map([...places].map(([value, id]) => [id, value]));
  const rows = await db
    .selectFrom('activity_events')
    .select('location')
    .distinct()
    .where('user_key', 'in', users)
    .where('location', 'in', [...places.values()])
    .where('ts_ms', '<', query.beforeMs)
    .execute();
  for (const r of rows) {
    const name = r.location === null ? undefined : names.get(r.location);
    if (name !== undefined) seen.add(name);
  }
  return seen;
}
