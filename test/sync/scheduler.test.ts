/**
 * The scheduler against the simulator: a verified activity source syncs at once, not again
 * before its interval, again when overdue (and that sync catches events Duo published late);
 * two schedulers sharing one database never run one source twice at once; each run it starts is
 * in the audit trail under the actor `scheduler`.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Run } from '../../src/domain/runs.js';
import type { Source } from '../../src/domain/sources.js';
import { isFinished } from '../../src/domain/runs.js';
import { STREAMS } from '../../src/domain/streams.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, ms } from '../../src/domain/time.js';
import { listAudit } from '../../src/store/audit.js';
import { createRun, getRun, listRuns, startRun } from '../../src/store/runs.js';
import { syncActivitySource } from '../../src/sync/activity-sync.js';
import { RunNoLongerDueError, SourceBusyError, type SyncContext } from '../../src/sync/context.js';
import { Runner } from '../../src/sync/runner.js';
import { sourceLeaseName } from '../../src/sync/runs.js';
import { findLease } from '../../src/store/leases.js';
import { getSource } from '../../src/store/sources.js';
import { PUBLISH_DELAY_MS } from '../../src/sync/cursor.js';
import { canonicalHash } from '../../src/sync/normalise.js';
import { isStillDue } from '../../src/sync/scheduler.js';
import { testSourceConnection } from '../../src/sync/sources.js';
import { control } from '../../src/sim/testing.js';
import { describeEachDatabase } from '../support/db.js';
import {
  addFault,
  advanceSimClock,
  compareWithTruth,
  createConfiguredSource,
  EQUAL_TO_TRUTH,
  eventually,
  schedulerOf,
  startTestSimulator,
  storedKeys,
  syncContext,
  type TestSimulator,
} from '../support/sync.js';

const syncRuns = (ctx: SyncContext, sourceId: string): Promise<Run[]> =>
  listRuns(ctx.db, { sourceId, kind: 'sync', limit: 100 });

describeEachDatabase('the scheduler', (t) => {
  let sim: TestSimulator;

  beforeAll(async () => {
    sim = await startTestSimulator({
      users: 200,
      days: 2,
      authEventsPerDay: 2000,
      clock: { speed: 0 },
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('syncs a verified source at once, not again before its interval, and when overdue catches the events Duo published late', async () => {
    // Every scheduler tick reads the clock once per source; counting reads lets the test wait
    // for ticks without timing anything.
    let clockReads = 0;
    const ctx = syncContext(t.db, {
      clock: () => {
        clockReads++;
        return sim.sim.now();
      },
    });
    const source = await createConfiguredSource(ctx, sim, 'duo-activity', {
      syncIntervalHours: 1,
      backfillDays: 1,
    });
    const verdict = await testSourceConnection(ctx, source.id);
    expect(verdict.ok, verdict.message).toBe(true);

    const scheduler = schedulerOf(ctx, { tickMs: 10 });
    scheduler.start();
    try {
      await eventually(async () => {
        const runs = await syncRuns(ctx, source.id);
        return runs.length > 0 && runs.every((r) => isFinished(r.status));
      });
      const [first] = await syncRuns(ctx, source.id);
      expect([first?.trigger, first?.status]).toEqual(['create', 'succeeded']);
      const firstEnd = sim.sim.now() - PUBLISH_DELAY_MS;

      // Many ticks later, with no time passed in Duo's world, nothing new has run.
      const reads = clockReads;
      await eventually(() => Promise.resolve(clockReads >= reads + 20));
      expect(await syncRuns(ctx, source.id)).toHaveLength(1);

      // Duo publishes, now, events that happened 30 hours ago (an authentication and an
      // administrator action), inside a window the first sync already read.
      const lateTs = sim.sim.now() - 30 * HOUR_MS;
      const [authTemplate] = sim.sim.dataset.events('authentication', ms(0), sim.sim.now());
      const [adminTemplate] = sim.sim.dataset.events('administrator', ms(0), sim.sim.now());
      if (!authTemplate || !adminTemplate) throw new Error('the simulated tenant has no logs');
      const txid = randomUUID();
      const lateAuth = {
        ...authTemplate.record,
        txid,
        isotimestamp: new Date(lateTs).toISOString(),
        timestamp: Math.floor(lateTs / 1000),
      };
      const lateAdmin = {
        ...adminTemplate.record,
        timestamp: Math.floor(lateTs / 1000),
        description: JSON.stringify({ note: `published late ${txid}` }),
      };
      for (const [type, record] of [
        ['authentication', lateAuth],
        ['administrator', lateAdmin],
      ] as const) {
        await control(sim.sim, 'POST', '/_sim/events', {
          type,
          records: [record],
          publishedAt: sim.sim.now(),
        });
      }
      expect(await storedKeys(t.db, source.id, 'authentication', lateTs, lateTs)).toEqual([]);

      // An hour later the source is overdue: the scheduler syncs it and the late events arrive.
      await advanceSimClock(sim, HOUR_MS + MINUTE_MS);
      await eventually(async () => {
        const runs = await syncRuns(ctx, source.id);
        return runs.length === 2 && runs.every((r) => isFinished(r.status));
      });
      const [second] = await syncRuns(ctx, source.id);
      expect([second?.trigger, second?.status]).toEqual(['schedule', 'succeeded']);
      expect(await storedKeys(t.db, source.id, 'authentication', lateTs, lateTs)).toEqual([txid]);
      const lateSecond = Math.floor(lateTs / 1000) * 1000;
      expect(
        await storedKeys(t.db, source.id, 'administrator', lateSecond, lateSecond + 999),
      ).toContain(canonicalHash(lateAdmin));
      const to = sim.sim.now() - PUBLISH_DELAY_MS;
      for (const stream of STREAMS)
        expect(
          await compareWithTruth(t.db, sim, source.id, stream, firstEnd - DAY_MS, to),
          stream,
        ).toEqual(EQUAL_TO_TRUTH);
    } finally {
      await scheduler.stop();
      ctx.duo.close();
    }
  });

  it('leaves an audit record of each run it starts, under the actor scheduler, as "aggregate now" does', async () => {
    const ctx = syncContext(t.db, { clock: () => sim.sim.now() });
    const source = await createConfiguredSource(ctx, sim, 'duo', { aggregationIntervalHours: 6 });
    expect((await testSourceConnection(ctx, source.id)).ok).toBe(true);

    const scheduler = schedulerOf(ctx, { tickMs: 10 });
    scheduler.start();
    try {
      await eventually(async () => {
        const runs = await listRuns(ctx.db, { sourceId: source.id, kind: 'aggregation' });
        return runs.length > 0 && runs.every((r) => isFinished(r.status));
      });
    } finally {
      await scheduler.stop();
      ctx.duo.close();
    }
    const [run, ...more] = await listRuns(ctx.db, { sourceId: source.id, kind: 'aggregation' });
    expect(more).toEqual([]);
    const audited = (await listAudit(ctx.db)).filter((e) => e.targetId === source.id);
    expect(
      audited.map((e) => ({
        actor: e.actor,
        actorUserId: e.actorUserId,
        action: e.action,
        targetName: e.targetName,
        details: e.details,
      })),
    ).toEqual([
      {
        actor: 'scheduler',
        actorUserId: null,
        action: 'source.aggregate',
        targetName: source.name,
        details: { runId: run?.id, trigger: 'create' },
      },
    ]);
  });
});

describeEachDatabase('the scheduler after a crash', (t) => {
  let sim: TestSimulator;

  beforeAll(async () => {
    sim = await startTestSimulator({
      users: 50,
      days: 1,
      authEventsPerDay: 500,
      clock: { speed: 0 },
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('syncs a source again whose last sync died with its process, and closes the dead run', async () => {
    const ctx = syncContext(t.db, { clock: () => sim.sim.now() });
    const source = await createConfiguredSource(ctx, sim, 'duo-activity', { backfillDays: 1 });
    expect((await testSourceConnection(ctx, source.id)).ok).toBe(true);
    // A sync that started two hours ago in a process that was killed: still "running", its
    // lease long expired.
    const dead = await createRun(t.db, { sourceId: source.id, kind: 'sync', trigger: 'schedule' });
    await startRun(t.db, dead.id, ms(sim.sim.now() - 2 * HOUR_MS));

    const scheduler = schedulerOf(ctx, { tickMs: 10 });
    scheduler.start();
    try {
      await eventually(async () => {
        const runs = await syncRuns(ctx, source.id);
        return runs.length === 2 && runs.every((r) => isFinished(r.status));
      });
    } finally {
      await scheduler.stop();
      ctx.duo.close();
    }
    const closed = await getRun(t.db, dead.id);
    expect([closed.status, closed.error?.code]).toEqual(['failed', 'abandoned']);
    const [latest] = await syncRuns(ctx, source.id);
    expect([latest?.id, latest?.status]).not.toEqual([dead.id, expect.anything()]);
    expect(latest?.status).toBe('succeeded');
  });
});

describeEachDatabase('two schedulers on one database', (t) => {
  let sim: TestSimulator;

  beforeAll(async () => {
    // Real time here: runs are compared by when they started and finished.
    sim = await startTestSimulator({ users: 100, days: 1, authEventsPerDay: 1000 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('two processes asking to sync one source at the same moment: one runs, the other is told it is busy', async () => {
    const clock = (): number => sim.sim.now();
    const one = syncContext(t.db, { clock, holder: 'process-one' });
    const two = syncContext(t.connect(), {
      clock,
      holder: 'process-two',
      secretKey: one.secretKey,
    });
    const source = await createConfiguredSource(one, sim, 'duo-activity', { backfillDays: 1 });
    try {
      const outcomes = await Promise.allSettled([
        syncActivitySource(one, source.id, { trigger: 'manual' }),
        syncActivitySource(two, source.id, { trigger: 'manual' }),
      ]);
      const ran = outcomes.filter((o) => o.status === 'fulfilled');
      const refused = outcomes.filter((o) => o.status === 'rejected');
      expect(ran).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(refused[0]?.reason).toBeInstanceOf(SourceBusyError);
      expect(await syncRuns(one, source.id)).toHaveLength(1);
    } finally {
      one.duo.close();
      two.duo.close();
    }
  });

  it('a sync one scheduler saw due, started after the other server has just run it, records nothing and frees the source', async () => {
    const clock = (): number => sim.sim.now();
    const one = syncContext(t.db, { clock, holder: 'server-one' });
    const two = syncContext(t.connect(), { clock, holder: 'server-two', secretKey: one.secretKey });
    const source = await createConfiguredSource(one, sim, 'duo-activity', { backfillDays: 1 });
    expect((await testSourceConnection(one, source.id)).ok).toBe(true);
    // Both schedulers look and see the source due (it never ran)...
    expect(await isStillDue(two, source.id, 'sync')).toBe(true);
    // ...the first server runs it...
    const ran = await new Runner(one).run(await getSource(t.db, source.id), 'sync', {
      trigger: 'create',
    });
    expect(ran.status).toBe('succeeded');
    // ...and the second, starting what it saw due, finds it done once it holds the source.
    const refused = await new Runner(two)
      .start(await getSource(t.db, source.id), 'sync', {
        trigger: 'create',
        stillDue: () => isStillDue(two, source.id, 'sync'),
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    try {
      expect(refused).toBeInstanceOf(RunNoLongerDueError);
      expect((await syncRuns(one, source.id)).map((r) => r.id)).toEqual([ran.id]);
      expect(await findLease(t.db, sourceLeaseName(source.id))).toBeUndefined();
    } finally {
      one.duo.close();
      two.duo.close();
    }
  });

  it('never run the same source at once', async () => {
    const clock = (): number => sim.sim.now();
    const one = syncContext(t.db, { clock, holder: 'scheduler-one' });
    const two = syncContext(t.connect(), {
      clock,
      holder: 'scheduler-two',
      secretKey: one.secretKey,
    });
    const sources: Source[] = [];
    for (let i = 0; i < 3; i++) {
      const source = await createConfiguredSource(one, sim, 'duo-activity', { backfillDays: 1 });
      expect((await testSourceConnection(one, source.id)).ok).toBe(true);
      sources.push(source);
    }
    // Slow pages, so runs last long enough for the other scheduler to try to start them too.
    await addFault(sim, { kind: 'slow', path: '/admin/v*/logs/*', probability: 1, delayMs: 30 });

    const schedulers = [schedulerOf(one, { tickMs: 5 }), schedulerOf(two, { tickMs: 5 })];
    for (const s of schedulers) s.start();
    try {
      await eventually(async () => {
        for (const source of sources) {
          const runs = await syncRuns(one, source.id);
          if (runs.length === 0 || !runs.every((r) => isFinished(r.status))) return false;
        }
        return true;
      });
    } finally {
      await Promise.all(schedulers.map((s) => s.stop()));
      one.duo.close();
      two.duo.close();
    }
    for (const source of sources) {
      const runs = (await syncRuns(one, source.id)).sort(
        (a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0),
      );
      expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
      for (let i = 1; i < runs.length; i++) {
        expect(runs[i]?.startedAt ?? 0).toBeGreaterThanOrEqual(runs[i - 1]?.finishedAt ?? Infinity);
      }
    }
  });
});
