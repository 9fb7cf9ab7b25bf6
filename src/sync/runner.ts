/**
 * The one way a source's aggregation or sync starts, whoever asks (a route, the command line,
 * the scheduler): the rule that a source runs only once it has passed Test Connection, then
 * `aggregateSource` / `syncActivitySource` under the source's lease. `start()` resolves as soon
 * as the run is recorded and lets it proceed in the background; `run()` waits for its end.
 * `stop()` (shutdown) asks each run to end at its next page boundary and waits: nothing is lost.
 *
 * @example const runs = new Runner(ctx); const run = await runs.start(source, 'sync', { trigger: 'manual' });
 */
import type { Run, RunTrigger } from '../domain/runs.js';
import { SourceNotReadyError } from '../domain/errors.js';
import { assertRunKind, type Source, type SourceRunKind } from '../domain/sources.js';
import type { StreamName } from '../domain/streams.js';
import { syncActivitySource } from './activity-sync.js';
import { aggregateSource } from './aggregation.js';
import { SourceBusyError, toStoredError, type SyncContext } from './context.js';

export { runKindOf, type SourceRunKind } from '../domain/sources.js';

export interface SourceRunOptions {
  readonly trigger: RunTrigger;
  /** Only these streams (syncs). */
  readonly streams?: readonly StreamName[];
  /** History fetched on a stream's first sync (syncs). */
  readonly backfillDays?: number;
  /** Stops the run at its next page boundary (the command line's Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Asked once the run holds the source (see `RunRequest.stillDue`): the scheduler's re-check. */
  readonly stillDue?: () => Promise<boolean>;
}

/** Whether a source may run now: it passed its last Test Connection (credentials unchanged). */
export function isReadyToRun(source: Source): boolean {
  return source.state === 'verified';
}

/**
 * Refuses a run the source cannot have: the wrong kind for its type (`assertRunKind`), or a
 * source that has not passed Test Connection (the one place this rule lives).
 */
export function assertReadyToRun(source: Source, kind: SourceRunKind): void {
  assertRunKind(source, kind);
  if (!isReadyToRun(source))
    throw new SourceNotReadyError(
      `source "${source.name}" is ${source.state}: it must pass Test Connection before it runs`,
    );
}

export class Runner {
  readonly #ctx: SyncContext;
  readonly #running = new Map<
    string,
    { sourceId: string; controller: AbortController; done: Promise<void> }
  >();
  #stopped = false;
  #sequence = 0;

  constructor(ctx: SyncContext) {
    this.#ctx = ctx;
  }

  /**
   * Starts a run and resolves with it once it is recorded; rejects when it cannot start
   * (not ready, source busy, unknown). A failure after the start is in the run and the log.
   */
  async start(source: Source, kind: SourceRunKind, options: SourceRunOptions): Promise<Run> {
    const { started } = this.begin(source, kind, options);
    return started;
  }

  /** Runs to the end and resolves with the finished run (the command line's foreground run). */
  async run(source: Source, kind: SourceRunKind, options: SourceRunOptions): Promise<Run> {
    const { finished } = this.begin(source, kind, options);
    return finished;
  }

  /** Whether a run of this source started here has not ended. */
  isRunning(sourceId: string): boolean {
    return [...this.#running.values()].some((r) => r.sourceId === sourceId);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const { controller } of this.#running.values())
      controller.abort(new Error('duo-insights is shutting down'));
    await Promise.all([...this.#running.values()].map((r) => r.done));
  }

  /** Both moments of one run: recorded (`started`) and ended (`finished`). */
  begin(
    source: Source,
    kind: SourceRunKind,
    options: SourceRunOptions,
  ): { started: Promise<Run>; finished: Promise<Run> } {
    if (this.#stopped) {
      const refused = Promise.reject(new Error('duo-insights is shutting down'));
      return { started: refused, finished: refused };
    }
    try {
      assertReadyToRun(source, kind);
    } catch (error) {
      const refused = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      return { started: refused, finished: refused };
    }
    const controller = new AbortController();
    const outer = options.signal;
    const onAbort = (): void => {
      controller.abort(outer?.reason);
    };
    outer?.addEventListener('abort', onAbort, { once: true });
    if (outer?.aborted) onAbort();
    let markStarted: (run: Run) => void = () => undefined;
    let refuse: (error: Error) => void = () => undefined;
    let isStarted = false;
    const started = new Promise<Run>((resolve, reject) => {
      markStarted = (run) => {
        isStarted = true;
        resolve(run);
      };
      refuse = reject;
    });
    const common = {
      trigger: options.trigger,
      signal: controller.signal,
      onRunStarted: markStarted,
      ...(options.stillDue === undefined ? {} : { stillDue: options.stillDue }),
    };
    const finished =
      kind === 'sync'
        ? syncActivitySource(this.#ctx, source.id, {
            ...common,
            ...(options.streams === undefined ? {} : { streams: options.streams }),
            ...(options.backfillDays === undefined ? {} : { backfillDays: options.backfillDays }),
          })
        : aggregateSource(this.#ctx, source.id, common);
    const key = `${source.id}:${String(++this.#sequence)}`;
    const done = finished
      .then(() => undefined)
      .catch((error: unknown) => {
        if (!isStarted) refuse(error instanceof Error ? error : new Error(String(error)));
        else if (!(error instanceof SourceBusyError))
          this.#ctx.log.error({ err: toStoredError(error), sourceId: source.id }, `${kind} failed`);
      })
      .finally(() => {
        outer?.removeEventListener('abort', onAbort);
        this.#running.delete(key);
      });
    this.#running.set(key, { sourceId: source.id, controller, done });
    // Both are awaited by one caller or the other: neither may reject unhandled.
    started.catch(() => undefined);
    finished.catch(() => undefined);
    return { started, finished };
  }
}
