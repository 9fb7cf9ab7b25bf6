/**
 * The command line goes through the same source use cases as the API: a source that has not
 * passed Test Connection is refused by `sync` and `aggregate` with the API's `source_not_ready`
 * message, and what a person does at the command line is in the audit trail under their
 * operating-system name (`cli:<user>`). Spawns the built CLI (`dist/`).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../src/store/audit.js';
import { openDatabase } from '../../src/store/dialect.js';

const MAIN = join(import.meta.dirname, '../../dist/cli/main.js');
const run = promisify(execFile);

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('sources from the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'di-cli-sources-'));
  const env: NodeJS.ProcessEnv = { ...process.env, DUO_INSIGHTS_DATA_DIR: dir, LOG_LEVEL: 'error' };
  delete env['DATABASE_URL'];

  async function cli(args: string[]): Promise<Outcome> {
    try {
      const { stdout } = await run(process.execPath, [MAIN, ...args], { env, timeout: 30_000 });
      return { code: 0, stdout, stderr: '' };
    } catch (error) {
      const failure = error as { code?: unknown; stdout?: string; stderr?: string };
      return {
        code: Number(failure.code),
        stdout: failure.stdout ?? '',
        stderr: failure.stderr ?? '',
      };
    }
  }

  async function mustSucceed(args: string[]): Promise<void> {
    const outcome = await cli(args);
    expect(outcome.code, outcome.stderr).toBe(0);
  }

  const untested =
    /source "(Duo accounts|Duo logs)" is configured: it must pass Test Connection before it runs/;

  beforeAll(async () => {
    await mustSucceed(['identities', 'create', '--name', 'O', '--email', 'o@example.com']);
    for (const [type, name] of [
      ['duo', 'Duo accounts'],
      ['duo-activity', 'Duo logs'],
    ] as const) {
      await mustSucceed([
        'sources',
        'create',
        '--type',
        type,
        '--name',
        name,
        '--owner',
        'o@example.com',
      ]);
      await mustSucceed([
        'sources',
        'configure',
        name,
        '--api-host',
        'api-12345678.duosecurity.com',
        '--ikey',
        'DIABCDEFGHIJ12345678',
        '--skey',
        's'.repeat(40),
      ]);
    }
  }, 60_000);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to aggregate a source that has not passed Test Connection, as the API does', async () => {
    const outcome = await cli(['aggregate', 'Duo accounts']);
    expect(outcome.code, outcome.stderr).toBe(1);
    expect(outcome.stderr).toMatch(untested);
    expect(outcome.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('refuses to sync a source that has not passed Test Connection, as the API does', async () => {
    const outcome = await cli(['sync', 'Duo logs']);
    expect(outcome.code, outcome.stderr).toBe(1);
    expect(outcome.stderr).toMatch(untested);
    expect(outcome.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('records what the person at the command line did under their operating-system name', async () => {
    await mustSucceed(['sources', 'delete', 'Duo logs', '--yes']);
    const db = openDatabase(`sqlite:${join(dir, 'duo-insights.db')}`);
    try {
      const entries = await listAudit(db);
      const actor = `cli:${userInfo().username}`;
      const done = entries
        .filter((e) => e.actor === actor)
        .map((e) => `${e.action} ${e.targetName ?? ''}`)
        .sort();
      expect(done).toEqual([
        'source.configure Duo accounts',
        'source.configure Duo logs',
        'source.create Duo accounts',
        'source.create Duo logs',
        'source.delete Duo logs',
      ]);
      expect(JSON.stringify(entries)).not.toContain('s'.repeat(40));
    } finally {
      await db.destroy();
    }
  });
});
