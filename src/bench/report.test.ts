import { describe, expect, it } from 'vitest';
import {
  checkScaleTargets,
  checkTargets,
  formatScaleTable,
  formatChecks,
  formatTable,
  reviewChecks,
  type BenchResults,
  type LatencyFigure,
  type ScaleResults,
} from './report.js';
import type { ReviewRequestFigures, ReviewStepFigures } from './reviews.js';

const ingest = (authEventsPerSec: number) => ({
  authEvents: 300_000,
  authSeconds: 300_000 / authEventsPerSec,
  authEventsPerSec,
  authCpuSeconds: 10,
  authEventsPerCpuSec: 30_000,
  totalEvents: 350_000,
  totalSeconds: 20,
  totalEventsPerSec: 17_500,
  peakRssMb: 200,
});

const perStream = (n: number) => ({
  authentication: n,
  administrator: n,
  telephony: n,
  offline_enrollment: n,
  activity: n,
  trust_monitor: n,
});
const cost = (requests: number, events: number) => ({
  requests: perStream(requests / 6),
  events: perStream(events / 6),
  totalRequests: requests,
  totalEvents: events,
  requestsPer1000Events: (requests / events) * 1000,
});

const figures: Omit<BenchResults, 'checks'> = {
  name: 'x',
  at: '2026-01-01T00:00:00.000Z',
  git: 'abc1234',
  node: 'v20',
  cpus: 2,
  quick: false,
  options: {
    events: 300_000,
    catchUpEvents: 60_000,
    users: 5000,
    databases: ['sqlite', 'postgres'],
  },
  ingest: { sqlite: ingest(31_000), postgres: ingest(19_000) },
  memory: { peakRssMb: 200, whileSyncingEvents: 350_000 },
  storage: {
    sqlite: {
      events: 1,
      bytesPerEvent: 800,
      rawJsonBytesPerEvent: 1300,
      ratio: 0.6,
      activityBytes: 1,
    },
    postgres: {
      events: 1,
      bytesPerEvent: 1400,
      rawJsonBytesPerEvent: 1300,
      ratio: 1.1,
      activityBytes: 1,
    },
  },
  catchUp: {
    family: 'logs_authentication',
    perMinute: 60,
    burst: 2,
    clientBurst: 1,
    ceilingEventsPerSec: 1000,
    events: 60_000,
    seconds: 62,
    eventsPerSec: 968,
    efficiency: 0.968,
    requests: 62,
    rateLimited: 1,
    rateLimitedShare: 1 / 62,
    rateLimitedAt: [{ request: 3, second: 0.97 }],
  },
  requests: {
    quiet: {
      firstSync: cost(10, 600),
      backfillRequests: { ...perStream(1), telephony: 2 },
      nextDay: cost(5, 20),
    },
    busy: {
      authEventsPerDay: 5000,
      backfillDays: 7,
      firstSync: cost(50, 42_000),
      nextDay: cost(25, 7_000),
    },
  },
};

describe('the bench verdict', () => {
  it('judges each figure against its target, per database', () => {
    const verdict = Object.fromEntries(checkTargets(figures).map((c) => [c.figure, c.pass]));
    expect(verdict).toMatchObject({
      'ingest → sqlite, authentication events/s': true,
      'ingest → postgres, authentication events/s': false,
      'storage on sqlite, bytes/event (indexes included)': true,
      'storage on postgres, bytes/event (indexes included)': false,
      'catch-up efficiency (logs_authentication 60/min)': true,
      'catch-up requests answered 429': false,
      "requests for a quiet v2 stream's 30-day backfill": false,
    });
    expect(verdict['ingest → sqlite, all streams events/s']).toBeUndefined();
  });

  it('prints every figure with its target and FAIL where one is missed', () => {
    const checks = checkTargets(figures);
    const table = formatTable({ ...figures, checks });
    for (const check of checks) expect(table).toContain(check.figure);
    expect(table).toContain('≥ 20,000');
    expect(table.match(/FAIL/g)).toHaveLength(4);
    expect(table).toContain('1.19 (50 for 42,000)');
  });
});

const latency = (id: string, label: string, p95Ms: number): LatencyFigure => ({
  kind: 'latency',
  id,
  label,
  via: 'core',
  samples: 100,
  p50Ms: p95Ms / 2,
  p95Ms,
  p99Ms: p95Ms * 1.2,
  meanMs: p95Ms / 2,
  maxMs: p95Ms * 1.5,
  rows: 50,
});

const scale: Omit<ScaleResults, 'checks'> = {
  name: 'x-scale',
  at: '2026-01-01T00:00:00.000Z',
  git: 'abc1234',
  node: 'v20',
  cpus: 2,
  loadAverage: [1, 2, 3],
  quick: false,
  options: {
    sizes: ['1m'],
    databases: ['sqlite'],
    samples: 100,
    warmup: 10,
    budgetMs: 30_000,
    keep: null,
  },
  runs: [
    {
      size: '1m',
      database: 'sqlite',
      plan: { events: 1e6, users: 5000, days: 180, authEventsPerDay: 5555, seed: 's' },
      store: {
        reused: false,
        resumed: false,
        events: 1_050_000,
        accounts: 5000,
        identities: 5002,
        builtAt: '2026-01-01T00:00:00.000Z',
      },
      figures: [
        latency('insights.typical', 'insights of a typical identity', 5),
        latency('insights.heavy', 'insights of the ten heaviest identities', 569),
        latency('timeline.deep.heavy', 'deep timeline page', 40),
        latency('report.access-review', 'access review', 1200),
        latency('custom.thing', 'something without a target', 3),
        {
          kind: 'value',
          id: 'ingest.client',
          label: 'ingest per CPU second',
          value: 13_300,
          unit: 'events/CPU-s',
          target: { op: '>=', value: 30_000 },
        },
        {
          kind: 'value',
          id: 'rss.sync',
          label: 'peak RSS',
          value: 200,
          unit: 'MB',
          target: { op: '<=', value: 256 },
        },
      ],
      failures: [{ module: 'latency', error: 'boom' }],
    },
  ],
};

describe('the scale bench verdict', () => {
  it('judges each latency by its p95 against the target of its kind, and values by their own', () => {
    const verdict = Object.fromEntries(
      checkScaleTargets(scale).map((c) => [c.figure.replace(/ \(sqlite, 1m\)$/, ''), c.pass]),
    );
    expect(verdict).toMatchObject({
      'insights of a typical identity [core]': true,
      'insights of the ten heaviest identities [core]': false,
      'deep timeline page [core]': true,
      'access review [core]': false,
      'ingest per CPU second': false,
      'peak RSS': true,
      'measurement latency': false,
    });
    expect(verdict['something without a target [core]']).toBeUndefined();
  });

  it('shows a target nobody measured as not measured, and prints every figure with its target', () => {
    const checks = checkScaleTargets(scale);
    const missing = checks.find((c) => c.figure.startsWith('p95 of small requests while'));
    expect(missing).toMatchObject({ measured: 'not measured', target: 'p95 ≤ 50.0 ms' });
    const table = formatScaleTable({ ...scale, checks });
    for (const check of checks) expect(table).toContain(check.figure);
    expect(table).toContain('p95 569 ms');
    expect(table).toContain('≥ 30,000 events/CPU-s');
    expect(table).toContain('load average 1.00 2.00 3.00');
    expect(table.match(/FAIL/g)).toHaveLength(4);
  });
});

const cpu = (total: number, postgres: number | null = null) => ({
  nodeMain: total / 2,
  nodeOther: total / 2 - (postgres ?? 0),
  postgres,
  total,
});
const once = (wallMs: number, cpuMs: number, postgres: number | null): ReviewStepFigures => ({
  wallMs,
  cpuMs: cpu(cpuMs, postgres),
  items: 50_000,
  itemsPerSec: 50_000 / (wallMs / 1000),
  itemsPerCpuSec: 50_000 / (cpuMs / 1000),
});
const read = (p95Ms: number, rows: number, postgres: number | null): ReviewRequestFigures => ({
  path: '/api/v1/reviews/x',
  samples: 20,
  p50Ms: p95Ms / 2,
  p95Ms,
  p99Ms: p95Ms,
  meanMs: p95Ms / 2,
  maxMs: p95Ms,
  rows,
  bytes: rows * 300,
  cpuMsPerRequest: cpu(p95Ms / 4, postgres),
  rowsPerCpuSec: rows / (p95Ms / 4000),
});
const campaign = (pagesP95: number, postgres: number | null) => ({
  members: 50_000,
  events: 150_000,
  items: 50_000,
  create: once(12_000, 4_000, postgres),
  firstPage: read(pagesP95, 100, postgres),
  deepPage: { ...read(pagesP95 * 2, 100, postgres), offset: 25_000 },
  filteredPage: { ...read(pagesP95, 100, postgres), total: 21_000 },
  decideAll: once(3_000, 1_500, postgres),
  campaign: read(40, 1, postgres),
  signOff: once(200, 100, postgres),
  evidenceCsv: read(9_000, 50_000, postgres),
  dryRun: read(800, 50_000, postgres),
});

describe('the reviews bench verdict', () => {
  it("judges the campaign screen's reads by their p95 against 1 s and shows the changes made once with their CPU", () => {
    const checks = reviewChecks(['sqlite', 'postgres'], {
      sqlite: campaign(300, null),
      postgres: campaign(600, 1),
    });
    const verdict = Object.fromEntries(checks.map((c) => [c.figure.replace(/ \(.*$/, ''), c.pass]));
    expect(verdict).toMatchObject({
      'review campaign of 50,000 items on sqlite: create, wall / server CPU': undefined,
      'review campaign of 50,000 items on sqlite: first page of items': true,
      'review campaign of 50,000 items on sqlite: page of items at 25,000': true,
      'review campaign of 50,000 items on postgres: page of items at 25,000': false,
      'review campaign of 50,000 items on postgres: the campaign with its progress': true,
      'review campaign of 50,000 items on sqlite: evidence CSV': false,
      'review campaign of 50,000 items on sqlite: remediation dry run': true,
    });
    expect(checks).toHaveLength(18);
    const table = formatChecks(['reviews'], checks);
    for (const check of checks) expect(table).toContain(check.figure);
    // Wall time beside the server's CPU and what one CPU second does; PostgreSQL's share only there.
    expect(table).toContain(
      '12.0 s / 4,000 ms (Node main 2,000 ms + other 2,000 ms) (12,500 items per CPU second)',
    );
    expect(table).toContain('+ PostgreSQL 1.0 ms');
    expect(table.match(/FAIL/g)).toHaveLength(3);
  });
});
