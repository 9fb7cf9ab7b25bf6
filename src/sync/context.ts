/**
 * What the sync engine needs from the composition root: the database, the secret key that opens
 * source credentials, the Duo connections (one rate governor per credential), a logger, a clock
 * and this process's name for leases.
 *
 * @example const ctx: SyncContext = { db, secretKey, duo: new DuoConnections(opts), log, clock: Date.now, holder };
 */
import type { Logger } from '../logging.js';
import type { Db } from '../store/dialect.js';
import type { SecretKey } from '../store/secrets.js';
import type { StringCache } from '../store/activity.js';
import type { DuoConnections } from './duo-connections.js';
import type { StoredError } from '../domain/activity.js';
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
}

/** A run was asked for a source that another run (maybe in another process) holds. */
export class SourceBusyError extends Error {
  override readonly name = 'SourceBusyError';
  constructor(readonly sourceId: string) {
    super(
      `source ${sourceId} is already running a test, aggregation or sync; try again when it ends`,
    );
  }
}

/** A source cannot run yet (no credentials, wrong type, connection never tested). */
export class SourceNotReadyError extends Error {
  override readonly name = 'SourceNotReadyError';
}

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
