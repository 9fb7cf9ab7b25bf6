import { expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, ms } from '../../domain/time.js';
import { authEvents, newSource, userKey } from '../../../test/support/activity-fixtures.js';
import { describeEachDatabase } from '../../../test/support/db.js';
import { ingestActivityPage } from './ingest.js';
import { activitySummaries, activityUsage, dailyActivity } from './insights.js';

const START = ms(Date.UTC(2025, 0, 6));

describeEachDatabase('activity insights', (t) => {
  it('summarises last activity, last success, days active and usage per user', async () => {
    const { sourceId } = await newSource(t.db);
    const events = authEvents({
      count: 600,
      startMs: START,
      gapMs: 2 * HOUR_MS,
      users: 3,
      seed: 51,
    });
    await ingestActivityPage(t.db, { sourceId, stream: 'authentication', events, cursor: 1 });
    const key = userKey(0, 51);
    const mine = events.filter((e) => e.userKey === key);
    const since = ms(START + 10 * DAY_MS);
    const [summary, nobody] = await activitySummaries(t.db, {
      userKeys: [key, 'DU-never-seen'],
      sinceMs: since,
    });
    expect(summary).toEqual({
      userKey: key,
      lastActivityMs: Math.max(...mine.map((e) => e.tsMs)),
      lastSuccessMs: Math.max(...mine.filter((e) => e.result === 'success').map((e) => e.tsMs)),
      daysActive: new Set(
        mine.filter((e) => e.tsMs >= since).map((e) => Math.floor(e.tsMs / DAY_MS)),
      ).size,
      events: mine.filter((e) => Math.floor(e.tsMs / DAY_MS) >= Math.floor(since / DAY_MS)).length,
    });
    expect(nobody).toEqual({
      userKey: 'DU-never-seen',
      lastActivityMs: null,
      lastSuccessMs: null,
      daysActive: 0,
      events: 0,
    });

    const daily = await dailyActivity(t.db, {
      userKeys: [key],
      fromDay: Math.floor(START / DAY_MS),
      toDay: Math.floor(START / DAY_MS) + 1000,
    });
    expect(daily.reduce((s, d) => s + d.count, 0)).toBe(mine.length);
    expect(new Set(daily.map((d) => d.result))).toEqual(new Set(mine.map((e) => e.result ?? null)));

    const usage = await activityUsage(t.db, {
      userKeys: [key],
      fromDay: Math.floor(START / DAY_MS),
      toDay: Math.floor(START / DAY_MS) + 1000,
    });
    expect(usage.applications.reduce((s, a) => s + a.count, 0)).toBe(mine.length);
    expect(usage.factors.map((f) => f.value).sort()).toEqual(
      [...new Set(mine.map((e) => e.factor ?? ''))].sort(),
    );
    expect(usage.locations.length).toBeGreaterThan(0);
  });
});
