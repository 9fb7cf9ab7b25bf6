/**
 * Activity sync against the simulator over real HTTP, on SQLite and PostgreSQL: what the store
 * holds after a sync is exactly what Duo shows, stream by stream, key by key.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { StreamRunCounts } from '../../src/domain/runs.js';
import { STREAM_INFO, STREAMS } from '../../src/domain/streams.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../src/domain/time.js';
import { listActivityDaily, recountActivityDaily } from '../../src/store/activity/daily.js';
import { getRun } from '../../src/store/runs.js';
import { findStream, listStreams } from '../../src/store/streams.js';
import { runStats } from '../../src/core/views.js';
import { syncActivitySource } from '../../src/sync/activity-sync.js';
import type { SyncContext } from '../../src/sync/context.js';
import { PUBLISH_DELAY_MS, type StreamCursor } from '../../src/sync/cursor.js';
import { control } from '../../src/sim/testing.js';
import type { RequestLogEntry } from '../../src/sim/server.js';
import { describeEachDatabase } from '../support/db.js';
import {
  addFault,
  advanceSimClock,
  clearFaults,
  compareWithTruth,
  createConfiguredSource,
  EQUAL_TO_TRUTH,
  eventually,
  startTestSimulator,
  storedKeys,
  changedRecords,
  syncContext,
  truthKeys,
  type TestSimulator,
} from '../support/sync.js';

const BACKFILL_DAYS = 2;
const PAGE = 1000;
const V2_STREAMS = ['authentication', 'telephony', 'activity'] as const;
const V1_STREAMS = ['administrator', 'offline_enrollment'] as const;

/** The requests of the simulator's log to one stream's endpoint, oldest first. */
async function logRequests(sim: TestSimulator, stream: string): Promise<RequestLogEntry[]> {
  const { requests } = await control<{ requests: RequestLogEntry[] }>(
    sim.sim,
    'GET',
    '/_sim/requests',
  );
  // Trust Monitor events are not under /logs/.
  const path = stream === 'trust_monitor' ? '/trust_monitor/events' : `/logs/${stream}`;
  return requests.filter((r) => r.path.endsWith(path));
}

function mintimeOf(r: RequestLogEntry): number {
  return Number(r.params.find(([k]) => k === 'mintime')?.[1]);
}

/** What a v2 window of `events` records may cost: one request, and one more per full page. */
function v2WindowRequests(events: number): number {
  return Math.max(1, Math.ceil(events / PAGE));
}

/**
 * What Duo's v1 paging needs to read from `mintime` (seconds) up to `untilMs`: pages of the
 * 1000 earliest records; a full page goes on at its latest second (or + 1 when it is all one).
 */
async function v1Requests(
  sim: TestSimulator,
  stream: (typeof V1_STREAMS)[number],
  mintime: number,
  untilMs: number,
): Promise<number> {
  const { keys } = await control<{ keys: string[] }>(
    sim.sim,
    'GET',
    `/_sim/truth/${stream}?mintime=0&maxtime=${String(sim.sim.now())}&keys=1`,
  );
  const times = keys.map((k) => (JSON.parse(k) as { timestamp: number }).timestamp).sort();
  let requests = 0;
  for (let from = mintime; ;) {
    requests++;
    const page = times.filter((t) => t >= from).slice(0, PAGE);
    if (page.length < PAGE) return requests;
    const latest = Math.max(...page);
    const next = latest > Math.min(...page) && latest > from ? latest : latest + 1;
    if (next * 1000 > untilMs) return requests;
    from = next;
  }
}

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

    // What the run page shows, read back from the stored run: every stream's first 24 h and its
    // backfill are two windows each, all read; pages and events summed over the streams.
    const stored = await getRun(t.db, run.id);
    const perStream = Object.values(stored.counts) as StreamRunCounts[];
    expect(runStats(stored)).toEqual({
      pages: perStream.reduce((sum, c) => sum + c.pages, 0),
      events: perStream.reduce((sum, c) => sum + c.eventsNew + c.eventsUpdated, 0),
      windows: { done: 2 * STREAMS.length, total: 2 * STREAMS.length },
      firstSync: true,
      warnings: [],
    });
    expect(stored.startedAt).not.toBeNull();
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

  it('each v2 window of the first sync costs one request per 1,000 events, without a request after its last page', async () => {
    const firstWindowStart = syncedUntil - 24 * HOUR_MS;
    const backfillStart = syncedUntil - BACKFILL_DAYS * DAY_MS;
    for (const stream of V2_STREAMS) {
      const requests = await logRequests(sim, stream);
      const recent = requests.filter((r) => mintimeOf(r) === firstWindowStart).length;
      const backfill = requests.filter((r) => mintimeOf(r) === backfillStart).length;
      const recentEvents = (await truthKeys(sim, stream, firstWindowStart, syncedUntil)).length;
      const backfillEvents = (await truthKeys(sim, stream, backfillStart, firstWindowStart)).length;
      expect({ recent, backfill, all: requests.length }, stream).toEqual({
        recent: v2WindowRequests(recentEvents),
        backfill: v2WindowRequests(backfillEvents),
        all: v2WindowRequests(recentEvents) + v2WindowRequests(backfillEvents),
      });
    }
  });

  it('a second sync re-reads the reconciliation window and adds only what is new since the first', async () => {
    await control(sim.sim, 'DELETE', '/_sim/requests');
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
      // One window, from the reconciliation point to now − 2 min: 1 request per 1,000 events.
      const requests = (await logRequests(sim, stream)).length;
      expect(requests, `${stream}: requests`).toBe(
        v1
          ? await v1Requests(
              sim,
              stream as (typeof V1_STREAMS)[number],
              Math.floor(reconciled / 1000),
              newEnd,
            )
          : v2WindowRequests(window.length),
      );
    }
    // One window per stream, and no longer a first sync.
    expect(runStats(await getRun(t.db, run.id))).toMatchObject({
      windows: { done: STREAMS.length, total: STREAMS.length },
      firstSync: false,
    });
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

describeEachDatabase('Duo requests spent by syncs of a quiet tenant', (t) => {
  const BACKFILL = 30;
  let sim: TestSimulator;
  let ctx: SyncContext;
  let sourceId: string;
  let syncedUntil: number;

  beforeAll(async () => {
    // A few events a day in each v2 stream: every window of it fits in one page.
    sim = await startTestSimulator({
      users: 40,
      days: BACKFILL + 2,
      authEventsPerDay: 15,
      clock: { speed: 0 },
    });
    ctx = syncContext(t.db, { clock: () => sim.sim.now() });
    sourceId = (await createConfiguredSource(ctx, sim, 'duo-activity', { backfillDays: BACKFILL }))
      .id;
  });
  afterAll(async () => {
    ctx.duo.close();
    await sim.close();
  });

  it('a quiet stream’s 30-day backfill costs one request, after one for its first 24 hours', async () => {
    const run = await syncActivitySource(ctx, sourceId, { trigger: 'manual' });
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    syncedUntil = sim.sim.now() - PUBLISH_DELAY_MS;
    const firstWindowStart = syncedUntil - 24 * HOUR_MS;
    const backfillStart = syncedUntil - BACKFILL * DAY_MS;
    for (const stream of V2_STREAMS) {
      const backfillEvents = (await truthKeys(sim, stream, backfillStart, firstWindowStart)).length;
      expect(backfillEvents, stream).toBeLessThan(PAGE);
      const requests = await logRequests(sim, stream);
      expect(
        requests.map((r) => mintimeOf(r)),
        stream,
      ).toEqual([firstWindowStart, backfillStart]);
    }
    // v1 logs: the backfill is one read from its start on, pages of 1,000 until a short one.
    for (const stream of V1_STREAMS) {
      const requests = await logRequests(sim, stream);
      const backfill = requests.filter((r) => mintimeOf(r) * 1000 < firstWindowStart - 1000);
      expect(backfill.length, stream).toBe(
        await v1Requests(sim, stream, Math.floor(backfillStart / 1000), firstWindowStart),
      );
    }
    for (const stream of STREAMS) {
      expect(
        await compareWithTruth(t.db, sim, sourceId, stream, backfillStart, syncedUntil),
        stream,
      ).toEqual(EQUAL_TO_TRUTH);
    }
  });

  it('the next day’s sync reads the new day and the 72-hour re-read in one request per quiet stream', async () => {
    await control(sim.sim, 'DELETE', '/_sim/requests');
    await advanceSimClock(sim, DAY_MS);
    const run = await syncActivitySource(ctx, sourceId, { trigger: 'manual' });
    expect(run.status).toBe('succeeded');
    const reconciled = syncedUntil - 72 * HOUR_MS;
    const end = sim.sim.now() - PUBLISH_DELAY_MS;
    for (const stream of V2_STREAMS) {
      const requests = await logRequests(sim, stream);
      expect(
        requests.map((r) => mintimeOf(r)),
        stream,
      ).toEqual([reconciled]);
    }
    for (const stream of V1_STREAMS) {
      expect((await logRequests(sim, stream)).length, stream).toBe(
        await v1Requests(sim, stream, Math.floor(reconciled / 1000), end),
      );
    }
  });
});

describeEachDatabase('a sync stopped in the middle of a window', (t) => {
  let sim: TestSimulator;
  let ctx: SyncContext;

  beforeAll(async () => {
    sim = await startTestSimulator({
      users: 300,
      days: 2,
      authEventsPerDay: 6000,
      clock: { speed: 0 },
    });
    ctx = syncContext(t.db, { clock: () => sim.sim.now() });
  });
  afterAll(async () => {
    ctx.duo.close();
    await sim.close();
  });

  it('resumes at the saved page with its count: the rest of the window costs one request per 1,000 events, nothing lost or twice', async () => {
    const source = await createConfiguredSource(ctx, sim, 'duo-activity', { backfillDays: 1 });
    const end = sim.sim.now() - PUBLISH_DELAY_MS;
    const start = end - DAY_MS;
    const events = (await truthKeys(sim, 'authentication', start, end)).length;
    expect(events).toBeGreaterThan(3 * PAGE);
    // Slow pages, so that the stop lands after the first page and before the window's end.
    await addFault(sim, {
      kind: 'slow',
      path: '/admin/v2/logs/authentication',
      probability: 1,
      delayMs: 300,
    });
    const stop = new AbortController();
    const stopped = syncActivitySource(ctx, source.id, {
      trigger: 'manual',
      streams: ['authentication'],
      signal: stop.signal,
    });
    await eventually(async () => {
      const stream = await findStream(t.db, source.id, 'authentication');
      return (stream?.pages ?? 0) > 0;
    });
    stop.abort(new Error('stopped by the test'));
    await stopped.catch(() => undefined);
    await clearFaults(sim);

    const saved = (await findStream(t.db, source.id, 'authentication'))?.cursor as StreamCursor;
    const read = saved.window?.read;
    expect(saved.window?.resume).toBeDefined();
    expect(read).toBeGreaterThanOrEqual(PAGE);
    expect(read).toBeLessThan(events);
    expect(saved.window?.total).toBe(events);

    // The page read ahead when the stop came may still be answered (and dropped, never stored):
    // count only what arrives from the resumed sync on.
    const resumedAt = Date.now();
    const run = await syncActivitySource(ctx, source.id, {
      trigger: 'manual',
      streams: ['authentication'],
    });
    expect(run.status).toBe('succeeded');
    const resumed = (await logRequests(sim, 'authentication')).filter((r) => r.at >= resumedAt);
    expect(resumed.length).toBe(Math.ceil((events - (read ?? 0)) / PAGE));
    expect(await compareWithTruth(t.db, sim, source.id, 'authentication', start, end)).toEqual(
      EQUAL_TO_TRUTH,
    );
  });
});
