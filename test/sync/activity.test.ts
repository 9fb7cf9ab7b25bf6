/**
 * Activity sync against the simulator over real HTTP, on SQLite and PostgreSQL: what the store
 * holds after a sync is exactly what Duo shows, stream by stream, key by key.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { StreamRunCounts } from '../../src/domain/runs.js';
import { STREAM_INFO, STREAMS } from '../../src/domain/streams.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../src/domain/time.js';
import { listActivityDaily, recountActivityDaily } from '../../src/store/activity/daily.js';
import { listStreams } from '../../src/store/streams.js';
import { syncActivitySource } from '../../src/sync/activity-sync.js';
import type { SyncContext } from '../../src/sync/context.js';
import { PUBLISH_DELAY_MS, type StreamCursor } from '../../src/sync/cursor.js';
import { control } from '../../src/sim/testing.js';
import type { RequestLogEntry } from '../../src/sim/server.js';
import { describeEachDatabase } from '../support/db.js';
import {
  advanceSimClock,
  createConfiguredSource,
  startTestSimulator,
  storedKeys,
  changedRecords,
  syncContext,
  truthKeys,
  type TestSimulator,
} from '../support/sync.js';

const BACKFILL_DAYS = 2;

describeEachDatabase('activity sync against the simulator', (t) => {
  let sim: TestSimulator;
  let ctx: SyncContext;
  let sourceId: string;
  let syncedUntil: number;

  beforeAll(async () => {
    // A frozen simulator clock (speed 0): nothing new happens between syncs unless a test says so.
    sim = await startTestSimulator({
      users: 300,
      days: 3,
      authEventsPerDay: 3000,
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

  it('the first sync stores every event Duo shows for every stream over the last 24 h and the backfill, once', async () => {
    const run = await syncActivitySource(ctx, sourceId, { trigger: 'manual' });
    expect(run.status, JSON.stringify({ error: run.error, progress: run.progress })).toBe(
      'succeeded',
    );

    const streams = await listStreams(t.db, sourceId);
    expect(streams.map((s) => s.stream).sort()).toEqual([...STREAMS].sort());
    const expectedEnd = sim.sim.now() - PUBLISH_DELAY_MS;
    for (const stream of streams) {
      expect(stream.state, stream.stream).toBe('ok');
      const cursor = stream.cursor as StreamCursor;
      // Up to date, and the backfill is finished (nothing left to fetch).
      expect(cursor.syncedUntil, stream.stream).toBe(expectedEnd);
      expect(cursor.window, stream.stream).toBeUndefined();
      expect(cursor.backfill, stream.stream).toBeUndefined();
    }
    syncedUntil = expectedEnd;

    const from = syncedUntil - BACKFILL_DAYS * DAY_MS;
    for (const stream of STREAMS) {
      const truth = await truthKeys(sim, stream, from, syncedUntil);
      const stored = await storedKeys(t.db, sourceId, stream, from, syncedUntil);
      expect(truth.length, `${stream} has events in the simulator`).toBeGreaterThan(0);
      expect(stored.length, `${stream}: stored vs Duo`).toBe(truth.length);
      expect(stored, stream).toEqual(truth);
      expect(new Set(stored).size, `${stream}: no duplicates`).toBe(stored.length);
    }
    // Nothing older than the backfill depth was fetched (beyond the first older v1 page boundary).
    for (const stream of ['authentication', 'telephony', 'activity'] as const) {
      const older = await storedKeys(t.db, sourceId, stream, 0, from - 1);
      expect(older, stream).toEqual([]);
    }
    const counts = run.counts[STREAMS[0]] as StreamRunCounts;
    expect(counts.eventsNew).toBeGreaterThan(0);
    expect(counts.rejected).toBe(0);
  });

  it('the first sync reads the last 24 hours of every stream before it backfills older days', async () => {
    const { requests } = await control<{ requests: RequestLogEntry[] }>(
      sim.sim,
      'GET',
      '/_sim/requests',
    );
    const firstWindowStart = syncedUntil - 24 * HOUR_MS;
    const v2 = requests.filter((r) => r.path.startsWith('/admin/v2/logs/'));
    const mintimeOf = (r: RequestLogEntry): number =>
      Number(r.params.find(([k]) => k === 'mintime')?.[1]);
    const recent = v2
      .map((r, i) => (mintimeOf(r) >= firstWindowStart ? i : -1))
      .filter((i) => i >= 0);
    const older = v2
      .map((r, i) => (mintimeOf(r) < firstWindowStart ? i : -1))
      .filter((i) => i >= 0);
    expect(recent.length).toBeGreaterThanOrEqual(3);
    expect(older.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...recent)).toBeLessThan(Math.min(...older));
    // Each v2 stream's first request is the 24 h window ending two minutes ago.
    for (const path of ['authentication', 'telephony', 'activity']) {
      const first = v2.find((r) => r.path === `/admin/v2/logs/${path}`);
      expect(first && mintimeOf(first), path).toBe(firstWindowStart);
      expect(first?.params.find(([k]) => k === 'maxtime')?.[1], path).toBe(String(syncedUntil));
    }
  });

  it('a second sync re-reads the reconciliation window and adds only what is new since the first', async () => {
    const before = await Promise.all(
      STREAMS.map((s) => storedKeys(t.db, sourceId, s, 0, Number.MAX_SAFE_INTEGER)),
    );
    await advanceSimClock(sim, 10 * MINUTE_MS);
    const newEnd = sim.sim.now() - PUBLISH_DELAY_MS;
    const run = await syncActivitySource(ctx, sourceId, { trigger: 'manual' });
    expect(run.status).toBe('succeeded');
    // The re-read window: 72 h before the last sync's end (v1 logs: from that whole second).
    const reconciled = syncedUntil - 72 * HOUR_MS;
    for (const [i, stream] of STREAMS.entries()) {
      const counts = run.counts[stream] as StreamRunCounts;
      const v1 = STREAM_INFO[stream].api === 'v1';
      const window = await truthKeys(
        sim,
        stream,
        v1 ? Math.floor(reconciled / 1000) * 1000 : reconciled,
        newEnd,
      );
      const expected = [...new Set([...(before[i] ?? []), ...window])].sort();
      expect(counts.pages, stream).toBeGreaterThan(0);
      expect(counts.eventsNew, stream).toBe(expected.length - (before[i] ?? []).length);
      expect(counts.eventsUpdated, `${stream}: ${changedRecords()}`).toBe(0);
      const after = await storedKeys(t.db, sourceId, stream, 0, Number.MAX_SAFE_INTEGER);
      expect(after, stream).toEqual(expected);
    }
    // Nothing left to read: a sync at the same instant reads nothing and stores nothing.
    const again = await syncActivitySource(ctx, sourceId, { trigger: 'manual' });
    expect(again.status).toBe('succeeded');
    for (const stream of STREAMS) expect(again.counts[stream], stream).toBeUndefined();
  });

  it('telephony rows belong to the user of the authentication with their txid', async () => {
    const rows = await t.db
      .selectFrom('activity_events as tel')
      .innerJoin('event_streams as tel_stream', 'tel_stream.id', 'tel.stream_id')
      .innerJoin('event_streams as auth_stream', (join) =>
        join
          .onRef('auth_stream.source_id', '=', 'tel_stream.source_id')
          .on('auth_stream.stream', '=', 'authentication'),
      )
      .innerJoin('activity_events as auth', (join) =>
        join
          .onRef('auth.natural_key', '=', 'tel.txid')
          .onRef('auth.stream_id', '=', 'auth_stream.id'),
      )
      .select(['tel.natural_key', 'tel.user_key as telUser', 'auth.user_key as authUser'])
      .where('tel_stream.source_id', '=', sourceId)
      .where('tel_stream.stream', '=', 'telephony')
      .execute();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.authUser, row.natural_key).not.toBeNull();
      expect(row.telUser, row.natural_key).toBe(row.authUser);
    }
  });

  it('the daily rollups equal a recount of the stored events', async () => {
    const rollup = await listActivityDaily(t.db, sourceId);
    expect(rollup.length).toBeGreaterThan(0);
    expect(rollup).toEqual(await recountActivityDaily(t.db, sourceId));
  });
});
