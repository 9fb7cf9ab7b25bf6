/**
 * `npm run bench` itself is not part of `npm test` (figures are measured, never asserted by a
 * timed test), but its quick mode runs here end to end so the benchmark cannot rot: it must
 * finish and write a result file holding every performance figure it measures.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../src/config.js';

const MAIN = resolve('dist/bench/main.js');
const out = mkdtempSync(join(tmpdir(), 'di-bench-test-'));

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
});

function runQuickBench(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [MAIN, '--quick', '--out', out, '--name', 'quick', '--postgres-url', testDatabaseUrl()],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => {
      done({ code, stdout, stderr });
    });
  });
}

const aNumber = expect.any(Number) as unknown;

/** Every number in the file, with its path: none may be NaN or infinite. */
function numbers(value: unknown, path = ''): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => numbers(inner, `${path}.${key}`));
}

describe('npm run bench -- --quick', () => {
  it('writes a result file with every figure, on SQLite and PostgreSQL, and prints the table', async () => {
    expect(existsSync(MAIN), 'build first: npm run build').toBe(true);
    const run = await runQuickBench();
    expect(run.code, run.stderr.slice(-3000)).toBe(0);

    const results = JSON.parse(readFileSync(join(out, 'quick.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(readFileSync(join(out, 'latest.json'), 'utf8')).toBe(
      readFileSync(join(out, 'quick.json'), 'utf8'),
    );
    const ingest = {
      authEvents: aNumber,
      authSeconds: aNumber,
      authEventsPerSec: aNumber,
      authCpuSeconds: aNumber,
      authEventsPerCpuSec: aNumber,
      totalEvents: aNumber,
      totalSeconds: aNumber,
      totalEventsPerSec: aNumber,
      peakRssMb: aNumber,
    };
    const storage = {
      events: aNumber,
      bytesPerEvent: aNumber,
      rawJsonBytesPerEvent: aNumber,
      ratio: aNumber,
      activityBytes: aNumber,
    };
    expect(results).toMatchObject({
      quick: true,
      ingest: { sqlite: ingest, postgres: ingest },
      memory: { peakRssMb: aNumber, whileSyncingEvents: aNumber },
      storage: { sqlite: storage, postgres: storage },
      catchUp: {
        family: 'logs_authentication',
        ceilingEventsPerSec: aNumber,
        events: aNumber,
        eventsPerSec: aNumber,
        efficiency: aNumber,
        requests: aNumber,
        rateLimited: aNumber,
        rateLimitedShare: aNumber,
        rateLimitedAt: expect.any(Array) as unknown,
      },
      latency: {
        requests: aNumber,
        p50: aNumber,
        p95: aNumber,
        p99: aNumber,
        exportMs: aNumber,
        exportRows: 2_000,
        idle: { p50: aNumber, p95: aNumber, p99: aNumber },
      },
    });
    for (const [path, value] of numbers(results)) expect(Number.isFinite(value), path).toBe(true);
    const ingested = results['ingest'] as Record<string, { authEvents: number }>;
    expect(ingested['sqlite']?.authEvents).toBeGreaterThan(10_000);
    expect(ingested['postgres']?.authEvents).toBe(ingested['sqlite']?.authEvents);

    const checks = results['checks'] as { figure: string; pass: boolean | undefined }[];
    expect(checks.map((c) => c.figure)).toEqual(
      expect.arrayContaining([
        'ingest → sqlite, authentication events/s',
        'ingest → postgres, authentication events/s',
        'catch-up requests answered 429',
        'p95 of small requests (health, insights) while a 2,000-row access-review CSV export runs',
      ]),
    );
    for (const check of checks) expect(run.stdout).toContain(check.figure);
  }, 240_000);
});
