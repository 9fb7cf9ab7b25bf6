/**
 * `duo-insights migrate`: on a new database it prints the migrations it applied, on an
 * up-to-date one that nothing was left to do. Needs `dist/`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations/index.js';

const MAIN = join(import.meta.dirname, '../../dist/cli/main.js');
const run = promisify(execFile);

describe('duo-insights migrate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'di-migrate-'));
  const env = {
    ...process.env,
    DUO_INSIGHTS_DATA_DIR: dir,
    DATABASE_URL: `sqlite:${join(dir, 'new.db')}`,
    LOG_LEVEL: 'warn',
  };

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints every migration it applied to a new database, then that the schema is up to date', async () => {
    const first = await run(process.execPath, [MAIN, 'migrate', '--json'], { env });
    expect(JSON.parse(first.stdout)).toEqual({ applied: MIGRATIONS.map((m) => m.id) });

    const again = await run(process.execPath, [MAIN, 'migrate', '--json'], { env });
    expect(JSON.parse(again.stdout)).toEqual({ applied: [] });
  });
});
