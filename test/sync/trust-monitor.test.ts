/**
 * The Trust Monitor stream synced from the simulator over real HTTP, on SQLite and PostgreSQL:
 * exactly Duo's events after a sync cut off mid-window and resumed, each attributed to its Duo
 * user, a triage state changed in Duo updated in place, and a plan without Trust Monitor
 * (404) leaving the stream "not available" while the run succeeds.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DAY_MS, MINUTE_MS, ms } from '../../src/domain/time.js';
import type { DuoTrustMonitorEvent } from '../../src/duo/wire.js';
import { simEventFromRecord } from '../../src/sim/records.js';
import { findStream } from '../../src/store/streams.js';
import { syncActivitySource } from '../../src/sync/activity-sync.js';
import type { SyncContext } from '../../src/sync/context.js';
import { PUBLISH_DELAY_MS, type StreamCursor } from '../../src/sync/cursor.js';
import { describeEachDatabase } from '../support/db.js';
import {
  addFault,
  advanceSimClock,
  clearFaults,
  compareWithTruth,
  createConfiguredSource,
  EQUAL_TO_TRUTH,
  startForbiddingProxy,
  startTestSimulator,
  storedKeys,
  syncContext,
  type TestSimulator,
} from '../support/sync.js';

const BACKFILL_DAYS = 120;
const PATH = '/admin/v1/trust_monitor/events';

describeEachDatabase('the Trust Monitor stream', (t) => {
  let sim: TestSimulator;
  let ctx: SyncContext;
  let sourceId: string;

  beforeAll(async () => {
    // 8 events a day over 125 days: about 1,000, five pages of 200 for the backfill.
    sim = await startTestSimulator({
      users: 300,
      days: 125,
      authEventsPerDay: 4000,
      clock: { speed: 0 },
    });
    ctx = syncContext(t.db, { clock: () => sim.sim.now() });
    const source = await createConfiguredSource(ctx, sim, 'duo-activity', {
      backfillDays: BACKFILL_DAYS,
    });
    sourceId = source.id;
  });
  afterAll(async () => {
    ctx.duo.close();
    await sim.close();
  });

  it('a sync cut off mid-backfill resumes where it stopped: nothing lost, nothing twice', async () => {
    // The 24 h window is one request, the backfill's first page the second; then Duo fails.
    await addFault(sim, { kind: '5xx', path: PATH, after: 2, count: 100 });
    const cut = await syncActivitySource(ctx, sourceId, {
      trigger: 'manual',
      streams: ['trust_monitor'],
    });
    expect(cut.status).not.toBe('succeeded');
    const failing = await findStream(t.db, sourceId, 'trust_monitor');
    expect(failing?.state).toBe('failing');
    const end = sim.sim.now() - PUBLISH_DELAY_MS;
    const from = end - BACKFILL_DAYS * DAY_MS;
    const partial = await compareWithTruth(t.db, sim, sourceId, 'trust_monitor', from, end);
    expect(partial.truth).toBeGreaterThan(800);
    expect(partial.missing.length).toBeGreaterThan(0);
    expect(partial.duplicates).toBe(0);
    expect((failing?.cursor as StreamCursor).backfill).toBeDefined();

    await clearFaults(sim);
    const resumed = await syncActivitySource(ctx, sourceId, {
      trigger: 'manual',
      streams: ['trust_monitor'],
    });
    expect(resumed.status, JSON.stringify(resumed.error)).toBe('succeeded');
    expect(await compareWithTruth(t.db, sim, sourceId, 'trust_monitor', from, end)).toEqual(
      EQUAL_TO_TRUTH,
    );
    expect((await findStream(t.db, sourceId, 'trust_monitor'))?.state).toBe('ok');
  });

  it('attributes each event to the Duo user of its surfaced authentication or bypass', async () => {
    const truth = new Map<string, DuoTrustMonitorEvent>();
    for (const e of sim.sim.dataset.events('trust_monitor', ms(0), ms(sim.sim.now())))
      truth.set(e.key, e.record as DuoTrustMonitorEvent);
    const stored = await t.db
      .selectFrom('activity_events')
      .innerJoin('event_streams', 'event_streams.id', 'activity_events.stream_id')
      .select(['natural_key', 'activity_events.user_key'])
      .where('event_streams.source_id', '=', sourceId)
      .where('event_streams.stream', '=', 'trust_monitor')
      .execute();
    expect(stored.length).toBeGreaterThan(800);
    const userKeys = await t.db.selectFrom('strings').select(['id', 'value']).execute();
    const valueOf = new Map(userKeys.map((s) => [s.id, s.value]));
    for (const row of stored) {
      const event = truth.get(row.natural_key);
      const expected = event?.surfaced_auth?.user?.key ?? event?.enabled_for?.key;
      expect(valueOf.get(Number(row.user_key)), row.natural_key).toBe(expected);
    }
  });

  it('a triage state changed in Duo replaces the stored state on the next sync, without a duplicate', async () => {
    const end = sim.sim.now() - PUBLISH_DELAY_MS;
    const recent = [...sim.sim.dataset.events('trust_monitor', ms(end - DAY_MS), ms(end))];
    const fresh = recent.find((e) => e.record.state === 'new');
    expect(fresh).toBeDefined();
    if (fresh === undefined) return;
    const triaged = {
      ...fresh.record,
      state: 'processed',
      triaged_as_interesting: true,
      state_updated_timestamp: end,
    };
    sim.sim.dataset.inject([simEventFromRecord('trust_monitor', triaged)]);
    // Only the events up to `end`: the ten minutes the clock moves on may publish new ones.
    const before = await storedKeys(t.db, sourceId, 'trust_monitor', 0, end);
    await advanceSimClock(sim, 10 * MINUTE_MS);
    const run = await syncActivitySource(ctx, sourceId, {
      trigger: 'manual',
      streams: ['trust_monitor'],
    });
    expect(run.status).toBe('succeeded');
    expect(await storedKeys(t.db, sourceId, 'trust_monitor', 0, end)).toEqual(before);
    const all = await storedKeys(t.db, sourceId, 'trust_monitor', 0, Number.MAX_SAFE_INTEGER);
    expect(new Set(all).size).toBe(all.length);
    const row = await t.db
      .selectFrom('activity_events')
      .innerJoin('event_streams', 'event_streams.id', 'activity_events.stream_id')
      .innerJoin('strings', 'strings.id', 'activity_events.result')
      .select(['strings.value as state'])
      .where('event_streams.source_id', '=', sourceId)
      .where('natural_key', '=', fresh.key)
      .executeTakeFirstOrThrow();
    expect(row.state).toBe('processed');
  });

  it('is "not available" on a plan without Trust Monitor (404) while the run succeeds', async () => {
    const proxy = await startForbiddingProxy(sim, [PATH], 404);
    try {
      const other = await createConfiguredSource(ctx, proxy, 'duo-activity', { backfillDays: 1 });
      const run = await syncActivitySource(ctx, other.id, {
        trigger: 'manual',
        streams: ['trust_monitor', 'offline_enrollment'],
      });
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      const stream = await findStream(t.db, other.id, 'trust_monitor');
      expect(stream?.state).toBe('not_available');
      expect(stream?.lastError?.message).toContain('Trust Monitor logs are not available');
      expect((await findStream(t.db, other.id, 'offline_enrollment'))?.state).toBe('ok');
    } finally {
      await proxy.close();
    }
  });
});
