/**
 * Runs the API starts (aggregate, sync) proceed in the background through `runExclusive`: the
 * route answers `202 {runId}` as soon as the run is recorded, and `stop()` (shutdown) asks each
 * to end at its next page boundary and waits, so nothing is lost.
 *
 * @example const run = await runs.start(sourceId, 'sync', { streams: ['authentication'] });
 */
import type { Run } from '../domain/runs.js';
import type { StreamName } from '../domain/streams.js';
import { syncActivitySource } from '../sync/activity-sync.js';
import { aggregateSource } from '../sync/aggregation.js';
import { toStoredError, type SyncContext } from '../sync/context.js';

export interface BackgroundRunOptions {
  readonly streams?: readonly StreamName[];
  readonly backfillDays?: number;
}

export class BackgroundRuns {
  readonly #ctx: SyncContext;
  readonly #running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  #stopped = false;
  #sequence = 0;

  constructor(ctx: SyncContext) {
    this.#ctx = ctx;
  }

  /**
   * Starts an aggregation or sync and resolves with the run once it is recorded; rejects when
   * it cannot start (source busy, not ready, unknown).
   */
  start(
    sourceId: string,
    kind: 'aggregation' | 'sync',
    options: BackgroundRunOptions = {},
  ): Promise<Run> {
    if (this.#stopped) return Promise.reject(new Error('duo-insights is shutting down'));
    const controller = new AbortController();
    return new Promise<Run>((resolve, reject) => {
      let started = false;
      const onRunStarted = (run: Run): void => {
        started = true;
        resolve(run);
      };
      const common = { trigger: 'manual' as const, signal: controller.signal, onRunStarted };
      const work =
        kind === 'sync'
          ? syncActivitySource(this.#ctx, sourceId, {
              ...common,
              ...(options.streams === undefined ? {} : { streams: options.streams }),
              ...(options.backfillDays === undefined ? {} : { backfillDays: options.backfillDays }),
            })
          : aggregateSource(this.#ctx, sourceId, common);
      const key = `${sourceId}:${String(++this.#sequence)}`;
      const done = work
        .then(() => undefined)
        .catch((error: unknown) => {
          if (!started) reject(error instanceof Error ? error : new Error(String(error)));
          else
            this.#ctx.log.error(
              { err: toStoredError(error), sourceId },
              `background ${kind} failed`,
            );
        })
        .finally(() => this.#running.delete(key));
      this.#running.set(key, { controller, done });
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const { controller } of this.#running.values())
      controller.abort(new Error('duo-insights is shutting down'));
    await Promise.all([...this.#running.values()].map((r) => r.done));
  }
}
