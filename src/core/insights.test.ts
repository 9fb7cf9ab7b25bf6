import { expect, it } from 'vitest';
import type { NormalisedEvent } from '../domain/activity.js';
import { ForbiddenError, NotFoundError } from '../domain/errors.js';
import { DAY_MS, ms } from '../domain/time.js';
import {
  authEvents,
  newSource,
  telephonyEvent,
  userKey,
} from '../../test/support/activity-fixtures.js';
import { describeEachDatabase } from '../../test/support/db.js';
import { ingestActivityPage } from '../store/activity/ingest.js';
import type { Db } from '../store/dialect.js';
import { cliActor, SCHEDULER } from './actor.js';
import { identityInsights, OrganisationAverages, readIdentityInsights } from './insights.js';

const NOW = Date.UTC(2025, 5, 30, 12);
let seed = 700;

/** An identity with one Duo account, and the Duo user key its events carry. */
async function person(db: Db): Promise<{ identityId: string; sourceId: string; key: string }> {
  const { sourceId, ownerId } = await newSource(db);
  const { sourceId: duoSource } = await newSource(db, 'duo');
  seed += 1;
  const key = userKey(0, seed);
  await db
    .insertInto('accounts')
    .values({
      source_id: duoSource,
      duo_user_id: key,
      username: `person${String(seed)}@example.com`,
      status: 'active',
      aliases: '[]',
      identity_id: ownerId,
      first_seen_at: NOW,
      last_seen_at: NOW,
    })
    .execute();
  return { identityId: ownerId, sourceId, key };
}

interface Auth {
  readonly daysAgo: number;
  readonly result?: string;
  readonly factor?: string;
  readonly location?: string;
}

/** Authentication events of `key`, one per entry, `daysAgo` before NOW. */
function auths(key: string, entries: readonly Auth[]): NormalisedEvent[] {
  const shapes = authEvents({ count: entries.length, startMs: ms(NOW), users: 1, seed });
  return entries.map((entry, i) => {
    const shape = shapes[i];
    if (!shape) throw new Error('fixture');
    return {
      ...shape,
      naturalKey: `${key}-${String(i)}`,
      txid: `${key}-${String(i)}`,
      userKey: key,
      tsMs: ms(NOW - entry.daysAgo * DAY_MS - i * 1000),
      result: entry.result ?? 'success',
      factor: entry.factor ?? 'duo_push',
      location: entry.location ?? 'Ann Arbor, Michigan, United States',
    };
  });
}

async function store(db: Db, sourceId: string, events: readonly NormalisedEvent[]) {
  const stream = events[0]?.naturalKey.startsWith('tel-') ? 'telephony' : 'authentication';
  await ingestActivityPage(db, { sourceId, stream, events, cursor: 1 });
}

describeEachDatabase('identity insights', (t) => {
  const insightsOf = (identityId: string) =>
    identityInsights(t.db, identityId, NOW, new OrganisationAverages());

  it('counts telephony as its own type, never as a denied authentication', async () => {
    const { identityId, sourceId, key } = await person(t.db);
    const events = auths(key, [
      { daysAgo: 1, factor: 'sms_passcode' },
      { daysAgo: 1, factor: 'sms_passcode' },
      { daysAgo: 2, factor: 'phone_call' },
      { daysAgo: 2 },
      { daysAgo: 3 },
      { daysAgo: 3, result: 'denied' },
      { daysAgo: 4, result: 'fraud' },
    ]);
    await store(t.db, sourceId, events);
    const telephony = events
      .slice(0, 3)
      .map((e, i) => telephonyEvent(`tel-${key}-${String(i)}`, e.naturalKey, ms(e.tsMs + 1000)));
    await store(t.db, sourceId, telephony);

    const insights = await insightsOf(identityId);
    expect(insights.authentications).toEqual({ total: 7, success: 5, denied: 1, fraud: 1 });
    expect(insights.eventsByType).toEqual({
      authentication: 7,
      telephony: 3,
      administrator: 0,
      offline_enrollment: 0,
      activity: 0,
      trust_monitor: 0,
    });
    expect(insights.counts.d90).toBe(10);
    // The chart's stacked series holds authentication results only; other types apart.
    expect(new Set(insights.daily.map((c) => c.result))).toEqual(
      new Set(['success', 'denied', 'fraud']),
    );
    expect(insights.daily.reduce((s, c) => s + c.count, 0)).toBe(7);
    expect(insights.dailyByType.map((c) => [c.type, c.count])).toEqual([
      ['telephony', 1],
      ['telephony', 2],
    ]);
    // A telephony row repeats its authentication's factor: the factor is counted once.
    expect(insights.factors.map((f) => [f.value, f.label, f.count])).toEqual([
      ['duo_push', 'Duo Push', 4],
      ['sms_passcode', 'SMS passcode', 2],
      ['phone_call', 'Phone call', 1],
    ]);
    expect(insights.lastSuccessMs).toBe(Math.max(...events.slice(0, 5).map((e) => e.tsMs)));
  });

  it('flags no place as new while the history is shorter than the window, and says so', async () => {
    const { identityId, sourceId, key } = await person(t.db);
    await store(
      t.db,
      sourceId,
      auths(key, [
        { daysAgo: 9, location: 'Ann Arbor, Michigan, United States' },
        { daysAgo: 5, location: 'Ann Arbor, Michigan, United States' },
        { daysAgo: 2, location: 'London, England, United Kingdom' },
      ]),
    );
    const insights = await insightsOf(identityId);
    expect(insights.locationHistory).toEqual({
      newWithinDays: 14,
      enough: false,
      firstActivityMs: NOW - 9 * DAY_MS,
    });
    expect(insights.newLocations).toEqual([]);
    expect(insights.locations.every((l) => !l.isNew)).toBe(true);
  });

  it('flags a place new only when first seen in the window after earlier activity elsewhere', async () => {
    const { identityId, sourceId, key } = await person(t.db);
    await store(
      t.db,
      sourceId,
      auths(key, [
        { daysAgo: 120, location: 'Berlin, Berlin, Germany' },
        { daysAgo: 40, location: 'Ann Arbor, Michigan, United States' },
        { daysAgo: 5, location: 'Ann Arbor, Michigan, United States' },
        { daysAgo: 3, location: 'Berlin, Berlin, Germany' },
        { daysAgo: 2, location: 'London, England, United Kingdom' },
        { daysAgo: 1, location: 'London, England, United Kingdom' },
      ]),
    );
    const insights = await insightsOf(identityId);
    expect(insights.locationHistory.enough).toBe(true);
    expect(insights.locations.map((l) => [l.value, l.count, l.isNew])).toEqual([
      ['Ann Arbor, Michigan, United States', 2, false],
      ['London, England, United Kingdom', 2, true],
      ['Berlin, Berlin, Germany', 1, false],
    ]);
    expect(insights.newLocations.map((l) => l.value)).toEqual(['London, England, United Kingdom']);
  });

  it('are read through the use case by the command line, never by the scheduler', async () => {
    const { identityId, sourceId, key } = await person(t.db);
    await store(t.db, sourceId, auths(key, [{ daysAgo: 1 }, { daysAgo: 3 }]));
    const deps = { db: t.db, clock: () => NOW, averages: new OrganisationAverages() };
    const read = await readIdentityInsights(deps, cliActor('alice'), { identityId });
    expect(read).toEqual(await insightsOf(identityId));
    expect(read.daysActive90).toBe(2);
    await expect(readIdentityInsights(deps, SCHEDULER, { identityId })).rejects.toThrow(
      ForbiddenError,
    );
    await expect(
      readIdentityInsights(deps, cliActor('alice'), { identityId: 'no-such-identity' }),
    ).rejects.toThrow(NotFoundError);
  });
});
