/**
 * The scheduler: syncs each verified Activity Insights – Duo source as soon as it is ready and
 * then every sync interval (24 h by default), aggregates Duo sources that have a schedule, on
 * start-up runs whatever is overdue, and on every tick closes the runs of any source left
 * running by a process that stopped. Runs hold the source's lease, so several processes
 * sharing one PostgreSQL never run the same source twice at once, and a scheduled run asks
 * again, holding the lease, whether the source is still due, so a run another process has just
 * finished is not done twice. It starts each run through
 * `startRun`, the use case the API's "sync now" and the command line's `sync` call (given by the
 * composition root, as the actor `scheduler`): the same rule checks, the same audit record.
 * `nextRunAt` is the one answer to "when does this source run next". `stop()` asks running work
 * to end at a page boundary and waits for it: nothing is lost.
 *
 * @example const scheduler = new Scheduler(ctx, { runner, startRun }); scheduler.start(); … await scheduler.stop();
 */
import type { Run, RunTrigger } from '../domain/runs.js';
import type { Source } from '../domain/sources.js';
import { MINUTE_MS } from '../domain/time.js';
import { listRuns } from '../store/runs.js';
import { findSource, listSources } from '../store/sources.js';
import {
  RunNoLongerDueError,
  SourceBusyError,
  toStoredError,
  type SyncContext,
} from './context.js';
import { isReadyToRun, runKindOf, type Runner, type SourceRunKind } from './runner.js';
import { closeAbandonedRuns, LEASE_TTL_MS } from './runs.js';

/**
 * Starts one due run and resolves with it once it is recorded: the use case every front door's
 * "run now" goes through, as the actor `scheduler` (it checks the rules and writes the audit
 * record). The composition root gives it; this folder cannot import the use cases.
 *
 * @example const startRun: StartScheduledRun = (source, kind, trigger) => startSourceRun(app, SCHEDULER, { sourceId: source.id, kind, trigger });
 */
export type StartScheduledRun = (
  source: Source,
  kind: SourceRunKind,
  trigger: RunTrigger,
  /** Asked once the run holds the source's lease: false ends it unrecorded (another process ran it). */
  stillDue?: () => Promise<boolean>,
) => Promise<Run>;

export interface SchedulerOptions {
  /** The runner `startRun` starts through: asked what runs, and stopped with the scheduler. */
  readonly runner: Runner;
  readonly startRun: StartScheduledRun;
  /** How often to look for due work. Default 30 s. */
  readonly tickMs?: number;
  /** After a failed or partial run, try again this much later (capped by the interval). */
  readonly retryAfterMs?: number;
}

/** After a failed or partial run, the scheduler tries again this much later (capped by the interval). */
export const RETRY_AFTER_MS = 15 * MINUTE_MS;

export interface DueWork {
  readonly source: Source;
  readonly kind: SourceRunKind;
}

/** Whether a source has work due now, from its settings and its last run of that kind. */
export function dueKind(
  source: Source,
  last: Run | undefined,
  now: number,
  retryAfterMs: number,
): DueWork['kind'] | undefined {
  if (!isReadyToRun(source)) return undefined;
  const kind = runKindOf(source);
  const interval = intervalOf(source);
  if (interval === null) return undefined;
  if (!last) return kind;
  if (last.status === 'running' || last.status === 'queued') {
    // A run whose process died stays "running"; once its lease has surely expired, try again:
    // the new run closes the dead one, and a live one still holds its lease and refuses.
    const beat = last.heartbeatAt ?? last.startedAt ?? last.createdAt;
    return now >= beat + LEASE_TTL_MS ? kind : undefined;
  }
  // A run closed because its process died did not fail on its own: run again at once.
  if (last.status === 'failed' && last.error?.code === 'abandoned') return kind;
  const started = last.startedAt ?? last.createdAt;
  if (now >= started + interval) return kind;
  const finished = last.finishedAt ?? started;
  if (last.status !== 'succeeded' && now >= finished + Math.min(retryAfterMs, interval))
    return kind;
  return undefined;
}

function intervalOf(source: Source): number | null {
  return source.type === 'duo-activity'
    ? source.settings.syncIntervalMs
    : source.settings.aggregationIntervalMs;
}

/**
 * When the scheduler next runs a source, from its settings and its last run of its kind: `now`
 * when due, `null` when it never runs on its own (not tested, no schedule) or a run is going on.
 *
 * @example nextRunAt(source, last, Date.now()) // → 1767312000000
 */
export function nextRunAt(
  source: Source,
  last: Run | undefined,
  now: number,
  retryAfterMs: number = RETRY_AFTER_MS,
): number | null {
  const interval = intervalOf(source);
  if (!isReadyToRun(source) || interval === null) return null;
  if (dueKind(source, last, now, retryAfterMs) !== undefined) return now;
  if (!last || last.status === 'running' || last.status === 'queued') return null;
  const started = last.startedAt ?? last.createdAt;
  if (last.status === 'succeeded') return started + interval;
  return Math.min(
    started + interval,
    (last.finishedAt ?? started) + Math.min(retryAfterMs, interval),
  );
}

/**
 * Whether a source has `kind` of work due now, read afresh from the database: what a scheduled
 * run asks once it holds the source's lease, so that a run another server finished after this
 * scheduler looked is not done again.
 *
 * @example await isStillDue(ctx, source.id, 'sync') // false: another server has just synced it
 */
export async function isStillDue(
  ctx: SyncContext,
  sourceId: string,
  kind: SourceRunKind,
  retryAfterMs: number = RETRY_AFTER_MS,
): Promise<boolean> {
  const source = await findSource(ctx.db, sourceId);
  if (!source) return false;
  const [last] = await listRuns(ctx.db, { sourceId, kind, limit: 1 });
  return dueKind(source, last, ctx.clock(), retryAfterMs) === kind;
}

export class Scheduler {
  readonly #ctx: SyncContext;
  readonly #tickMs: number;
  readonly #retryAfterMs: number;
  readonly #runner: Runner;
  readonly #startRun: StartScheduledRun;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #stopped = false;
  #firstTick = true;

  constructor(ctx: SyncContext, options: SchedulerOptions) {
    this.#ctx = ctx;
    this.#tickMs = options.tickMs ?? 30_000;
    this.#retryAfterMs = options.retryAfterMs ?? RETRY_AFTER_MS;
    this.#runner = options.runner;
    this.#startRun = options.startRun;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Looks for due work at once (e.g. right after a source passed its connection test). */
  poke(): void {
    if (this.#stopped) return;
    this.#schedule(0);
  }

  /** Whether a run of this source was started by this scheduler and has not ended. */
  isRunning(sourceId: string): boolean {
    return this.#runner.isRunning(sourceId);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#ticking;
    await this.#runner.stop();
  }

  #schedule(delay: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#ticking = this.#tick().finally(() => {
        this.#ticking = undefined;
        if (!this.#stopped) this.#schedule(this.#tickMs);
      });
    }, delay);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    const trigger: RunTrigger = this.#firstTick ? 'startup' : 'schedule';
    this.#firstTick = false;
    try {
      // Runs of stopped processes, of scheduled and unscheduled sources alike.
      await closeAbandonedRuns(this.#ctx);
    } catch (error) {
      this.#ctx.log.error({ err: toStoredError(error) }, 'scheduler could not close dead runs');
    }
    let sources: Source[];
    try {
      sources = await listSources(this.#ctx.db);
    } catch (error) {
      this.#ctx.log.error({ err: toStoredError(error) }, 'scheduler could not list sources');
      return;
    }
    let due = 0;
    for (const source of sources) {
      if (this.#stopped) return;
      if (this.#runner.isRunning(source.id)) continue;
      try {
        const kind = runKindOf(source);
        const [last] = await listRuns(this.#ctx.db, { sourceId: source.id, kind, limit: 1 });
        const dueNow = dueKind(source, last, this.#ctx.clock(), this.#retryAfterMs);
        if (dueNow) {
          due++;
          this.#launch(source, dueNow, last === undefined ? 'create' : trigger);
        }
      } catch (error) {
        this.#ctx.log.error(
          { err: toStoredError(error), sourceId: source.id },
          'scheduler check failed',
        );
      }
    }
    this.#ctx.log.debug({ sources: sources.length, due }, 'scheduler looked for due work');
  }

  #launch(source: Source, kind: DueWork['kind'], trigger: RunTrigger): void {
    // Looked at before the run held the source: another server may have run it since. Asked
    // again under the source's lease, the answer cannot change until the run is recorded.
    const stillDue = (): Promise<boolean> =>
      isStillDue(this.#ctx, source.id, kind, this.#retryAfterMs);
    this.#startRun(source, kind, trigger, stillDue).catch((error: unknown) => {
      if (error instanceof SourceBusyError) return; // another process runs it
      if (error instanceof RunNoLongerDueError) return; // another process has just run it
      this.#ctx.log.error(
        { err: toStoredError(error), sourceId: source.id },
        `scheduled ${kind} failed`,
      );
    });
  }
}
