/**
 * Insight queries over activity, each reading rollups kept at ingest (never all of a user's
 * events): per-user summaries (last activity and last successful authentication from
 * `activity_last`, days active from `activity_daily`), daily counts, applications, factors and
 * locations used (`activity_usage_daily`), the first stored event (one index probe) and the
 * locations seen before a time.
 *
 * @example await activitySummaries(db, { userKeys, sinceMs: addMs(now, -90 * DAY_MS) })
 */
import {
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
import { USAGE_KINDS, decodeUsageCells, type UsageCell } from './rollups.js';
import { lookupStrings, stringValues } from './strings.js';

/**
 * Per Duo user: last activity, last successful authentication (an activity-log `success` is
 * not a sign-in), over every source, from `activity_last`; days active / events since `sinceMs`
 * (whole UTC days, from the daily rollup). Users with no events are included with nulls and
 * zeros.
 *
 * @example await activitySummaries(db, { userKeys, sinceMs: addMs(now, -90 * DAY_MS) })
 */
export async function activitySummaries(
  db: Db,
  query: { readonly userKeys: readonly string[]; readonly sinceMs: EpochMs },
): Promise<ActivitySummary[]> {
  const keys = [...new Set(query.userKeys)];
  const ids = await lookupStrings(db, keys);
  const userIds = [...ids.values()];
  const sinceDay = dayOf(query.sinceMs);
  const windows = new Map<number, { days: number; events: number }>();
  const latest = new Map<number, { last: number; success: number | null }>();
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
      .selectFrom('activity_last')
      .select([
        'user_key',
        (eb) => eb.fn.max<number>('last_ms').as('last_ms'),
        (eb) => eb.fn.max<number | null>('last_success_ms').as('success_ms'),
      ])
      .where('user_key', 'in', batch)
      .groupBy('user_key')
      .execute();
    for (const r of last) latest.set(r.user_key, { last: r.last_ms, success: r.success_ms });
  }
  return keys.map((userKey) => {
    const id = ids.get(userKey);
    const w = id === undefined ? undefined : windows.get(id);
    const l = id === undefined ? undefined : latest.get(id);
    return {
      userKey,
      lastActivityMs: l === undefined ? null : epochMs(l.last),
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
 * Applications, factors and locations a set of Duo users used on UTC days `fromDay` to `toDay`
 * (inclusive, days since the epoch), most used first, with first and last use, from
 * `activity_usage_daily`. Factors are those of authentications: a telephony row repeats the
 * factor of the authentication that sent it, so counting it too would count one sign-in twice.
 *
 * @example await activityUsage(db, { userKeys, fromDay: today - 89, toDay: today })
 */
export async function activityUsage(
  db: Db,
  query: { readonly userKeys: readonly string[]; readonly fromDay: number; readonly toDay: number },
): Promise<ActivityUsage> {
  const ids = [...(await lookupStrings(db, query.userKeys)).values()];
  const used = new Map<string, { kind: number } & UsageCell>();
  for (const batch of chunks(ids, 500)) {
    const rows = await db
      .selectFrom('activity_usage_daily')
      .select(['day', 'applications', 'factors', 'locations'])
      .where('user_key', 'in', batch)
      .where('day', '>=', query.fromDay)
      .where('day', '<=', query.toDay)
      .execute();
    for (const row of rows)
      for (const [kind, text] of [
        [USAGE_KINDS.application, row.applications],
        [USAGE_KINDS.factor, row.factors],
        [USAGE_KINDS.location, row.locations],
      ] as const)
        for (const cell of decodeUsageCells(text, row.day)) {
          const key = `${String(kind)}|${String(cell.value)}`;
          const before = used.get(key);
          used.set(key, {
            kind,
            value: cell.value,
            count: (before?.count ?? 0) + cell.count,
            firstMs: Math.min(before?.firstMs ?? cell.firstMs, cell.firstMs),
            lastMs: Math.max(before?.lastMs ?? cell.lastMs, cell.lastMs),
          });
        }
  }
  const names = await stringValues(
    db,
    [...used.values()].map((u) => u.value),
  );
  const of = (kind: number): UsageCount[] =>
    [...used.values()]
      .filter((u) => u.kind === kind && u.count > 0)
      .map((u) => ({
        value: names.get(u.value) ?? '',
        count: u.count,
        firstMs: epochMs(u.firstMs),
        lastMs: epochMs(u.lastMs),
      }))
      .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  return {
    applications: of(USAGE_KINDS.application),
    factors: of(USAGE_KINDS.factor),
    locations: of(USAGE_KINDS.location),
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
  const wanted = new Set(places.values());
  for (const batch of chunks(users, 500)) {
    const rows = await db
      .selectFrom('activity_usage_daily')
      .select(['day', 'locations'])
      .where('user_key', 'in', batch)
      .where('day', '<=', dayOf(query.beforeMs))
      .execute();
    for (const row of rows)
      for (const cell of decodeUsageCells(row.locations, row.day)) {
        const name = names.get(cell.value);
        if (wanted.has(cell.value) && cell.firstMs < query.beforeMs && name !== undefined)
          seen.add(name);
      }
  }
  return seen;
}

/**
 * The Duo users of a source with their events since `fromDay` (from the daily rollup), most
 * active first: how the benchmark finds the heaviest identities.
 *
 * @example const [heaviest] = await usersByActivity(db, { sourceId, fromDay: today - 89 });
 */
export async function usersByActivity(
  db: Db,
  query: { readonly sourceId: string; readonly fromDay: number },
): Promise<{ readonly userKey: string; readonly events: number }[]> {
  const rows = await db
    .selectFrom('activity_daily as d')
    .innerJoin('strings as s', 's.id', 'd.user_key')
    .select(['s.value', (eb) => eb.fn.sum<number>('d.count').as('events')])
    .where('d.source_id', '=', query.sourceId)
    .where('d.day', '>=', query.fromDay)
    .where('d.user_key', '<>', 0)
    .groupBy('s.value')
    .orderBy('events', 'desc')
    .orderBy('s.value')
    .execute();
  return rows.map((r) => ({ userKey: r.value, events: r.events }));
}
