/**
 * An identity's insights, from the rollups of its Duo users (the Duo user ids of its accounts)
 * — never their raw events, however many: last activity, last successful authentication, days
 * active in 90 days, event counts over 30/90 days beside the organisation's average per active
 * Duo user, authentications by result and events by type (telephony, administrator, offline
 * enrollment and activity events are never authentication results), applications, factors (of
 * authentications, under their one name and label) and locations used on the last 90 UTC days
 * (the days of the chart), locations (new: first seen in the last 14
 * days by an identity active before them; none while the history is shorter) and a daily
 * series of authentication results, with the other types per day apart.
 *
 * `readIdentityInsights` is the use case every front door calls: it checks the actor (any
 * signed-in role and the command line may read insights) and that the identity exists.
 *
 * @example const insights = await readIdentityInsights(deps, actor, { identityId });
 */
import { authenticationOutcome, dayOf, type DailyCount } from '../domain/activity.js';
import { factorLabel } from '../domain/factors.js';
import { STREAMS, type StreamName } from '../domain/streams.js';
import { DAY_MS, ms } from '../domain/time.js';
import { listAccounts } from '../store/accounts.js';
import {
  activitySummaries,
  activityUsage,
  dailyActivity,
  firstActivityMs,
  locationsSeenBefore,
} from '../store/activity/insights.js';
import type { Db } from '../store/dialect.js';
import { getIdentity } from '../store/identities.js';
import { organisationActivity } from '../store/reports.js';
import type { Actor } from './actor.js';
import { authoriseReportReader } from './reports.js';

export const NEW_LOCATION_DAYS = 14;

/**
 * The organisation's averages (events per Duo user active in the last 30 / 90 days) change
 * slowly: read from the per-day totals (at most 90 rows per source), kept a few minutes.
 */
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
      const org = await organisationActivity(db, { sinceDay: today - days + 1 });
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

/** Events per type (log stream) in the last 90 days; every type present, zero or not. */
export type EventsByType = Record<StreamName, number>;

/** What insights read: the database, the clock, and the organisation's cached averages. */
export interface InsightsDeps {
  readonly db: Db;
  readonly clock: () => number;
  readonly averages: OrganisationAverages;
}

export interface IdentityInsightsInput {
  readonly identityId: string;
}

/** An identity's insights for the actor who asks; an unknown identity is a NotFoundError. */
export async function readIdentityInsights(
  deps: InsightsDeps,
  actor: Actor,
  input: IdentityInsightsInput,
) {
  authoriseReportReader(actor);
  const identity = await getIdentity(deps.db, input.identityId);
  return identityInsights(deps.db, identity.id, deps.clock(), deps.averages);
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
  const tally = tallyDaily(daily, today);
  const usage = await activityUsage(db, { userKeys, fromDay: today - 89, toDay: today });
  const locationHistory = await newLocationRule(db, userKeys, nowMs);
  const candidates = usage.locations.filter((l) => l.firstMs >= locationHistory.sinceMs);
  const seenBefore = locationHistory.enough
    ? await locationsSeenBefore(db, {
        userKeys,
        locations: candidates.map((l) => l.value),
        beforeMs: ms(locationHistory.sinceMs),
      })
    : new Set<string>();
  const locations = usage.locations.map((l) => ({
    ...l,
    isNew:
      locationHistory.enough && l.firstMs >= locationHistory.sinceMs && !seenBefore.has(l.value),
  }));
  return {
    identityId,
    duoUserKeys: userKeys,
    lastActivityMs: latest((s) => s.lastActivityMs),
    lastSuccessMs: latest((s) => s.lastSuccessMs),
    daysActive90: tally.activeDays,
    counts: tally.counts,
    authentications: tally.authentications,
    eventsByType: tally.eventsByType,
    orgAverage: await averages.get(db, now),
    applications: [...usage.applications],
    factors: usage.factors.map((f) => ({ ...f, label: factorLabel(f.value) })),
    locations,
    newLocations: locations.filter((l) => l.isNew),
    locationHistory: {
      newWithinDays: NEW_LOCATION_DAYS,
      enough: locationHistory.enough,
      firstActivityMs: locationHistory.firstActivityMs,
    },
    daily: tally.daily,
    dailyByType: tally.dailyByType,
    dailyByStream: daily.map((c) => ({ ...c, day: isoDay(c.day), dayMs: c.day * DAY_MS })),
  };
}

/**
 * The daily rollup folded into what insights show: authentication results per day (the chart's
 * stacked series), every other type per day apart, and their totals over 30 and 90 days.
 */
function tallyDaily(daily: readonly DailyCount[], today: number) {
  const eventsByType = Object.fromEntries(STREAMS.map((s) => [s, 0])) as EventsByType;
  const authentications = { total: 0, success: 0, denied: 0, fraud: 0 };
  const byDayResult = new Map<string, { day: number; result: string | null; count: number }>();
  const byDayType = new Map<string, { day: number; type: StreamName; count: number }>();
  const activeDays = new Set<number>();
  const counts = { d30: 0, d90: 0 };
  for (const cell of daily) {
    if (cell.count <= 0) continue;
    activeDays.add(cell.day);
    counts.d90 += cell.count;
    if (cell.day > today - 30) counts.d30 += cell.count;
    eventsByType[cell.stream] += cell.count;
    if (cell.stream === 'authentication') {
      authentications.total += cell.count;
      authentications[authenticationOutcome(cell.result)] += cell.count;
      const key = `${String(cell.day)}|${cell.result ?? ''}`;
      const entry = byDayResult.get(key) ?? { day: cell.day, result: cell.result, count: 0 };
      entry.count += cell.count;
      byDayResult.set(key, entry);
    } else {
      const key = `${String(cell.day)}|${cell.stream}`;
      const entry = byDayType.get(key) ?? { day: cell.day, type: cell.stream, count: 0 };
      entry.count += cell.count;
      byDayType.set(key, entry);
    }
  }
  const withDay = <T extends { day: number }>(c: T) => ({
    ...c,
    day: isoDay(c.day),
    dayMs: c.day * DAY_MS,
  });
  return {
    activeDays: activeDays.size,
    counts,
    authentications,
    eventsByType,
    daily: [...byDayResult.values()]
      .sort((a, b) => a.day - b.day || (a.result ?? '').localeCompare(b.result ?? ''))
      .map(withDay),
    dailyByType: [...byDayType.values()]
      .sort((a, b) => a.day - b.day || a.type.localeCompare(b.type))
      .map(withDay),
  };
}

/**
 * Whether places can be called new: only when the identity was active before the window of
 * `NEW_LOCATION_DAYS`; with a shorter history every place would look new, so none is.
 */
async function newLocationRule(db: Db, userKeys: readonly string[], nowMs: number) {
  const sinceMs = nowMs - NEW_LOCATION_DAYS * DAY_MS;
  const firstMs = await firstActivityMs(db, userKeys);
  return {
    sinceMs,
    firstActivityMs: firstMs,
    enough: firstMs !== null && firstMs < sinceMs,
  };
}
