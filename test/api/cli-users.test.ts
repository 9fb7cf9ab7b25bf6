/**
 * The first admin and API tokens from the command line (`duo-insights user create --admin`,
 * `token create`), then used against a running server (`duo-insights serve`). Needs `dist/`.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = join(import.meta.dirname, '../../dist/cli/main.js');
const run = promisify(execFile);

describe('duo-insights user create and token create', () => {
  const dir = mkdtempSync(join(tmpdir(), 'di-cli-'));
  const env = { ...process.env, DUO_INSIGHTS_DATA_DIR: dir, LOG_LEVEL: 'warn' };

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the first admin with a generated password, then a token that signs API calls', async () => {
    const created = await run(
      process.execPath,
      [MAIN, 'user', 'create', '--username', 'root', '--admin', '--json'],
      { env },
    );
    const user = JSON.parse(created.stdout) as { user: { role: string }; password: string };
    expect(user.user.role).toBe('admin');
    expect(user.password.length).toBeGreaterThanOrEqual(20);

    const file = join(dir, 'pw');
    writeFileSync(file, 'a viewer password\n');
    const viewer = await run(
      process.execPath,
      [
        MAIN,
        'user',
        'create',
        '--username',
        'val',
        '--role',
        'viewer',
        '--password-file',
        file,
        '--json',
      ],
      { env },
    );
    expect(JSON.parse(viewer.stdout)).not.toHaveProperty('password');

    const duplicate = await run(
      process.execPath,
      [MAIN, 'user', 'create', '--username', 'ROOT', '--admin'],
      {
        env,
      },
    ).catch((e: unknown) => e as { code: number; stderr: string });
    expect(duplicate).toMatchObject({ code: 1 });
    expect((duplicate as { stderr: string }).stderr).toMatch(/exists/);

    const issued = await run(
      process.execPath,
      [MAIN, 'token', 'create', '--user', 'root', '--name', 'ci', '--json'],
      {
        env,
      },
    );
    const { token } = JSON.parse(issued.stdout) as { token: string };
    expect(token).toMatch(/^dit_/);

    const expiring = await run(
      process.execPath,
      [
        MAIN,
        'token',
        'create',
        '--user',
        'root',
        '--name',
        'quarterly',
        '--expires-in-days',
        '90',
        '--json',
      ],
      { env },
    );
    const { apiToken: quarterly } = JSON.parse(expiring.stdout) as {
      apiToken: { id: string; createdAt: number; expiresAt: number | null };
    };
    expect(quarterly.expiresAt).toBe(quarterly.createdAt + 90 * 24 * 60 * 60 * 1000);

    const server = spawn(process.execPath, [MAIN, 'serve'], {
      env: { ...env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const base = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const match = /http:\/\/\S+/.exec(out);
          if (match) resolve(match[0]);
        });
        server.on('exit', (code) => {
          reject(new Error(`serve exited with ${String(code)}`));
        });
      });
      const ok = await fetch(`${base}/api/v1/auth/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({
        user: { username: 'root', role: 'admin' },
        via: 'token',
      });
      const bad = await fetch(`${base}/api/v1/auth/me`, {
        headers: { authorization: `Bearer ${token}x` },
      });
      expect(bad.status).toBe(401);

      const listed = await run(process.execPath, [MAIN, 'token', 'list', '--json'], { env });
      const tokens = JSON.parse(listed.stdout) as {
        name: string;
        lastUsedAt: number | null;
        expiresAt: number | null;
      }[];
      expect(tokens.find((t) => t.name === 'ci')).toMatchObject({ expiresAt: null });
      expect(tokens.find((t) => t.name === 'ci')?.lastUsedAt).toEqual(expect.any(Number));
      expect(tokens.find((t) => t.name === 'quarterly')).toMatchObject({
        expiresAt: quarterly.expiresAt,
        lastUsedAt: null,
      });
      // What the command line did is in the audit trail under the person at the terminal.
      const audit = await fetch(`${base}/api/v1/audit`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const { entries } = (await audit.json()) as {
        entries: { actor: string; action: string; targetName: string | null }[];
      };
      const cli = `cli:${userInfo().username}`;
      expect(
        entries
          .filter((e) => e.action === 'user.create' || e.action === 'token.create')
          .map((e) => [e.actor, e.action, e.targetName])
          .sort(),
      ).toEqual(
        [
          [cli, 'token.create', 'ci'],
          [cli, 'token.create', 'quarterly'],
          [cli, 'user.create', 'root'],
          [cli, 'user.create', 'val'],
        ].sort(),
      );
      const page = await fetch(`${base}/`);
      expect(await page.text()).toMatch(/openapi\.json|<div id="root"|<script/);
    } finally {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
  });

  it('resets a forgotten password: generated and shown once, the user must change it, a bad one names the rule', async () => {
    const file = join(dir, 'rita-pw');
    writeFileSync(file, 'rita starts with this\n');
    await run(
      process.execPath,
      [MAIN, 'user', 'create', '--username', 'rita', '--admin', '--password-file', file, '--json'],
      { env },
    );
    const reset = await run(
      process.execPath,
      [MAIN, 'user', 'reset-password', '--username', 'RITA', '--json'],
      { env },
    );
    const answer = JSON.parse(reset.stdout) as {
      user: { username: string; mustChangePassword: boolean };
      password: string;
    };
    expect(answer.user).toMatchObject({ username: 'rita', mustChangePassword: true });
    expect(answer.password.length).toBeGreaterThanOrEqual(20);
    expect(reset.stdout).not.toContain('scrypt$');
    const listed = await run(process.execPath, [MAIN, 'user', 'list', '--json'], { env });
    expect(
      (JSON.parse(listed.stdout) as { username: string; mustChangePassword: boolean }[]).find(
        (u) => u.username === 'rita',
      ),
    ).toMatchObject({ mustChangePassword: true });

    writeFileSync(file, 'rita\n');
    const refused = await run(
      process.execPath,
      [MAIN, 'user', 'reset-password', '--username', 'rita', '--password-file', file],
      { env },
    ).catch((e: unknown) => e as { code: number; stderr: string });
    expect(refused).toMatchObject({ code: 2 });
    expect((refused as { stderr: string }).stderr).toMatch(
      /newPassword: must be at least 12 characters; newPassword: must not be the user name/,
    );
    const nobody = await run(
      process.execPath,
      [MAIN, 'user', 'reset-password', '--username', 'nobody'],
      { env },
    ).catch((e: unknown) => e as { code: number; stderr: string });
    expect((nobody as { stderr: string }).stderr).toMatch(/nobody/);
  });

  it('refuses --expires-in-days that is not a whole number of days from 1 to 3650, naming the flag', async () => {
    for (const days of ['0', '-3', '1.5', 'ninety', '3651']) {
      const refused = await run(
        process.execPath,
        [MAIN, 'token', 'create', '--name', 'bad', '--expires-in-days', days],
        { env },
      ).catch((e: unknown) => e as { code: number; stderr: string });
      expect(refused, days).toMatchObject({ code: expect.any(Number) as number });
      expect((refused as { code: number }).code).not.toBe(0);
      expect((refused as { stderr: string }).stderr).toMatch(
        /--expires-in-days must be a whole number from 1 to 3650/,
      );
    }
    const listed = await run(process.execPath, [MAIN, 'token', 'list', '--json'], { env });
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((t) => t.name)).not.toContain(
      'bad',
    );
  });
});
