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

const ASKED: Record<RunKind, string> = {
  test: 'Test Connection',
  aggregation: 'An aggregation',
  sync: 'A sync',
};
const HOLDING: Record<RunKind, string> = {
  test: 'a connection test',
  aggregation: 'an aggregation',
  sync: 'a sync',
};

/**
 * A run was asked for a source that another run (maybe in another process) holds. The message
 * says in words what was asked and what runs, without ids (the answer is shown to people as
 * is); `runId` and `expiresAt` carry the holder for the server log.
 *
 * @example new SourceBusyError(id, { runId, kind: 'sync', expiresAt }, 'test').message
 *   // 'Test Connection cannot start while a sync of this source is running; try again when it ends'
 */
export class SourceBusyError extends Error {
  override readonly name = 'SourceBusyError';
  readonly runId: string | undefined;
  readonly kind: RunKind | undefined;
  readonly expiresAt: EpochMs | undefined;
  constructor(
    readonly sourceId: string,
    holder: SourceHolder = {},
    asked?: RunKind,
  ) {
    const running = holder.kind === undefined ? 'another run' : HOLDING[holder.kind];
    super(
      `${asked === undefined ? 'A run' : ASKED[asked]} cannot start while ${running} of this source is running; try again when it ends`,
    );
    this.runId = holder.runId;
    this.kind = holder.kind;
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
      ...(error.fix ? { fix: error.fix } : {}),
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
