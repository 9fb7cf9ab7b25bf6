import { expect, it } from 'vitest';
import { ms } from '../domain/time.js';
import { newSource } from '../../test/support/activity-fixtures.js';
import { describeEachDatabase } from '../../test/support/db.js';
import {
  createRun,
  failAbandonedRuns,
  failAbandonedRunsOfSource,
  findActiveRun,
  finishRun,
  getRun,
  listRuns,
  recordRunProgress,
  startRun,
} from './runs.js';
import { ensureStreams, getStream, listStreams, updateStream } from './streams.js';

describeEachDatabase('runs and streams', (t) => {
  it('follow a run from queued to succeeded with its counts and progress', async () => {
    const { sourceId } = await newSource(t.db);
    const run = await createRun(t.db, { sourceId, kind: 'sync', trigger: 'create' });
    expect(run).toMatchObject({ status: 'queued', counts: {}, startedAt: null, error: null });
    expect((await findActiveRun(t.db, sourceId))?.id).toBe(run.id);
    await startRun(t.db, run.id, ms(1000));
    await recordRunProgress(t.db, run.id, { progress: { backfill: 0.5 } }, ms(2000));
    const counts = {
      authentication: { pages: 3, eventsNew: 2500, eventsUpdated: 1, rejected: 0, rateLimited: 1 },
    };
    const done = await finishRun(t.db, run.id, { status: 'succeeded', counts }, ms(3000));
    expect(done).toMatchObject({
      status: 'succeeded',
      counts,
      progress: { backfill: 0.5 },
      startedAt: 1000,
      finishedAt: 3000,
    });
    expect(await getRun(t.db, run.id)).toEqual(done);
    expect(await findActiveRun(t.db, sourceId)).toBeUndefined();
  });

  it('list runs newest first, page by page', async () => {
    const { sourceId } = await newSource(t.db);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await createRun(t.db, { sourceId, kind: 'aggregation', trigger: 'manual' })).id);
    const first = await listRuns(t.db, { sourceId, limit: 3 });
    const second = await listRuns(t.db, {
      sourceId,
      limit: 3,
      ...(first[2] ? { before: first[2] } : {}),
    });
    expect([...first, ...second].map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(second).toHaveLength(2);
  });

  it('fail runs whose process stopped beating, with a plain error', async () => {
    const { sourceId } = await newSource(t.db);
    const run = await createRun(t.db, { sourceId, kind: 'sync', trigger: 'schedule' });
    await startRun(t.db, run.id, ms(1000));
    expect(await failAbandonedRuns(t.db, ms(5000))).toBeGreaterThanOrEqual(1);
    expect(await getRun(t.db, run.id)).toMatchObject({
      status: 'failed',
      error: { code: 'abandoned' },
    });
  });

  it('fail a source’s runs left queued or running by a process killed before it finished', async () => {
    const { sourceId } = await newSource(t.db);
    // Killed between creating its run and starting it: the run stays queued.
    const queued = await createRun(t.db, { sourceId, kind: 'sync', trigger: 'manual' });
    const running = await createRun(t.db, { sourceId, kind: 'sync', trigger: 'manual' });
    await startRun(t.db, running.id, ms(1000));
    expect(await failAbandonedRunsOfSource(t.db, sourceId, ms(9000))).toBe(2);
    for (const run of [queued, running])
      expect(await getRun(t.db, run.id)).toMatchObject({
        status: 'failed',
        finishedAt: 9000,
        error: { code: 'abandoned' },
      });
    expect(await findActiveRun(t.db, sourceId)).toBeUndefined();
  });

  it('keep each stream’s health beside its cursor', async () => {
    const { sourceId } = await newSource(t.db);
    await ensureStreams(t.db, sourceId, ['authentication', 'telephony']);
    await ensureStreams(t.db, sourceId, ['authentication']);
    expect((await listStreams(t.db, sourceId)).map((s) => [s.stream, s.state])).toEqual([
      ['authentication', 'idle'],
      ['telephony', 'idle'],
    ]);
    const failing = await updateStream(t.db, sourceId, 'telephony', {
      state: 'not_available',
      lastError: { code: 'forbidden', message: 'plan lacks telephony logs' },
      rateLimited: 2,
    });
    expect(failing).toMatchObject({ state: 'not_available', rateLimited: 2, cursor: null });
    expect((await getStream(t.db, sourceId, 'telephony')).lastError).toEqual({
      code: 'forbidden',
      message: 'plan lacks telephony logs',
    });
  });
});
