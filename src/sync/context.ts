/**
 * What the sync engine needs from the composition root: the database, the secret key that opens
 * source credentials, the Duo connections (one rate governor per credential), a logger, a clock
 * and this process's name for leases.
 *
 * @example const ctx: SyncContext = { db, secretKey, duo: new DuoConnections(opts), log, clock: Date.now, holder };
 */
import type { EventEmitter } from 'node:events';
import type { Logger } from '../logging.js';
import type { Db } from '../store/dialect.js';
import type { SecretKey } from '../store/secrets.js';
import type { StringCache } from '../store/activity/strings.js';
import type { DuoConnections } from './duo-connections.js';
import type { StoredError } from '../domain/activity.js';
import type { RunKind } from '../domain/runs.js';
import type { EpochMs } from '../domain/time.js';
import { DuoError } from '../duo/index.js';

export interface SyncContext {
  readonly db: Db;
  readonly secretKey: SecretKey;
  readonly duo: DuoConnections;
  readonly log: Logger;
  readonly clock: () => number;
  /** This process, as named in leases (`host:pid:random`). */
  readonly holder: string;
  /** Interned string ids shared by every ingest of this process. */
  readonly strings: StringCache;
  /**
   * Told `'stored'` (with the source id) after each transaction of activity pages commits, so
   * forwarding sends new events within seconds; the composition root wires the listener.
   */
  readonly events?: EventEmitter;
}

/** Who keeps a source busy: the run (when recorded yet) and when its lease expires. */
export interface SourceHolder {
  readonly runId?: string;
  readonly kind?: RunKind;
  /** The lease's expiry: the holder renews it while it works; if its process dies, it lapses. */
  readonly expiresAt?: EpochMs;
}

/**
 * A run was asked for a source that another run (maybe in another process) holds. The message
 * names that run and when its lease expires.
 *
 * @example new SourceBusyError(id, { runId, kind: 'sync', expiresAt }).message
 *   // 'source … is busy: sync run 3f… holds it (its lease expires at 2026-…Z unless renewed) …'
 */
export class SourceBusyError extends Error {
  override readonly name = 'SourceBusyError';
  readonly runId: string | undefined;
  readonly expiresAt: EpochMs | undefined;
  constructor(
    readonly sourceId: string,
    holder: SourceHolder = {},
  ) {
    const run =
      holder.runId === undefined
        ? 'a run that is starting'
        : `${holder.kind ?? 'a'} run ${holder.runId}`;
    const expiry =
      holder.expiresAt === undefined
        ? ''
        : ` (its lease expires at ${new Date(holder.expiresAt).toISOString()} unless that run renews it)`;
    super(`source ${sourceId} is busy: ${run} holds it${expiry}; try again when it ends`);
    this.runId = holder.runId;
    this.expiresAt = holder.expiresAt;
  }
}

/**
 * A scheduled run that, once it held its source, was no longer due: another server ran it
 * between this scheduler's look and its start. Nothing was recorded; the scheduler moves on.
 */
export class RunNoLongerDueError extends Error {
  override readonly name = 'RunNoLongerDueError';
  constructor(readonly sourceId: string) {
    super(`source ${sourceId} is no longer due: another server has just run it`);
  }
}

/** A source cannot run yet (no credentials, wrong type, connection never tested). */
export { SourceNotReadyError } from '../domain/errors.js';

/** The stored, secret-free form of any error a run meets. */
export function toStoredError(error: unknown): StoredError {
  if (error instanceof DuoError) {
    return {
      code: error.kind,
      message: `${error.message} ${error.fix}`.trim(),
      ...(error.cause instanceof Error ? { cause: error.cause.message } : {}),
    };
  }
  if (error instanceof Error) {
    return {
      code: error.name === 'AbortError' ? 'cancelled' : 'internal',
      message: error.message,
      ...(error.cause instanceof Error ? { cause: error.cause.message } : {}),
    };
  }
  return { code: 'internal', message: String(error) };
}
