/**
 * A source kept busy by a run: a run whose process on this host is gone (killed, crashed) frees
 * its source at once instead of after the lease's 60 s; a live holder keeps it, the refusal saying
 * in words what runs; and the runs left running by stopped processes are closed for unscheduled sources too.
 */
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import type { Source } from '../../src/domain/sources.js';
import { createIdentity } from '../../src/store/identities.js';
import { acquireLease, findLease } from '../../src/store/leases.js';
import { createRun, getRun, startRun } from '../../src/store/runs.js';
import { SourceBusyError, type SyncContext } from '../../src/sync/context.js';
import { runExclusive, sourceLeaseName } from '../../src/sync/runs.js';
import { createSourceFromInput } from '../../src/sync/sources.js';
import { describeEachDatabase } from '../support/db.js';
import { eventually, schedulerOf, syncContext } from '../support/sync.js';

/** The pid of a process of this host that has exited: spawned, then killed. */
async function pidOfAStoppedProcess(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
    stdio: 'ignore',
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start a child process');
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  child.kill('SIGKILL');
  await exited;
  return pid;
}

async function newSource(ctx: SyncContext, type: Source['type'] = 'duo'): Promise<Source> {
  const owner = await createIdentity(ctx.db, { displayName: 'Busy Owner' });
  return createSourceFromInput(ctx, {
    type,
    name: `busy ${randomBytes(4).toString('hex')}`,
    ownerIdentityId: owner.id,
  });
}

/** What a process leaves behind when it dies mid-run: its lease and its run, still running. */
async function runLeftBy(
  ctx: SyncContext,
  sourceId: string,
  process: { host: string; pid: number },
): Promise<string> {
  const holder = `${process.host}:${String(process.pid)}:dead#run`;
  expect(
    await acquireLease(ctx.db, {
      name: sourceLeaseName(sourceId),
      holder,
      ttlMs: 60_000,
      process,
    }),
  ).toBe(true);
  const run = await createRun(ctx.db, { sourceId, kind: 'aggregation', trigger: 'manual' });
  await startRun(ctx.db, run.id);
  return run.id;
}

const succeed = () => Promise.resolve({ status: 'succeeded' as const });

describeEachDatabase('a busy source', (t) => {
  const ctx = (): SyncContext => syncContext(t.db, { clock: Date.now });

  it('is taken over at once when the run holding it was a process of this host that no longer exists', async () => {
    const context = ctx();
    const source = await newSource(context);
    const pid = await pidOfAStoppedProcess();
    const dead = await runLeftBy(context, source.id, { host: hostname(), pid });

    const run = await runExclusive(
      context,
      { sourceId: source.id, kind: 'test', trigger: 'manual' },
      succeed,
    );
    expect(run.status).toBe('succeeded');
    const closed = await getRun(t.db, dead);
    expect([closed.status, closed.error?.code]).toEqual(['failed', 'abandoned']);
  });

  it('names the run holding it and when its lease expires, when the holder lives or is on another host', async () => {
    const context = ctx();
    for (const holder of [
      { host: hostname(), pid: process.ppid }, // alive: the process that started this test
      { host: `another-host-${randomBytes(3).toString('hex')}`, pid: await pidOfAStoppedProcess() },
    ]) {
      const source = await newSource(context);
      const running = await runLeftBy(context, source.id, holder);
      const lease = await findLease(t.db, sourceLeaseName(source.id));
      if (!lease) throw new Error('no lease');

      const refused = await runExclusive(
        context,
        { sourceId: source.id, kind: 'test', trigger: 'manual' },
        succeed,
      ).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(SourceBusyError);
      const busy = refused as SourceBusyError;
      expect(busy.runId).toBe(running);
      expect(busy.expiresAt).toBe(lease.expiresAt);
      expect(busy.kind).toBe('aggregation');
      // Said in words for people, without the ids of the source or the run.
      expect(busy.message).toBe(
        'Test Connection cannot start while an aggregation of this source is running; try again when it ends',
      );
      expect(busy.message).not.toContain(running);
      expect(busy.message).not.toContain(source.id);
      expect((await getRun(t.db, running)).status).toBe('running');
    }
  });

  it('closes the run a stopped process left running on a source nobody schedules', async () => {
    const context = ctx();
    // A Duo source without an aggregation schedule and never tested: the scheduler runs nothing.
    const source = await newSource(context, 'duo');
    expect(source.settings.aggregationIntervalMs).toBeNull();
    const dead = await runLeftBy(context, source.id, {
      host: hostname(),
      pid: await pidOfAStoppedProcess(),
    });
    const live = await newSource(context, 'duo');
    const running = await runLeftBy(context, live.id, { host: hostname(), pid: process.ppid });

    const scheduler = schedulerOf(context, { tickMs: 20 });
    scheduler.start();
    try {
      await eventually(async () => (await getRun(t.db, dead)).status !== 'running');
    } finally {
      await scheduler.stop();
    }
    const closed = await getRun(t.db, dead);
    expect([closed.status, closed.error?.code]).toEqual(['failed', 'abandoned']);
    expect((await getRun(t.db, running)).status).toBe('running');
  });
});
