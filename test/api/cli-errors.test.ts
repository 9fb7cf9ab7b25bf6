/**
 * Ordinary mistakes on the command line end with one line on stderr naming the problem and its
 * fix, and a non-zero exit code — never "unexpected error" and a stack trace. Spawns the built
 * CLI (`dist/`).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = join(import.meta.dirname, '../../dist/cli/main.js');
const run = promisify(execFile);

interface Outcome {
  readonly code: number;
  readonly stderr: string;
}

describe('errors a person can fix, from the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'di-cli-errors-'));
  const env: NodeJS.ProcessEnv = { ...process.env, DUO_INSIGHTS_DATA_DIR: dir, LOG_LEVEL: 'error' };
  delete env['DATABASE_URL'];

  async function cli(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Outcome> {
    try {
      await run(process.execPath, [MAIN, ...args], { env: { ...env, ...extra }, timeout: 30_000 });
      return { code: 0, stderr: '' };
    } catch (error) {
      const failure = error as { code?: unknown; stderr?: string };
      return { code: Number(failure.code), stderr: failure.stderr ?? '' };
    }
  }

  /** Exactly one line, naming the problem and the fix, and no stack. */
  function expectOneLine(outcome: Outcome, ...patterns: RegExp[]): void {
    expect(outcome.code, outcome.stderr).toBeGreaterThan(0);
    const lines = outcome.stderr.trimEnd().split('\n');
    expect(lines, outcome.stderr).toHaveLength(1);
    expect(outcome.stderr).not.toMatch(/unexpected error|\n\s+at /);
    for (const pattern of patterns) expect(outcome.stderr).toMatch(pattern);
  }

  const configure = [
    'sources',
    'configure',
    'Duo accounts',
    '--api-host',
    'api-12345678.duosecurity.com',
    '--ikey',
    'DIABCDEFGHIJ12345678',
  ];

  beforeAll(async () => {
    await run(
      process.execPath,
      [MAIN, 'identities', 'create', '--name', 'O', '--email', 'o@example.com'],
      { env },
    );
    await run(
      process.execPath,
      [
        MAIN,
        'sources',
        'create',
        '--type',
        'duo',
        '--name',
        'Duo accounts',
        '--owner',
        'o@example.com',
      ],
      { env },
    );
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('configuring a new source without a secret key names --secret-key-file', async () => {
    expectOneLine(await cli(configure), /no secret key yet/, /--secret-key-file/);
  });

  it('a secret key file that does not exist names the flag, the path and the fix', async () => {
    const outcome = await cli([...configure, '--secret-key-file', join(dir, 'no-such-skey')]);
    expectOneLine(
      outcome,
      /--secret-key-file .*no-such-skey cannot be read \(no such file\)/,
      /- to read it from standard input/,
    );
    expect(outcome.code).toBe(2);
  });

  it('a password file that does not exist names --password-file', async () => {
    const outcome = await cli([
      'user',
      'create',
      '--username',
      'x',
      '--password-file',
      join(dir, 'no-pw'),
    ]);
    expectOneLine(outcome, /--password-file .*no-pw cannot be read/);
  });

  it('a source proxy with a password is refused, naming the setting', async () => {
    const outcome = await cli([
      ...configure,
      '--skey',
      'k'.repeat(40),
      '--proxy',
      'http://u:pr0xy-pw@127.0.0.1:3128',
    ]);
    expectOneLine(outcome, /proxyUrl: must not carry a password/, /HTTPS_PROXY/);
    expect(outcome.stderr).not.toContain('pr0xy-pw');
  });

  describe('serve on a port already in use', () => {
    let taken: Server;
    beforeAll(async () => {
      taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => {
      taken.close();
    });

    it('says the port is in use and how to choose another', async () => {
      const { port } = taken.address() as AddressInfo;
      expectOneLine(
        await cli(['serve'], {
          PORT: String(port),
          DUO_INSIGHTS_ADMIN_PASSWORD: 'a long first password',
        }),
        new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`),
        /--port or PORT/,
      );
    });
  });

  it('a PostgreSQL server that is down is named with DATABASE_URL', async () => {
    expectOneLine(
      await cli(['sources', 'list'], { DATABASE_URL: 'postgres://postgres:db-pw@127.0.0.1:1/duo' }),
      /cannot reach the PostgreSQL server at 127\.0\.0\.1:1 \(connection refused\)/,
      /DATABASE_URL/,
    );
  });

  it('a PostgreSQL database that does not exist says how to create it, and never shows the password', async () => {
    const name = `di_missing_${randomBytes(4).toString('hex')}`;
    const outcome = await cli(['serve'], {
      DATABASE_URL: `postgres://postgres:db-pw@127.0.0.1:5432/${name}`,
    });
    expectOneLine(
      outcome,
      new RegExp(`database "${name}" does not exist`),
      /createdb/,
      /DATABASE_URL/,
    );
    expect(outcome.stderr).not.toContain('db-pw');
  });
});
