/**
 * An identity's insights, from the daily rollup and the (user_key, ts) index of its Duo users
 * (the Duo user ids of its accounts): last activity, last success, days active in 90 days,
 * event counts over 30/90 days beside the organisation's average per active Duo user,
 * applications, factors, locations (new ones: first seen in the last 14 days) and a daily
 * series by result.
 *
 * @example const insights = await identityInsights(db, identityId, Date.now(), averages);
 */
import { dayOf } from '../domain/activity.js';
import { DAY_MS, ms } from '../domain/time.js';
import { listAccounts } from '../store/accounts.js';
import { activitySummaries, activityUsage, dailyActivity } from '../store/activity.js';
import type { Db } from '../store/dialect.js';
import { organisationActivity } from '../store/reports.js';

export const NEW_LOCATION_DAYS = 14;

/** The organisation's averages change slowly and cost a scan of the rollup: kept a few minutes. */
export class OrganisationAverages {
  readonly #ttlMs: number;
  #cached: { at: number; today: number; value: { d30: number; d90: number } } | undefined;

  constructor(ttlMs = 5 * 60_000) {
    this.#ttlMs = ttlMs;
  }

  async get(db: Db, now: number): Promise<{ d30: number; d90: number }> {
    const today = dayOf(ms(Math.floor(now)));
    const cached = this.#cached;
    if (cached && cached.today === today && now - cached.at < this.#ttlMs) return cached.value;
    const perUser = async (days: number): Promise<number> => {
      const org = await organisationActivity(db, { fromDay: today - days + 1, toDay: today });
      return org.users === 0 ? 0 : Math.round((org.events / org.users) * 10) / 10;
    };
    const value = { d30: await perUser(30), d90: await perUser(90) };
    this.#cached = { at: now, today, value };
    return value;
  }
}

export function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The Duo user ids (`user.key` in logs) of an identity's accounts, deleted ones included. */
export async function duoUserKeysOf(db: Db, identityId: string): Promise<string[]> {
  const accounts = await listAccounts(db, { identityId, includeDeleted: true, limit: 1000 });
  return [...new Set(accounts.map((a) => a.duoUserId))];
}

export async function identityInsights(
  db: Db,
  identityId: string,
  now: number,
  averages: OrganisationAverages,
) {
  const userKeys = await duoUserKeysOf(db, identityId);
  const nowMs = ms(Math.floor(now));
  const today = dayOf(nowMs);
  const summaries = await activitySummaries(db, { userKeys, sinceMs: ms(nowMs - 90 * DAY_MS) });
  const latest = (pick: (s: (typeof summaries)[number]) => number | null): number | null =>
    summaries.reduce<number | null>((max, s) => {
      const v = pick(s);
      return v !== null && (max === null || v > max) ? v : max;
    }, null);
  const daily = await dailyActivity(db, { userKeys, fromDay: today - 89, toDay: today });
  const byDayResult = new Map<string, { day: number; result: string | null; count: number }>();
  const activeDays = new Set<number>();
  let d30 = 0;
  let d90 = 0;
  for (const cell of daily) {
    if (cell.count <= 0) continue;
    activeDays.add(cell.day);
    d90 += cell.count;
    if (cell.day > today - 30) d30 += cell.count;
    const key = `${cell.day}|${cell.result ?? ''}`;
    const entry = byDayResult.get(key) ?? { day: cell.day, result: cell.result, count: 0 };
    entry.count += cell.count;
    byDayResult.set(key, entry);
  }
  const usage = await activityUsage(db, {
    userKeys,
    fromMs: ms(nowMs - 90 * DAY_MS),
    toMs: ms(nowMs + 1),
  });
  const newSince = nowMs - NEW_LOCATION_DAYS * DAY_MS;
  const locations = usage.locations.map((l) => ({ ...l, isNew: l.firstMs >= newSince }));
  return {
    identityId,
    duoUserKeys: userKeys,
    lastActivityMs: latest((s) => s.lastActivityMs),
    lastSuccessMs: latest((s) => s.lastSuccessMs),
    daysActive90: activeDays.size,
    counts: { d30, d90 },
    orgAverage: await averages.get(db, now),
    applications: usage.applications,
    factors: usage.factors,
    locations,
    newLocations: locations.filter((l) => l.isNew),
    daily: [...byDayResult.values()]
      .sort((a, b) => a.day - b.day || (a.result ?? '').localeCompare(b.result ?? ''))
      .map((c) => ({
        day: isoDay(c.day),
        dayMs: c.day * DAY_MS,
        result: c.result,
        count: c.count,
      })),
    dailyByStream: daily.map((c) => ({ ...c, day: isoDay(c.day), dayMs: c.day * DAY_MS })),
  };
}
