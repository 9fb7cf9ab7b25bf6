/**
 * Every test, aggregation and sync runs through `runExclusive`: it takes the source's lease (at
 * most one run per source, across processes sharing a database; at once from a process of this
 * host that no longer exists), records the run with a status
 * from a closed set, keeps its heartbeat, counts and progress current while it works, and ends it
 * as succeeded, partial, failed or cancelled — whatever happens inside.
 *
 * @example await runExclusive(ctx, { sourceId, kind: 'sync', trigger: 'manual' }, async (report) => {
 *   report.count('authentication', counts); return { status: 'succeeded' }; });
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { StoredError } from '../domain/activity.js';
import type {
  Run,
  RunCounts,
  RunKind,
  RunStatus,
  RunTrigger,
  StreamRunCounts,
} from '../domain/runs.js';
import { ms } from '../domain/time.js';
import type { Logger } from '../logging.js';
import {
  acquireLease,
  findLease,
  releaseLease,
  renewLease,
  takeOverLease,
  type LeaseProcess,
} from '../store/leases.js';
import {
  createRun,
  failAbandonedRunsOfSource,
  findActiveRun,
  finishRun,
  listSourcesWithUnfinishedRuns,
  recordRunProgress,
  startRun,
} from '../store/runs.js';
import { analyseChangedTables } from '../store/statistics.js';
import {
  RunNoLongerDueError,
  SourceBusyError,
  toStoredError,
  type SyncContext,
} from './context.js';

export const LEASE_TTL_MS = 60_000;
const HEARTBEAT_MS = 15_000;
const FLUSH_EVERY_MS = 1_000;
const MAX_WARNINGS = 200;

export interface RunRequest {
  readonly sourceId: string;
  readonly kind: RunKind;
  readonly trigger: RunTrigger;
  /** Told the run as soon as it is recorded (the HTTP API answers `202 {runId}` with it). */
  readonly onStarted?: (run: Run) => void;
  /**
   * Asked once the run holds the source's lease, before it is recorded (the scheduler: is the
   * source still due, or did another server just run it?). False: nothing is recorded, the lease
   * is given back and the run rejects with `RunNoLongerDueError`.
   */
  readonly stillDue?: () => Promise<boolean>;
}

export interface RunOutcome {
  readonly status: Extract<RunStatus, 'succeeded' | 'partial' | 'failed'>;
  readonly error?: StoredError;
}

/** What a running job tells its run; writes are batched, at most once a second. */
export interface RunReporter {
  readonly runId: string;
  count(key: string, value: StreamRunCounts | number): void;
  progress(key: string, value: unknown): Promise<void>;
  warn(message: string): void;
}

export function sourceLeaseName(sourceId: string): string {
  return `source:${sourceId}`;
}

export async function runExclusive(
  ctx: SyncContext,
  request: RunRequest,
  job: (report: RunReporter, signal: AbortSignal) => Promise<RunOutcome>,
  outerSignal?: AbortSignal,
): Promise<Run> {
  const lease = sourceLeaseName(request.sourceId);
  // Each run holds the lease under its own name, so two runs of one process exclude each other
  // too (a lease's holder may re-acquire it: sharing the process's name would let them both in).
  const holder = `${ctx.holder}#${randomBytes(4).toString('hex')}`;
  const log = ctx.log.child({ sourceId: request.sourceId, kind: request.kind });
  if (!(await takeSourceLease(ctx, request.sourceId, holder, log)))
    throw await sourceBusy(ctx, request.sourceId, request.kind);

  const controller = new AbortController();
  const onOuterAbort = (): void => {
    controller.abort(outerSignal?.reason);
  };
  outerSignal?.addEventListener('abort', onOuterAbort, { once: true });
  if (outerSignal?.aborted) onOuterAbort();

  try {
    // Holding the lease, any run of this source still queued or running was left by a dead process.
    const abandoned = await failAbandonedRunsOfSource(ctx.db, request.sourceId, ms(ctx.clock()));
    if (abandoned > 0) log.warn({ abandoned }, 'closed runs left running by a stopped process');
    if (request.stillDue !== undefined && !(await request.stillDue())) {
      log.debug('not due any more: another server has just run it');
      throw new RunNoLongerDueError(request.sourceId);
    }
    const created = await createRun(ctx.db, {
      sourceId: request.sourceId,
      kind: request.kind,
      trigger: request.trigger,
    });
    const run = await startRun(ctx.db, created.id, ms(ctx.clock()));
    request.onStarted?.(run);
    const reporter = new Reporter(ctx, run.id);
    const heartbeat = setInterval(() => {
      void keepAlive(ctx, lease, holder, reporter).then((kept) => {
        if (!kept) controller.abort(new Error('the run lost its lease to another process'));
      });
    }, HEARTBEAT_MS);
    heartbeat.unref();
    log.info({ runId: run.id, trigger: request.trigger }, 'run started');
    let status: Exclude<RunStatus, 'queued' | 'running'>;
    let error: StoredError | undefined;
    try {
      const outcome = await job(reporter, controller.signal);
      status = outcome.status;
      error = outcome.error;
    } catch (caught) {
      status = controller.signal.aborted ? 'cancelled' : 'failed';
      error = toStoredError(
        controller.signal.aborted ? (controller.signal.reason ?? caught) : caught,
      );
      if (status === 'failed') log.warn({ err: error }, 'run failed');
    } finally {
      clearInterval(heartbeat);
    }
    const finished = await reporter.finish(status, error ?? null);
    log.info({ runId: run.id, status }, 'run finished');
    // What the run stored is planned from statistics from now on, not when autovacuum gets to it.
    await analyseChangedTables(ctx.db).then(
      (tables) => {
        if (tables.length > 0) log.info({ tables }, 'analysed the tables the run changed');
      },
      (e: unknown) => {
        log.warn({ err: toStoredError(e) }, 'could not analyse the tables the run changed');
      },
    );
    return finished;
  } finally {
    outerSignal?.removeEventListener('abort', onOuterAbort);
    await releaseLease(ctx.db, { name: lease, holder }).catch((e: unknown) => {
      log.warn({ err: toStoredError(e) }, 'could not release the lease; it expires by itself');
    });
  }
}

/** This process, as leases record it. */
function thisProcess(): LeaseProcess {
  return { host: hostname(), pid: process.pid };
}

/**
 * Whether a process of this host exists. `kill(pid, 0)` sends nothing: it fails with ESRCH for
 * no such process, EPERM for one of another user (alive).
 */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

/**
 * Takes the source's lease for `holder`: when free or expired, or at once when its holder is a
 * process of this host that no longer exists (killed, crashed). False while a live holder, or
 * one on another host, keeps it.
 */
async function takeSourceLease(
  ctx: SyncContext,
  sourceId: string,
  holder: string,
  log: Logger,
): Promise<boolean> {
  const request = {
    name: sourceLeaseName(sourceId),
    holder,
    ttlMs: LEASE_TTL_MS,
    process: thisProcess(),
  };
  if (await acquireLease(ctx.db, request)) return true;
  const current = await findLease(ctx.db, request.name);
  if (!current) return acquireLease(ctx.db, request); // released meanwhile
  const owner = current.process;
  const gone =
    owner !== undefined &&
    owner.host === request.process.host &&
    owner.pid !== request.process.pid &&
    !processExists(owner.pid);
  if (!gone) return false;
  const taken = await takeOverLease(ctx.db, { ...request, from: current.holder });
  if (taken)
    log.warn(
      { pid: owner.pid, expiresAt: current.expiresAt },
      'took over the lease of a run whose process no longer exists',
    );
  return taken;
}

/** The busy error naming the run that holds the source and when its lease expires. */
async function sourceBusy(
  ctx: SyncContext,
  sourceId: string,
  asked: RunKind,
): Promise<SourceBusyError> {
  const [lease, run] = await Promise.all([
    findLease(ctx.db, sourceLeaseName(sourceId)),
    findActiveRun(ctx.db, sourceId),
  ]);
  return new SourceBusyError(
    sourceId,
    {
      ...(run === undefined ? {} : { runId: run.id, kind: run.kind }),
      ...(lease === undefined ? {} : { expiresAt: lease.expiresAt }),
    },
    asked,
  );
}

/**
 * Closes the runs left queued or running by processes that stopped, for every source, scheduled
 * or not: for each source with such a run, takes its lease (free, expired, or held by a process
 * of this host that no longer exists), fails those runs as abandoned and gives the lease back.
 * A source whose lease a live run holds is left alone. Returns how many runs were closed.
 *
 * @example await closeAbandonedRuns(ctx); // the scheduler, on every tick
 */
export async function closeAbandonedRuns(ctx: SyncContext): Promise<number> {
  let closed = 0;
  for (const sourceId of await listSourcesWithUnfinishedRuns(ctx.db)) {
    const holder = `${ctx.holder}#closer`;
    const log = ctx.log.child({ sourceId });
    if (!(await takeSourceLease(ctx, sourceId, holder, log))) continue;
    try {
      const abandoned = await failAbandonedRunsOfSource(ctx.db, sourceId, ms(ctx.clock()));
      if (abandoned > 0) log.warn({ abandoned }, 'closed runs left running by a stopped process');
      closed += abandoned;
    } finally {
      await releaseLease(ctx.db, { name: sourceLeaseName(sourceId), holder });
    }
  }
  return closed;
}

async function keepAlive(
  ctx: SyncContext,
  lease: string,
  holder: string,
  reporter: Reporter,
): Promise<boolean> {
  try {
    const kept = await renewLease(ctx.db, {
      name: lease,
      holder,
      ttlMs: LEASE_TTL_MS,
    });
    await reporter.flush(true);
    return kept;
  } catch (error) {
    ctx.log.warn({ err: toStoredError(error) }, 'heartbeat failed');
    return true;
  }
}

class Reporter implements RunReporter {
  readonly runId: string;
  readonly #ctx: SyncContext;
  readonly #counts: Record<string, StreamRunCounts | number> = {};
  readonly #progress: Record<string, unknown> = {};
  readonly #warnings: string[] = [];
  #droppedWarnings = 0;
  #lastFlush = 0;
  #dirty = false;

  constructor(ctx: SyncContext, runId: string) {
    this.#ctx = ctx;
    this.runId = runId;
  }

  count(key: string, value: StreamRunCounts | number): void {
    this.#counts[key] = value;
    this.#dirty = true;
  }

  async progress(key: string, value: unknown): Promise<void> {
    this.#progress[key] = value;
    this.#dirty = true;
    if (this.#ctx.clock() - this.#lastFlush >= FLUSH_EVERY_MS) await this.flush();
  }

  warn(message: string): void {
    if (this.#warnings.length < MAX_WARNINGS) this.#warnings.push(message);
    else this.#droppedWarnings++;
    this.#dirty = true;
  }

  #snapshot(): { counts: RunCounts; progress: Record<string, unknown> } {
    const warnings =
      this.#droppedWarnings > 0
        ? [...this.#warnings, `… and ${this.#droppedWarnings} more warnings`]
        : this.#warnings;
    return { counts: { ...this.#counts }, progress: { ...this.#progress, warnings } };
  }

  /** Writes counts and progress when they changed; `heartbeat` writes even when they did not. */
  async flush(heartbeat = false): Promise<void> {
    if (!this.#dirty && !heartbeat) return;
    this.#dirty = false;
    this.#lastFlush = this.#ctx.clock();
    await recordRunProgress(this.#ctx.db, this.runId, this.#snapshot(), ms(this.#ctx.clock()));
  }

  async finish(
    status: Exclude<RunStatus, 'queued' | 'running'>,
    error: StoredError | null,
  ): Promise<Run> {
    return finishRun(
      this.#ctx.db,
      this.runId,
      { ...this.#snapshot(), status, error },
      ms(this.#ctx.clock()),
    );
  }
}
