import { getEventListeners } from 'node:events';
import { beforeEach, describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/support/db.js';
import { dayOf, type NormalisedEvent } from '../domain/activity.js';
import { DEFAULT_SOURCE_SETTINGS, type Source } from '../domain/sources.js';
import type { StreamName } from '../domain/streams.js';
import { DAY_MS, ms } from '../domain/time.js';
import { createLogger } from '../logging.js';
import { ingestActivityPage } from '../store/activity/ingest.js';
import { sourceStreamStorage } from '../store/activity/retention.js';
import type { Db } from '../store/dialect.js';
import { createIdentity } from '../store/identities.js';
import { acquireLease } from '../store/leases.js';
import { createSource } from '../store/sources.js';
import {
  pruneSource,
  RetentionKeeper,
  retentionStatus,
  type RetentionContext,
} from './retention.js';
import { InputError, parseInput, SourceSettingsInput } from './sources.js';

const NOW = ms(Date.UTC(2026, 5, 1, 12));
const HISTORY_DAYS = 420;
const USERS = ['DURET000000000000001', 'DURET000000000000002'];
const STREAMS: readonly StreamName[] = ['authentication', 'telephony'];
const log = createLogger({ level: 'silent' });

/** One event per user, stream and day, at noon, from HISTORY_DAYS ago to today. */
function eventsOf(stream: StreamName): NormalisedEvent[] {
  const events: NormalisedEvent[] = [];
  for (let day = HISTORY_DAYS; day >= 0; day--) {
    for (const user of USERS) {
      const tsMs = ms(NOW - day * DAY_MS);
      const key = `${stream}-${user}-${String(day)}`;
      events.push({
        naturalKey: key,
        tsMs,
        userKey: user,
        username: user.toLowerCase(),
        result: 'success',
        ...(stream === 'authentication' ? { application: 'Okta', factor: 'duo_push' } : {}),
        payload: JSON.stringify({ key, tsMs }),
      });
    }
  }
  return events;
}

async function eventTimes(db: Db, sourceId: string, stream: StreamName): Promise<number[]> {
  const rows = await db
    .selectFrom('activity_events')
    .innerJoin('event_streams', 'event_streams.id', 'activity_events.stream_id')
    .select('activity_events.ts_ms')
    .where('event_streams.source_id', '=', sourceId)
    .where('event_streams.stream', '=', stream)
    .orderBy('activity_events.ts_ms')
    .execute();
  return rows.map((r) => r.ts_ms);
}

async function rollupDays(db: Db, sourceId: string) {
  const daily = await db
    .selectFrom('activity_daily')
    .select('day')
    .where('source_id', '=', sourceId)
    .execute();
  const usage = await db
    .selectFrom('activity_usage_daily')
    .select('day')
    .where('source_id', '=', sourceId)
    .execute();
  const org = await db
    .selectFrom('activity_org_daily')
    .select('day')
    .where('source_id', '=', sourceId)
    .execute();
  const last = await db
    .selectFrom('activity_last')
    .select(['user_key', 'last_ms', 'last_success_ms'])
    .where('source_id', '=', sourceId)
    .orderBy('user_key')
    .execute();
  const min = (rows: { day: number }[]) => Math.min(...rows.map((r) => r.day));
  return { daily: min(daily), usage: min(usage), org: min(org), last };
}

describeEachDatabase('retention', (t) => {
  let source: Source;
  const ctx = (): RetentionContext => ({ db: t.db, log, clock: () => NOW, holder: 'test:1' });

  beforeEach(async () => {
    const owner = await createIdentity(t.db, { displayName: 'Owner' });
    source = await createSource(t.db, {
      type: 'duo-activity',
      name: `Logs ${String(Math.random())}`,
      ownerIdentityId: owner.id,
      settings: { retentionDays: 200, rollupRetentionDays: 300 },
    });
    for (const stream of STREAMS) {
      const events = eventsOf(stream);
      for (let i = 0; i < events.length; i += 500) {
        await ingestActivityPage(t.db, {
          sourceId: source.id,
          stream,
          events: events.slice(i, i + 500),
          cursor: i,
        });
      }
    }
  });

  it('deletes events past the retention in batches, and rollups only past theirs', async () => {
    const before = await rollupDays(t.db, source.id);
    const cutoff = NOW - 200 * DAY_MS;
    const outcome = await pruneSource(ctx(), source, { batchSize: 50, pauseMs: 0 });

    for (const stream of STREAMS) {
      const times = await eventTimes(t.db, source.id, stream);
      // Days 200 … 0 stay (day 200 is exactly at the cutoff), days 420 … 201 go.
      expect(times.length).toBe(201 * USERS.length);
      expect(Math.min(...times)).toBe(cutoff);
    }
    expect(outcome.streams.map((s) => [s.stream, s.deleted])).toEqual([
      ['authentication', 220 * USERS.length],
      ['telephony', 220 * USERS.length],
    ]);
    expect(outcome.interrupted).toBeUndefined();

    const after = await rollupDays(t.db, source.id);
    const rollupCutoff = dayOf(ms(NOW - 300 * DAY_MS));
    expect(before.daily).toBe(dayOf(ms(NOW - HISTORY_DAYS * DAY_MS)));
    expect(after.daily).toBe(rollupCutoff);
    expect(after.usage).toBe(rollupCutoff);
    expect(after.org).toBe(rollupCutoff);
    // Last activity per user is kept whatever goes.
    expect(after.last).toEqual(before.last);
    expect(outcome.rollupRowsDeleted).toBeGreaterThan(0);
    expect(await retentionStatus(t.db, source.id)).toEqual(outcome);

    // A second pass finds nothing more to delete.
    const again = await pruneSource(ctx(), source, { batchSize: 50, pauseMs: 0 });
    expect(again.streams.every((s) => s.deleted === 0)).toBe(true);
    expect(again.rollupRowsDeleted).toBe(0);
  });

  it('keeps the events a hold still needs, and names the hold', async () => {
    const needed = ms(NOW - 250 * DAY_MS);
    const outcome = await pruneSource(ctx(), source, {
      pauseMs: 0,
      holds: [
        {
          name: 'destination SIEM',
          oldestNeeded: (s) => Promise.resolve(s.stream === 'authentication' ? needed : null),
        },
      ],
    });
    expect(Math.min(...(await eventTimes(t.db, source.id, 'authentication')))).toBe(needed);
    expect(Math.min(...(await eventTimes(t.db, source.id, 'telephony')))).toBe(NOW - 200 * DAY_MS);
    const auth = outcome.streams.find((s) => s.stream === 'authentication');
    expect(auth).toMatchObject({ heldBy: 'destination SIEM', deletedBeforeMs: needed });
    expect(outcome.streams.find((s) => s.stream === 'telephony')?.heldBy).toBeUndefined();
  });

  it('stops at a batch when asked, and the next pass goes on from there', async () => {
    const abort = new AbortController();
    let batches = 0;
    const counting: RetentionContext = {
      ...ctx(),
      clock: () => {
        batches++;
        return NOW;
      },
    };
    // Stop during the first stream.
    const stopping = pruneSource(counting, source, {
      batchSize: 30,
      pauseMs: 5,
      signal: abort.signal,
    });
    setTimeout(() => {
      abort.abort();
    }, 12);
    const stopped = await stopping;
    expect(stopped.interrupted).toBe('stopped');
    expect(batches).toBeGreaterThan(0);
    const left = (await eventTimes(t.db, source.id, 'authentication')).length;
    expect(left).toBeGreaterThan(201 * USERS.length);
    const rest = await pruneSource(ctx(), source, { pauseMs: 0 });
    expect(rest.interrupted).toBeUndefined();
    expect((await eventTimes(t.db, source.id, 'authentication')).length).toBe(201 * USERS.length);
  });

  it('leaves no listener on its signal after the pauses between batches', async () => {
    const abort = new AbortController();
    // 880 events a stream in batches of 20: over 80 pauses on one signal.
    const outcome = await pruneSource(ctx(), source, {
      batchSize: 20,
      pauseMs: 1,
      signal: abort.signal,
    });
    expect(outcome.interrupted).toBeUndefined();
    expect(getEventListeners(abort.signal, 'abort')).toEqual([]);
  });

  it('does not run a source whose retention lease another process holds', async () => {
    await acquireLease(t.db, { name: `retention:${source.id}`, holder: 'other:2', ttlMs: 60_000 });
    const keeper = new RetentionKeeper(ctx(), { pauseMs: 0 });
    expect(await keeper.runNow(source)).toBeUndefined();
    expect((await eventTimes(t.db, source.id, 'telephony')).length).toBe(
      (HISTORY_DAYS + 1) * USERS.length,
    );
    await keeper.stop();
  });

  it('says how much each stream holds', async () => {
    const storage = await sourceStreamStorage(t.db, source.id);
    expect(storage.map((s) => [s.stream, s.events, s.oldestMs, s.newestMs])).toEqual([
      ['authentication', (HISTORY_DAYS + 1) * USERS.length, NOW - HISTORY_DAYS * DAY_MS, NOW],
      ['telephony', (HISTORY_DAYS + 1) * USERS.length, NOW - HISTORY_DAYS * DAY_MS, NOW],
    ]);
    for (const s of storage) expect(s.estimatedBytes).toBeGreaterThan(0);
  });
});

describe('retention settings', () => {
  it('default to 400 days of events and 3 years of rollups', () => {
    expect(DEFAULT_SOURCE_SETTINGS.retentionDays).toBe(400);
    expect(DEFAULT_SOURCE_SETTINGS.rollupRetentionDays).toBe(1095);
  });

  it('refuse less than Duo keeps, and rollups shorter than events, naming the field', () => {
    const problem = (input: unknown) => {
      try {
        parseInput(SourceSettingsInput, input);
        return undefined;
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
        return (error as InputError).message;
      }
    };
    expect(problem({ retentionDays: 90 })).toMatch(/^retentionDays: .*180/);
    expect(problem({ retentionDays: 400, rollupRetentionDays: 300 })).toMatch(
      /^rollupRetentionDays: must be at least retentionDays \(400\)/,
    );
    expect(problem({ retentionDays: 200, rollupRetentionDays: 365 })).toBeUndefined();
  });
});
