/**
 * The data directory holds password hashes, activity and the audit trail: on a start it is
 * created owner-only (0700, files 0600), and a directory or database files left readable by
 * others are tightened, with a warning naming each path.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logging.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'di-data-dir-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8);

function capturedLog(): { log: ReturnType<typeof createLogger>; lines: () => unknown[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    log: createLogger({ level: 'info', destination }),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as unknown),
  };
}

async function start(dataDir: string, log = capturedLog().log): Promise<void> {
  const app = await openApp(loadConfig({ DUO_INSIGHTS_DATA_DIR: dataDir }), { log });
  await app.close();
}

const STORE_FILES = ['duo-insights.db', 'duo-insights.db-wal', 'duo-insights.db-shm'];

it('creates the data directory owner-only, and the database, its WAL and shared-memory files and the key file readable by the owner alone', async () => {
  const dataDir = join(root, 'data');
  const app = await openApp(loadConfig({ DUO_INSIGHTS_DATA_DIR: dataDir }), {
    log: capturedLog().log,
  });
  try {
    expect(modeOf(dataDir)).toBe('700');
    for (const file of [...STORE_FILES, 'secret.key']) {
      expect(existsSync(join(dataDir, file)), file).toBe(true);
      expect(modeOf(join(dataDir, file)), file).toBe('600');
    }
  } finally {
    await app.close();
  }
});

it('tightens a data directory and database files that others can read, warning about each', async () => {
  const dataDir = join(root, 'data');
  await start(dataDir);
  chmodSync(dataDir, 0o755);
  const loosened = [dataDir];
  for (const file of STORE_FILES) {
    const path = join(dataDir, file);
    if (!existsSync(path)) continue; // a clean close removes the WAL files
    chmodSync(path, 0o644);
    loosened.push(path);
  }
  const { log, lines } = capturedLog();
  const app = await openApp(loadConfig({ DUO_INSIGHTS_DATA_DIR: dataDir }), { log });
  try {
    expect(modeOf(dataDir)).toBe('700');
    for (const file of STORE_FILES) expect(modeOf(join(dataDir, file)), file).toBe('600');
    const warnings = lines().filter(
      (l): l is { level: number; path: string; msg: string } =>
        typeof l === 'object' && l !== null && (l as { level?: number }).level === 40,
    );
    const tightened = warnings.filter((w) => /readable by other users/.test(w.msg));
    expect(loosened).toContain(join(dataDir, 'duo-insights.db'));
    expect(tightened.map((w) => w.path).sort()).toEqual(loosened.sort());
  } finally {
    await app.close();
  }
});
