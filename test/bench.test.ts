/**
 * `npm run bench` itself is not part of `npm test` (figures are measured, never asserted by a
 * timed test), but its quick mode runs here end to end so the benchmark cannot rot: it must
 * finish and write a result file holding every performance figure it measures — the ingest
 * bench and the scale bench (`--scale`, on a tiny store) alike.
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

function runQuickBench(
  ...extra: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [
        MAIN,
        '--quick',
        '--out',
        out,
        '--name',
        'quick',
        '--postgres-url',
        testDatabaseUrl(),
        ...extra,
      ],
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

  it('with --scale, builds a tiny store through the sync path and writes every latency and ingest figure, on SQLite and PostgreSQL', async () => {
    expect(existsSync(MAIN), 'build first: npm run build').toBe(true);
    const run = await runQuickBench('--scale', '10k');
    expect(run.code, run.stderr.slice(-3000)).toBe(0);

    const text = readFileSync(join(out, 'quick-scale.json'), 'utf8');
    expect(readFileSync(join(out, 'latest-scale.json'), 'utf8')).toBe(text);
    const results = JSON.parse(text) as {
      quick: boolean;
      runs: {
        database: string;
        store: { events: number; accounts: number; identities: number };
        figures: { id: string; kind: string; via?: string; samples?: number; rows?: number }[];
        failures: unknown[];
      }[];
      checks: { figure: string; measured: string }[];
    };
    expect(results.quick).toBe(true);
    expect(results.runs.map((r) => r.database)).toEqual(['sqlite', 'postgres']);
    for (const [path, value] of numbers(results)) expect(Number.isFinite(value), path).toBe(true);
    for (const run of results.runs) {
      expect(run.failures).toEqual([]);
      expect(run.store.events).toBeGreaterThan(10_000);
      expect(run.store.accounts).toBeGreaterThan(0);
      const ids = run.figures.map((f) => f.id);
      expect(ids).toEqual(
        expect.arrayContaining([
          'ingest.client',
          'rss.sync',
          'storage.bytesPerEvent',
          'insights.typical',
          'insights.heavy',
          'insights.heavy.http',
          'timeline.first.typical',
          'timeline.deep.heavy',
          'timeline.oldest.heavy',
          'timeline.deep.heavy.http',
          'search.application',
          'search.result',
          'report.dormant',
          'report.access-review',
          'report.admin-actions',
          'report.sync-health',
          'report.access-review.http',
          'export.access-review.csv',
        ]),
      );
      if (run.database === 'postgres') expect(ids).toContain('ingest.total');
      for (const figure of run.figures.filter((f) => f.kind === 'latency'))
        expect(figure.samples, figure.id).toBeGreaterThanOrEqual(5);
      // The access review of the group of every Duo user lists every account.
      const review = run.figures.find((f) => f.id === 'report.access-review');
      expect(review?.rows).toBe(run.store.accounts);
      const timeline = run.figures.find((f) => f.id === 'timeline.first.heavy');
      expect(timeline?.rows).toBe(50);
    }
    for (const check of results.checks) expect(run.stdout).toContain(check.figure);
  }, 300_000);

  it("with --retention, deletes a tiny store's old events and times reads with and without the deletion, on SQLite and PostgreSQL", async () => {
    const run = await runQuickBench('--retention');
    expect(run.code, run.stderr).toBe(0);
    const file = join(out, 'quick-retention.json');
    expect(existsSync(file)).toBe(true);
    expect(existsSync(join(out, 'latest-retention.json'))).toBe(true);
    const results = JSON.parse(readFileSync(file, 'utf8')) as {
      retention: {
        database: string;
        store: { deleted: number };
        deletion: { deleted: number; eventsPerCpuSec: number; batchSize: number };
        underReads: { deleted: number };
        reads: Record<'idle' | 'duringDeletion', Record<string, { samples: number }>>;
      }[];
    };
    for (const [path, value] of numbers(results)) expect(Number.isFinite(value), path).toBe(true);
    expect(results.retention.map((r) => r.database)).toEqual(['sqlite', 'postgres']);
    for (const r of results.retention) {
      // Exactly the events older than the retention go, in both passes.
      expect(r.deletion.deleted).toBe(r.store.deleted);
      expect(r.underReads.deleted).toBe(r.store.deleted);
      expect(r.deletion.eventsPerCpuSec).toBeGreaterThan(0);
      for (const phase of ['idle', 'duringDeletion'] as const)
        for (const read of ['timelineFirstPage', 'insights'])
          expect(r.reads[phase][read]?.samples, `${phase} ${read}`).toBeGreaterThan(0);
    }
    expect(run.stdout).toContain('during deletion p50/p95/p99');
  }, 60_000);

  it('with --reviews, runs a campaign over a 2,000-member group through the HTTP API and writes every step with its CPU, on SQLite and PostgreSQL', async () => {
    expect(existsSync(MAIN), 'build first: npm run build').toBe(true);
    const run = await runQuickBench('--reviews');
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const text = readFileSync(join(out, 'quick-reviews.json'), 'utf8');
    expect(readFileSync(join(out, 'latest-reviews.json'), 'utf8')).toBe(text);
    const results = JSON.parse(text) as {
      reviews: Record<string, Record<string, { rows?: number; items?: number; cpuMs?: unknown }>>;
      checks: { figure: string }[];
    };
    for (const [path, value] of numbers(results)) expect(Number.isFinite(value), path).toBe(true);
    expect(Object.keys(results.reviews)).toEqual(['sqlite', 'postgres']);
    const cpu = { nodeMain: aNumber, nodeOther: aNumber, total: aNumber };
    const read = {
      samples: aNumber,
      p50Ms: aNumber,
      p95Ms: aNumber,
      bytes: aNumber,
      cpuMsPerRequest: cpu,
    };
    for (const reviews of Object.values(results.reviews))
      expect(reviews).toMatchObject({
        items: 2_000,
        create: { items: 2_000, wallMs: aNumber, cpuMs: cpu, itemsPerCpuSec: aNumber },
        firstPage: { ...read, rows: 100 },
        deepPage: { ...read, rows: 100, offset: 1_000 },
        filteredPage: { ...read, total: aNumber },
        decideAll: { items: 2_000, cpuMs: cpu },
        campaign: read,
        signOff: { cpuMs: cpu },
        // Every item is in the evidence, and the dry run would remove every member from the group.
        evidenceCsv: { ...read, rows: 2_000 },
        dryRun: { ...read, rows: 2_000 },
      });
    expect(results.checks.length).toBe(18);
    for (const check of results.checks) expect(run.stdout).toContain(check.figure);
  }, 120_000);
});
