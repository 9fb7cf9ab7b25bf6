/**
 * `duo-insights sim` prints a `sources configure` line that works as pasted: run verbatim in a
 * shell against the built CLI (`dist/`), then Test Connection passes, over HTTP and under
 * `--tls` (with the printed CA file).
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_SOURCE_NAME, planSimulator, runSimulator } from '../../src/cli/sim.js';

const MAIN = join(import.meta.dirname, '../../dist/cli/main.js');
const run = promisify(execFile);

describe('the sources configure line duo-insights sim prints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'di-cli-sim-'));
  const bin = join(dir, 'bin');

  beforeAll(() => {
    // `duo-insights` on the PATH, as `npm install -g` would put it.
    mkdirSync(bin);
    const shim = join(bin, 'duo-insights');
    writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${MAIN}" "$@"\n`);
    chmodSync(shim, 0o755);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the simulator, runs its printed lines verbatim, then Test Connection; its output. */
  async function pasteAndTest(flags: { tls?: boolean }): Promise<string[]> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DUO_INSIGHTS_DATA_DIR: mkdtempSync(join(dir, 'data-')),
      LOG_LEVEL: 'warn',
      PATH: `${bin}:${process.env['PATH'] ?? ''}`,
    };
    delete env['DUO_INSIGHTS_ALLOW_LOOPBACK_DUO_HOSTS'];
    const cli = (args: string[]) => run('duo-insights', args, { env });
    await cli(['identities', 'create', '--name', 'Owner', '--email', 'o@example.com']);
    await cli([
      'sources',
      'create',
      '--type',
      'duo-activity',
      '--name',
      EXAMPLE_SOURCE_NAME,
      '--owner',
      'o@example.com',
    ]);

    const lines: string[] = [];
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const running = runSimulator(planSimulator({ users: '20', days: '1', ...flags }), {
      out: (line) => lines.push(line),
      err: () => undefined,
      json: false,
      stopped,
    });
    try {
      await expect.poll(() => lines.some((l) => l.includes('Stop with'))).toBe(true);
      const pasted = lines
        .filter((l) => /^\s+(export |duo-insights )/.test(l))
        .map((l) => l.trim());
      expect(pasted.join('\n')).toMatch(/sources configure/);
      const configured = await run('sh', ['-c', pasted.join('\n')], { env });
      expect(JSON.parse(configured.stdout)).toMatchObject({ state: 'configured' });
      const exported = pasted.find((l) => l.startsWith('export ')) ?? '';
      const tested = await run(
        'sh',
        ['-c', `${exported}\nduo-insights test-connection "${EXAMPLE_SOURCE_NAME}"`],
        { env },
      );
      expect(JSON.parse(tested.stdout)).toMatchObject({ ok: true });
      return lines;
    } finally {
      stop();
      await running;
    }
  }

  it('prints http://127.0.0.1:P as the API host of a plain HTTP simulator, and the line works', async () => {
    const lines = await pasteAndTest({});
    expect(lines.join('\n')).toMatch(/API host: +http:\/\/127\.0\.0\.1:\d+$/m);
  });

  it('under --tls prints https:// and the CA file, and the line works', async () => {
    const lines = await pasteAndTest({ tls: true });
    expect(lines.join('\n')).toMatch(/--api-host https:\/\/127\.0\.0\.1:\d+ .*--ca-file /);
  });
});
