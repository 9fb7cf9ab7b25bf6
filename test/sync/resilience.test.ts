/**
 * What goes wrong with Duo and with our own state, and what the sync does about it: 429 storms
 * and 5xx bursts are ridden out, a forbidden stream is marked while the others sync, a corrupt
 * or too-old cursor falls back with a warning, a bad record is reported and the rest of its
 * page is stored. Real simulator over HTTP; SQLite and PostgreSQL.
 */
import { listRejectedRecords } from '../../src/store/rejected-records.js';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { StreamRunCounts } from '../../src/domain/runs.js';
import { STREAMS, type StreamName } from '../../src/domain/streams.js';
import { DAY_MS, MINUTE_MS } from '../../src/domain/time.js';
import { findStream, listStreams, saveStreamCursor } from '../../src/store/streams.js';
import { syncActivitySource } from '../../src/sync/activity-sync.js';
import type { SyncContext } from '../../src/sync/context.js';
import { PUBLISH_DELAY_MS } from '../../src/sync/cursor.js';
import { describeEachDatabase } from '../support/db.js';
import {
  addFault,
  advanceSimClock,
  clearFaults,
  compareWithTruth,
  createConfiguredSource,
  EQUAL_TO_TRUTH,
  runWarnings,
  startForbiddingProxy,
  startTestSimulator,
  syncContext,
  type TestSimulator,
} from '../support/sync.js';

describeEachDatabase('sync when things go wrong', (t) => {
  let sim: TestSimulator;
  let ctx: SyncContext;

  beforeAll(async () => {
    sim = await startTestSimulator({
      users: 200,
      days: 2,
      authEventsPerDay: 2000,
      clock: { speed: 0 },
    });
    ctx = syncContext(t.db, { clock: () => sim.sim.now() });
  });
  afterEach(async () => {
    await clearFaults(sim);
  });
  afterAll(async () => {
    ctx.duo.close();
    await sim.close();
  });

  /** A first sync with one day of backfill; returns the window it covered. */
  const firstSync = async (target: TestSimulator = sim) => {
    const source = await createConfiguredSource(ctx, target, 'duo-activity', { backfillDays: 1 });
    const run = await syncActivitySource(ctx, source.id, { trigger: 'manual' });
    const to = sim.sim.now() - PUBLISH_DELAY_MS;
    return { source, run, from: to - DAY_MS, to };
  };
  const expectEqualToTruth = async (
    sourceId: string,
    streams: readonly StreamName[],
    from: number,
    to: number,
  ): Promise<void> => {
    for (const stream of streams)
      expect(await compareWithTruth(t.db, sim, sourceId, stream, from, to), stream).toEqual(
        EQUAL_TO_TRUTH,
      );
  };

  it('a storm of 429s slows the sync down but it still stores everything, and counts them', async () => {
    await addFault(sim, {
      kind: 'rate_limit',
      path: '/admin/v*/logs/*',
      probability: 0.5,
      count: 40,
    });
    const { source, run, from, to } = await firstSync();
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    await expectEqualToTruth(source.id, STREAMS, from, to);
    const rateLimited = STREAMS.map((s) => (run.counts[s] as StreamRunCounts).rateLimited);
    expect(rateLimited.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const health = await listStreams(t.db, source.id);
    expect(health.reduce((sum, s) => sum + s.rateLimited, 0)).toBeGreaterThan(0);
  });

  it('bursts of 5xx from Duo are retried and nothing is lost', async () => {
    for (const [i, path] of [
      '/admin/v2/logs/authentication',
      '/admin/v2/logs/telephony',
      '/admin/v2/logs/activity',
      '/admin/v1/logs/administrator',
      '/admin/v1/logs/offline_enrollment',
    ].entries()) {
      await addFault(sim, {
        kind: '5xx',
        path,
        count: 2,
        status: ([500, 502, 503] as const)[i % 3],
        body: i % 2 === 0 ? 'html' : 'json',
      });
    }
    const { source, run, from, to } = await firstSync();
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    await expectEqualToTruth(source.id, STREAMS, from, to);
  });

  it('a stream Duo forbids is marked failing while the other streams sync', async () => {
    const proxy = await startForbiddingProxy(sim, ['/admin/v2/logs/telephony']);
    try {
      const { source, run, from, to } = await firstSync(proxy);
      expect(run.status).toBe('partial');
      expect(run.error?.message).toContain('1 of 6 streams failed: telephony');
      const telephony = await findStream(t.db, source.id, 'telephony');
      expect(telephony?.state).toBe('failing');
      expect(telephony?.lastError?.code).toBe('permission_missing');
      expect(runWarnings(run.progress).some((w) => w.startsWith('telephony:'))).toBe(true);
      const others = STREAMS.filter((s) => s !== 'telephony');
      for (const s of others) expect((await findStream(t.db, source.id, s))?.state, s).toBe('ok');
      await expectEqualToTruth(source.id, others, from, to);
    } finally {
      await proxy.close();
    }
  });

  it('activity logs the Duo plan does not offer are marked not available and the run succeeds', async () => {
    const proxy = await startForbiddingProxy(sim, ['/admin/v2/logs/activity']);
    try {
      const { source, run, from, to } = await firstSync(proxy);
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      const activity = await findStream(t.db, source.id, 'activity');
      expect(activity?.state).toBe('not_available');
      expect(activity?.lastError?.message).toContain('Activity logs are not available');
      await expectEqualToTruth(
        source.id,
        STREAMS.filter((s) => s !== 'activity'),
        from,
        to,
      );
    } finally {
      await proxy.close();
    }
  });

  it('a corrupt or too-old cursor falls back with a warning, once, instead of failing every run', async () => {
    const { source, run } = await firstSync();
    expect(run.status).toBe('succeeded');
    const now = sim.sim.now();
    await saveStreamCursor(t.db, source.id, 'authentication', 'not json {');
    await saveStreamCursor(t.db, source.id, 'administrator', { version: 9, syncedUntil: 'soon' });
    await saveStreamCursor(t.db, source.id, 'telephony', {
      version: 1,
      syncedUntil: now - 200 * DAY_MS,
    });
    await advanceSimClock(sim, 5 * MINUTE_MS);

    const repaired = await syncActivitySource(ctx, source.id, { trigger: 'manual' });
    expect(repaired.status, JSON.stringify(repaired.error)).toBe('succeeded');
    const warnings = runWarnings(repaired.progress).join('\n');
    expect(warnings).toMatch(/authentication: the stored cursor is not JSON; restarting from/);
    expect(warnings).toMatch(/administrator: the stored cursor has an unknown shape/);
    expect(warnings).toMatch(/telephony: the last sync is older than Duo keeps logs \(180 days\)/);
    for (const s of await listStreams(t.db, source.id)) expect(s.state, s.stream).toBe('ok');
    const to = sim.sim.now() - PUBLISH_DELAY_MS;
    await expectEqualToTruth(source.id, STREAMS, to - DAY_MS, to);

    await advanceSimClock(sim, 5 * MINUTE_MS);
    const next = await syncActivitySource(ctx, source.id, { trigger: 'manual' });
    expect(next.status).toBe('succeeded');
    expect(runWarnings(next.progress)).toEqual([]);
  });

  it('a record Duo sends garbled is reported with its position and the rest of its page is stored', async () => {
    await addFault(sim, { kind: 'bad_record', path: '/admin/v2/logs/authentication', count: 1 });
    const { source, run, from, to } = await firstSync();
    expect(run.status).toBe('partial');
    expect(run.error?.code).toBe('records_rejected');
    const auth = run.counts.authentication as StreamRunCounts;
    expect(auth.rejected).toBe(1);
    const warnings = runWarnings(run.progress).filter((w) => w.startsWith('authentication:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/could not be read \(position \d+ of its page\)/);
    const difference = await compareWithTruth(t.db, sim, source.id, 'authentication', from, to);
    expect(difference.missing).toHaveLength(1);
    expect(difference.extra).toEqual([]);
    // The garbled record itself is kept whole, once, with where it came from.
    const kept = await listRejectedRecords(t.db, source.id);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ stream: 'authentication', runId: run.id });
    expect(kept[0]?.error).toBeTruthy();
    await expectEqualToTruth(
      source.id,
      STREAMS.filter((s) => s !== 'authentication'),
      from,
      to,
    );

    // The reconciliation window of the next sync fetches it again, intact this time.
    await advanceSimClock(sim, 5 * MINUTE_MS);
    const next = await syncActivitySource(ctx, source.id, { trigger: 'manual' });
    expect(next.status).toBe('succeeded');
    await expectEqualToTruth(source.id, ['authentication'], from, to);
  });
});
