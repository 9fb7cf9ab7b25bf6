/**
 * `duo-insights accounts disable|enable|unlock` against the simulator: the built CLI (`dist/`)
 * changes the Duo user in Duo through the same use case as the API, says what changed in one
 * line, refuses what does not apply with the reason, and is audited under the OS user's name.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/server.js';
import { duoGet } from '../../src/sim/testing.js';
import { listAccounts } from '../../src/store/accounts.js';
import { listAudit } from '../../src/store/audit.js';
import { openDatabase } from '../../src/store/dialect.js';

const MAIN = join(import.meta.dirname, '../../dist/cli/main.js');
const run = promisify(execFile);
const CREDENTIAL = {
  ikey: 'DICLIACCOUNTS0000001',
  skey: 'cliAccountsSecret0000000000000000000001',
};

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('accounts from the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'di-cli-accounts-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DUO_INSIGHTS_DATA_DIR: dir,
    DUO_INSIGHTS_ALLOW_LOOPBACK_DUO_HOSTS: 'true',
    DUO_INSIGHTS_DUO_RATE_LIMIT: 'off',
    LOG_LEVEL: 'error',
  };
  delete env['DATABASE_URL'];
  let sim: Simulator;
  let account: { id: number; username: string; duoUserId: string };

  async function cli(args: string[]): Promise<Outcome> {
    try {
      const { stdout } = await run(process.execPath, [MAIN, ...args], { env, timeout: 60_000 });
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

  async function mustSucceed(args: string[]): Promise<Outcome> {
    const outcome = await cli(args);
    expect(outcome.code, outcome.stderr).toBe(0);
    return outcome;
  }

  /** Runs the CLI on a pseudo-terminal (util-linux `script`), where it prints text, not JSON. */
  async function onTerminal(args: string[]): Promise<string> {
    const command = [process.execPath, MAIN, ...args].map((a) => `'${a}'`).join(' ');
    const { stdout } = await run('script', ['-qec', command, '/dev/null'], {
      env,
      timeout: 60_000,
    });
    return stdout.replace(/\r\n/g, '\n');
  }

  async function withDb<T>(work: (db: ReturnType<typeof openDatabase>) => Promise<T>): Promise<T> {
    const db = openDatabase(`sqlite:${join(dir, 'duo-insights.db')}`);
    try {
      return await work(db);
    } finally {
      await db.destroy();
    }
  }

  async function duoStatus(duoUserId: string): Promise<string> {
    const res = await duoGet(sim, CREDENTIAL, `/admin/v1/users/${duoUserId}`);
    return (res.body as { response: { status: string } }).response.status;
  }

  beforeAll(async () => {
    sim = await startSimulator({
      credentials: [CREDENTIAL],
      users: 40,
      days: 1,
      authEventsPerDay: 100,
      seed: 'cli-accounts',
    });
    await mustSucceed(['identities', 'create', '--name', 'O', '--email', 'o@example.com']);
    await mustSucceed([
      'sources',
      'create',
      '--type',
      'duo',
      '--name',
      'Duo',
      '--owner',
      'o@example.com',
    ]);
    await mustSucceed([
      'sources',
      'configure',
      'Duo',
      '--api-host',
      sim.url,
      '--ikey',
      CREDENTIAL.ikey,
      '--skey',
      CREDENTIAL.skey,
    ]);
    await mustSucceed(['test-connection', 'Duo']);
    await mustSucceed(['aggregate', 'Duo']);
    const found = await withDb(async (db) =>
      (await listAccounts(db, { kind: 'user' })).find((a) => a.status === 'active'),
    );
    if (!found) throw new Error('the aggregation found no active user');
    account = found;
  }, 120_000);

  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('disables a user in Duo and says what changed, in one line', async () => {
    const text = await onTerminal(['accounts', 'disable', String(account.id)]);
    expect(text.trim()).toBe(
      `Disabled ${account.username} (account ${String(account.id)}) in Duo through source "Duo": status active → disabled.`,
    );
    expect(await duoStatus(account.duoUserId)).toBe('disabled');
  });

  it('refuses to unlock a user that is not locked out, with the reason', async () => {
    const outcome = await cli(['accounts', 'unlock', String(account.id)]);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toMatch(/only a locked-out account can be unlocked/);
    expect(await duoStatus(account.duoUserId)).toBe('disabled');
  });

  it('enables it again, and both changes are in the audit trail under the OS user', async () => {
    const outcome = await mustSucceed(['accounts', 'enable', String(account.id), '--json']);
    expect(JSON.parse(outcome.stdout)).toMatchObject({ id: account.id, status: 'active' });
    expect(await duoStatus(account.duoUserId)).toBe('active');
    const done = await withDb(async (db) =>
      (await listAudit(db))
        .filter((e) => e.actor === `cli:${userInfo().username}` && e.targetType === 'account')
        .map((e) => e.action)
        .sort(),
    );
    expect(done).toEqual(['account.disable', 'account.enable']);
  });
});
