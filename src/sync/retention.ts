/**
 * Retention: each Activity Insights – Duo source keeps its raw events for `retentionDays`
 * (default 400) and its per-day rollups for `rollupRetentionDays` (default 3 years). The keeper
 * deletes what is older once a day per source, off the sync's path: in batches of a few thousand
 * rows, each its own short transaction, with a pause between batches so reads and syncs go on;
 * under a lease per source, so several servers on one PostgreSQL do not delete the same rows
 * twice. It never deletes an event a destination has not delivered: each hold names the oldest
 * undelivered event time of a stream, and the cutoff stops there. What each pass did is kept per
 * source (`retentionStatus`) for the storage view.
 *
 * @example const keeper = new RetentionKeeper(ctx); keeper.start(); … await keeper.stop();
 */
import type { Source } from '../domain/sources.js';
import { DAY_MS, HOUR_MS, type EpochMs } from '../domain/time.js';
import type { StreamName } from '../domain/streams.js';
import {
  deleteEventsBefore,
  deleteOrgRollupsBefore,
  deleteUserRollupsBefore,
  rollupCutoffDay,
  sourceUserKeys,
} from '../store/activity/retention.js';
import type { Db } from '../store/dialect.js';
import { acquireLease, releaseLease, renewLease } from '../store/leases.js';
import { getSetting, setSetting } from '../store/settings.js';
import { listSources } from '../store/sources.js';
import type { Logger } from '../logging.js';

/** A stream of a source, as a hold is asked about it. */
export interface RetainedStream {
  readonly sourceId: string;
  readonly stream: StreamName;
  readonly streamId: number;
}

/**
 * Something that needs a stream's events kept for now (forwarding destinations that have not
 * delivered them): the time of the oldest event it still needs (with who needs it, when the hold
 * speaks for several), or null when it needs none.
 */
export interface RetentionHold {
  readonly name: string;
  oldestNeeded(
    stream: RetainedStream,
  ): Promise<EpochMs | { readonly atMs: EpochMs; readonly by: string } | null>;
}

export interface RetentionOptions {
  /** Rows per delete statement. Default 2,000. */
  readonly batchSize?: number;
  /** Pause between batches, so concurrent reads and the sync get the store. Default 20 ms. */
  readonly pauseMs?: number;
  readonly holds?: readonly RetentionHold[];
  readonly signal?: AbortSignal;
}

/** What a pass over one stream did. */
export interface StreamRetention {
  readonly stream: StreamName;
  /** Events before this time were to go (the retention cutoff). */
  readonly cutoffMs: EpochMs;
  /** Events before this time went: the cutoff, or earlier when a hold kept some. */
  readonly deletedBeforeMs: EpochMs;
  readonly deleted: number;
  /** The hold that kept events the cutoff would have deleted. */
  readonly heldBy?: string;
}

/** What a pass over a source did (kept as its retention status). */
export interface RetentionOutcome {
  readonly sourceId: string;
  readonly at: EpochMs;
  readonly tookMs: number;
  readonly retentionDays: number;
  readonly rollupRetentionDays: number;
  readonly streams: readonly StreamRetention[];
  /** Rollup rows deleted (per user and day, and the organisation's per-day totals). */
  readonly rollupRowsDeleted: number;
  /** Set when the pass stopped early (stopped, or an error): the next pass goes on from there. */
  readonly interrupted?: string;
}

export interface RetentionContext {
  readonly db: Db;
  readonly log: Logger;
  readonly clock: () => number;
  readonly holder: string;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const DEFAULT_BATCH = 2_000;
const DEFAULT_PAUSE_MS = 20;
const USERS_PER_ROLLUP_BATCH = 500;

/** How often a source's retention runs, and how often the keeper looks for one that is due. */
export const RETENTION_INTERVAL_MS = 24 * HOUR_MS;
export const RETENTION_TICK_MS = HOUR_MS;
const LEASE_TTL_MS = 5 * 60_000;

function statusKey(sourceId: string): string {
  return `retention:${sourceId}`;
}

/** The last retention pass over a source, or undefined when none has run. */
export async function retentionStatus(
  db: Db,
  sourceId: string,
): Promise<RetentionOutcome | undefined> {
  const value = await getSetting(db, statusKey(sourceId));
  return value === undefined ? undefined : (JSON.parse(value) as RetentionOutcome);
}

/** Waits `ms`, or less when `signal` aborts; leaves no listener on `signal` either way. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    // A pass sleeps between thousands of batches on one signal: a listener left behind by each
    // pause would pile up for as long as the keeper runs.
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function heldCutoff(
  holds: readonly RetentionHold[],
  stream: RetainedStream,
  cutoffMs: EpochMs,
): Promise<{ beforeMs: EpochMs; heldBy?: string }> {
  let beforeMs = cutoffMs;
  let heldBy: string | undefined;
  for (const hold of holds) {
    const needed = await hold.oldestNeeded(stream);
    if (needed === null) continue;
    const atMs = typeof needed === 'number' ? needed : needed.atMs;
    if (atMs < beforeMs) {
      beforeMs = atMs;
      heldBy = typeof needed === 'number' ? hold.name : needed.by;
    }
  }
  return heldBy === undefined ? { beforeMs } : { beforeMs, heldBy };
}

/**
 * One retention pass over a source: each stream's events before its cutoff (held back where a
 * hold needs them), then the rollups before theirs. Safe to stop at any batch.
 */
export async function pruneSource(
  ctx: RetentionContext,
  source: Source,
  options: RetentionOptions = {},
): Promise<RetentionOutcome> {
  const started = ctx.clock();
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const pauseMs = options.pauseMs ?? DEFAULT_PAUSE_MS;
  const { retentionDays, rollupRetentionDays } = source.settings;
  const cutoffMs = (started - retentionDays * DAY_MS) as EpochMs;
  const streams = await ctx.db
    .selectFrom('event_streams')
    .select(['id', 'stream'])
    .where('source_id', '=', source.id)
    .orderBy('stream')
    .execute();
  const done: StreamRetention[] = [];
  let rollupRowsDeleted = 0;
  let interrupted: string | undefined;
  const stopped = () => (options.signal?.aborted ? 'stopped' : undefined);
  try {
    for (const row of streams) {
      const stream: RetainedStream = {
        sourceId: source.id,
        stream: row.stream as StreamName,
        streamId: row.id,
      };
      const { beforeMs, heldBy } = await heldCutoff(options.holds ?? [], stream, cutoffMs);
      let deleted = 0;
      for (;;) {
        interrupted = stopped();
        if (interrupted) break;
        const n = await deleteEventsBefore(ctx.db, {
          streamId: stream.streamId,
          beforeMs,
          limit: batchSize,
        });
        deleted += n;
        if (n < batchSize) break;
        await sleep(pauseMs, options.signal);
      }
      done.push({
        stream: stream.stream,
        cutoffMs,
        deletedBeforeMs: beforeMs,
        deleted,
        ...(heldBy === undefined ? {} : { heldBy }),
      });
      if (interrupted) break;
    }
    if (!interrupted) {
      const beforeDay = rollupCutoffDay((started - rollupRetentionDays * DAY_MS) as EpochMs);
      let after = -1;
      for (;;) {
        interrupted = stopped();
        if (interrupted) break;
        const userKeys = await sourceUserKeys(ctx.db, {
          sourceId: source.id,
          afterUserKey: after,
          limit: USERS_PER_ROLLUP_BATCH,
        });
        if (userKeys.length === 0) break;
        rollupRowsDeleted += await deleteUserRollupsBefore(ctx.db, {
          sourceId: source.id,
          userKeys,
          beforeDay,
        });
        after = userKeys[userKeys.length - 1] ?? after;
        await sleep(pauseMs, options.signal);
      }
      if (!interrupted) {
        rollupRowsDeleted += await deleteOrgRollupsBefore(ctx.db, {
          sourceId: source.id,
          beforeDay,
        });
      }
    }
  } catch (error) {
    interrupted = errorMessage(error);
  }
  const outcome: RetentionOutcome = {
    sourceId: source.id,
    at: started as EpochMs,
    tookMs: ctx.clock() - started,
    retentionDays,
    rollupRetentionDays,
    streams: done,
    rollupRowsDeleted,
    ...(interrupted === undefined ? {} : { interrupted }),
  };
  await setSetting(ctx.db, statusKey(source.id), JSON.stringify(outcome));
  const deleted = done.reduce((sum, s) => sum + s.deleted, 0);
  const held = done.filter((s) => s.heldBy !== undefined).map((s) => `${s.stream} (${s.heldBy})`);
  ctx.log[interrupted ? 'warn' : 'info'](
    {
      sourceId: source.id,
      deleted,
      rollupRowsDeleted,
      tookMs: outcome.tookMs,
      ...(held.length > 0 ? { heldBack: held } : {}),
      ...(interrupted ? { interrupted } : {}),
    },
    interrupted
      ? `retention of source ${source.name} stopped after deleting ${deleted} events: ${interrupted}; the next pass goes on`
      : `retention of source ${source.name}: deleted ${deleted} events older than ${retentionDays} days and ${rollupRowsDeleted} rollup rows older than ${rollupRetentionDays} days`,
  );
  return outcome;
}

/**
 * Runs each Activity Insights – Duo source's retention once a day, one source at a time, under
 * the source's retention lease. `runNow` runs one source at once (the API's and the CLI's
 * "apply retention now").
 */
export class RetentionKeeper {
  readonly #ctx: RetentionContext;
  readonly #options: RetentionOptions & { readonly tickMs?: number };
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  readonly #abort = new AbortController();
  readonly #holds: RetentionHold[] = [];

  constructor(
    ctx: RetentionContext,
    options: RetentionOptions & { readonly tickMs?: number } = {},
  ) {
    this.#ctx = ctx;
    this.#options = options;
  }

  /** Keeps events a hold still needs (a forwarding destination registers one). */
  addHold(hold: RetentionHold): void {
    this.#holds.push(hold);
  }

  start(): void {
    if (this.#timer) return;
    const tick = () => {
      this.#running ??= this.#tick().finally(() => (this.#running = undefined));
    };
    this.#timer = setInterval(tick, this.#options.tickMs ?? RETENTION_TICK_MS);
    this.#timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await this.#running;
  }

  /** Applies a source's retention now (under its lease); undefined when another process holds it. */
  async runNow(source: Source): Promise<RetentionOutcome | undefined> {
    return this.#underLease(source);
  }

  async #tick(): Promise<void> {
    try {
      const sources = await listSources(this.#ctx.db);
      for (const source of sources) {
        if (this.#abort.signal.aborted) return;
        if (source.type !== 'duo-activity') continue;
        const last = await retentionStatus(this.#ctx.db, source.id);
        const due =
          last === undefined ||
          last.interrupted !== undefined ||
          this.#ctx.clock() >= last.at + RETENTION_INTERVAL_MS;
        if (due) await this.#underLease(source);
      }
    } catch (error) {
      this.#ctx.log.warn(
        { err: errorMessage(error) },
        `retention pass failed: ${errorMessage(error)}`,
      );
    }
  }

  async #underLease(source: Source): Promise<RetentionOutcome | undefined> {
    const lease = { name: `retention:${source.id}`, holder: this.#ctx.holder, ttlMs: LEASE_TTL_MS };
    if (!(await acquireLease(this.#ctx.db, lease))) return undefined;
    const renew = setInterval(() => void renewLease(this.#ctx.db, lease), LEASE_TTL_MS / 3);
    renew.unref();
    try {
      return await pruneSource(this.#ctx, source, {
        ...this.#options,
        holds: [...(this.#options.holds ?? []), ...this.#holds],
        signal: this.#abort.signal,
      });
    } finally {
      clearInterval(renew);
      await releaseLease(this.#ctx.db, lease);
    }
  }
}
