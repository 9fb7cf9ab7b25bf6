/**
 * The data directory and the SQLite files hold password hashes, activity and the audit trail,
 * so only their owner may read them: the directory is created 0700 and the database file 0600
 * (SQLite gives its `-wal`, `-shm` and `-journal` files the database file's mode). A directory
 * or file left readable by others (an older version, a copy, a restore) is tightened on start,
 * and each one is reported so the composition root can warn.
 *
 * @example for (const t of secureStoreFiles({ dataDir: './data', databaseUrl })) log.warn(t, 'tightened');
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDatabaseUrl } from './dialect.js';

export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** A path others could read, and whether it was made owner-only. */
export interface LoosePath {
  readonly path: string;
  /** Its mode before, in octal (`755`). */
  readonly mode: string;
  /** False when the mode could not be changed (e.g. another user owns it); `error` says why. */
  readonly tightened: boolean;
  readonly error?: string;
}

/**
 * Creates the data directory (0700) when missing, and tightens it and the SQLite database with
 * its WAL, shared-memory and journal files when others can read them (`openDatabase` creates a
 * new database file 0600). Returns what was readable by others. A database outside the data directory gets its
 * own directory created 0700, but an existing one is left as it is (it may be shared).
 */
export function secureStoreFiles(options: {
  readonly dataDir: string;
  readonly databaseUrl: string;
}): LoosePath[] {
  if (process.platform === 'win32') return [];
  const loose: LoosePath[] = [];
  const note = (found: LoosePath | undefined): void => {
    if (found) loose.push(found);
  };
  note(privateDirectory(options.dataDir, true));
  const location = parseDatabaseUrl(options.databaseUrl);
  if (location.kind === 'sqlite' && location.path !== ':memory:') {
    const directory = dirname(location.path);
    if (resolve(directory) !== resolve(options.dataDir)) note(privateDirectory(directory, false));
    for (const suffix of ['', '-wal', '-shm', '-journal'])
      note(tightenFile(`${location.path}${suffix}`));
  }
  return loose;
}

function privateDirectory(path: string, tightenExisting: boolean): LoosePath | undefined {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  return tightenExisting ? tighten(path, PRIVATE_DIRECTORY_MODE) : undefined;
}

function tightenFile(path: string): LoosePath | undefined {
  try {
    return tighten(path, PRIVATE_FILE_MODE);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw error;
  }
}

function tighten(path: string, mode: number): LoosePath | undefined {
  const current = statSync(path).mode & 0o777;
  if ((current & 0o077) === 0) return undefined;
  const before = current.toString(8);
  try {
    chmodSync(path, mode);
    return { path, mode: before, tightened: true };
  } catch (error) {
    return {
      path,
      mode: before,
      tightened: false,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}
