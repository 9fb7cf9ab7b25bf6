/**
 * `npm run bench`: the performance figures that can be measured without a UI — ingest speed
 * from the simulator into SQLite and PostgreSQL through the real sync path, peak RSS of the
 * syncing process, bytes per event on disk against raw JSON, and catch-up efficiency under a
 * (scaled-down) Duo-like rate limit, and the latency of small requests while a large access-review
 * export runs (`latency.ts`). Writes `bench/results/<date>-<sha>.json` and `latest.json`
 * and prints a table of figures against targets.
 *
 * @example node dist/bench/main.js --events 300000        # node dist/bench/main.js --quick
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { testDatabaseUrl } from '../config.js';
import { STREAMS, type StreamName } from '../domain/streams.js';
import { nowMs } from '../domain/time.js';
import type { FamilyRate } from '../duo/index.js';
import { startSimulator, type Simulator } from '../sim/server.js';
import { countActivityEvents, storageStats, type StorageStats } from '../store/activity/storage.js';
import { openDatabase, type DatabaseKind } from '../store/dialect.js';
import { migrate } from '../store/migrate.js';
import { generateSecretKey } from '../store/secrets.js';
import {
  caFileOf,
  createBenchSource,
  describeChild,
  gitShortSha,
  progress,
  PUBLISH_DELAY_MS,
  rawJsonBytes,
  runSyncChild,
  scratchDatabase,
  sizedDataset,
} from './harness.js';
import {
  checkTargets,
  formatChecks,
  formatScaleTable,
  latencyCheck,
  reportChecks,
  reviewChecks,
  formatTable,
  type BenchResults,
  type CatchUpFigures,
  type IngestFigures,
  type StorageFigures,
} from './report.js';
import { DEFAULT_REQUEST_BENCH, measureRequests, QUICK_REQUEST_BENCH } from './requests.js';
import { runLatencyBench } from './latency.js';
import { parseScaleOptions, runScaleBench, type ScaleOptions } from './scale.js';
import { measureInsights, type InsightsFigures } from './insights.js';
import { formatRetentionTable, runRetentionBench } from './retention.js';
import { runReviewsBench } from './reviews.js';
import type { ChildInput, ChildResult } from './sync-child.js';

export interface BenchOptions {
  /** Authentication events in the ingest tenant (default 300k; quick 20k). */
  readonly events: number;
  /** Authentication events to catch up under the rate limit (default 60k; quick 4k). */
  readonly catchUpEvents: number;
  /** The simulator's limit of `logs_authentication` (Duo's is 2/min burst 2: scaled down). */
  readonly catchUpLimit: FamilyRate;
  /**
   * The burst the client governor is told (same rate). Default 1, its own default shape: it
   * paces sends, the server counts arrivals, and with no spare token a request that reaches
   * the server a few ms early (the first one paid for the connection) is answered 429.
   */
  readonly catchUpClientBurst: number;
  readonly users: number;
  /** Members of the Duo group whose access review is exported during the latency figure. */
  readonly latencyMembers: number;
  readonly databases: readonly DatabaseKind[];
  /** Server to create the throwaway `di_bench_*` databases on. */
  readonly postgresUrl: string;
  readonly outDir: string;
  readonly name: string;
  readonly quick: boolean;
  /** Write a V8 CPU profile of each sync child here (`node --cpu-prof`). */
  readonly profileDir?: string;
  /** `--scale`: the query-latency benchmark on big stores instead of the ingest one. */
  readonly scale?: ScaleOptions;
  /** `--reports`: only the latency bench's reports and small requests during its export. */
  readonly reportsOnly?: boolean;
  /** `--retention`: only the retention bench (deleting 1 M events, and reads meanwhile). */
  readonly retentionOnly?: boolean;
  /** `--reviews`: only an access-review campaign over the latency bench's group. */
  readonly reviewsOnly?: boolean;
}

/** Days of history in the ingest tenant (the sync backfills them all). */
const INGEST_DAYS = 2;

const USAGE = `usage: npm run bench -- [--events N] [--catch-up-events N] [--catch-up-per-minute N]
  [--catch-up-client-burst N] [--users N] [--latency-members N] [--databases sqlite,postgres] [--postgres-url URL] [--out DIR] [--name NAME]
  [--quick] [--profile DIR]
       npm run bench -- --reports [--latency-members N] [--databases sqlite,postgres] [--postgres-url URL] [--out DIR] [--name NAME] [--quick]
       npm run bench -- --reviews [--latency-members N] [--databases sqlite,postgres] [--postgres-url URL] [--out DIR] [--name NAME] [--quick]
       npm run bench -- --retention [--databases sqlite,postgres] [--postgres-url URL] [--out DIR] [--name NAME] [--quick]
       npm run bench -- --scale SIZE[,SIZE] [--keep DIR] [--samples N] [--warmup N] [--budget SECONDS]
  [--databases sqlite,postgres] [--postgres-url URL] [--out DIR] [--name NAME] [--quick] [--profile DIR]
  SIZE: authentication events, e.g. 300k, 1m, 2.5m, 10m (10m: 50,000 Duo users over 180 days)`;

export function parseBenchArgs(argv: readonly string[], now = new Date()): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      events: { type: 'string' },
      'catch-up-events': { type: 'string' },
      'catch-up-per-minute': { type: 'string' },
      'catch-up-client-burst': { type: 'string' },
      users: { type: 'string' },
      'latency-members': { type: 'string' },
      databases: { type: 'string' },
      'postgres-url': { type: 'string' },
      out: { type: 'string' },
      name: { type: 'string' },
      quick: { type: 'boolean', default: false },
      profile: { type: 'string' },
      scale: { type: 'string' },
      keep: { type: 'string' },
      samples: { type: 'string' },
      warmup: { type: 'string' },
      budget: { type: 'string' },
      reports: { type: 'boolean', default: false },
      retention: { type: 'boolean', default: false },
      reviews: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const quick = values.quick;
  const databases = (values.databases ?? 'sqlite,postgres').split(',').map((d) => {
    if (d !== 'sqlite' && d !== 'postgres') throw new RangeError(`unknown database ${d}\n${USAGE}`);
    return d;
  });
  const name = values.name ?? `${now.toISOString().slice(0, 10)}-${gitShortSha()}`;
  const postgresUrl = values['postgres-url'] ?? testDatabaseUrl();
  const profileDir = values.profile === undefined ? undefined : resolve(values.profile);
  if (values.scale === undefined)
    for (const flag of ['keep', 'samples', 'warmup', 'budget'] as const)
      if (values[flag] !== undefined)
        throw new RangeError(`--${flag} belongs to --scale SIZE\n${USAGE}`);
  const scale =
    values.scale === undefined
      ? undefined
      : parseScaleOptions(
          {
            scale: values.scale,
            keep: values.keep,
            samples: values.samples,
            warmup: values.warmup,
            budget: values.budget,
          },
          {
            databases,
            postgresUrl,
            name,
            quick,
            ...(profileDir === undefined ? {} : { profileDir }),
          },
        );
  return {
    events: count(values.events, quick ? 20_000 : 300_000, 'events'),
    catchUpEvents: count(values['catch-up-events'], quick ? 4_000 : 60_000, 'catch-up-events'),
    catchUpLimit: {
      perMinute: count(values['catch-up-per-minute'], quick ? 300 : 60, 'catch-up-per-minute'),
      burst: 2,
    },
    catchUpClientBurst: count(values['catch-up-client-burst'], 1, 'catch-up-client-burst'),
    users: count(values.users, quick ? 500 : 5_000, 'users'),
    latencyMembers: count(values['latency-members'], quick ? 2_000 : 50_000, 'latency-members'),
    databases,
    postgresUrl,
    outDir: resolve(values.out ?? 'bench/results'),
    name,
    quick,
    ...(profileDir === undefined ? {} : { profileDir }),
    ...(scale === undefined ? {} : { scale }),
    ...(values.reports ? { reportsOnly: true } : {}),
    ...(values.retention ? { retentionOnly: true } : {}),
    ...(values.reviews ? { reviewsOnly: true } : {}),
  };
}

function count(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const value = Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`--${flag} must be a positive whole number\n${USAGE}`);
  return value;
}

export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const ingest: Partial<Record<DatabaseKind, IngestFigures>> = {};
  const storage: Partial<Record<DatabaseKind, StorageFigures>> = {};
  const insights: Partial<Record<DatabaseKind, InsightsFigures>> = {};
  let peakRssMb = 0;
  let whileSyncingEvents = 0;

  const credential = { ikey: 'DIBENCH000000000000A', skey: 'b'.repeat(40) };
  const start = nowMs();
  const sim = await startSimulator({
    credentials: [credential],
    // Frozen: every database is offered exactly the same events, however long each sync takes.
    clock: { start, speed: 0 },
    dataset: sizedDataset('bench', options.users, INGEST_DAYS, options.events, start),
    rateLimits: 'off',
    publishDelayMs: PUBLISH_DELAY_MS,
    tls: true,
  });
  try {
    for (const kind of options.databases) {
      const auth = await syncIntoFreshDatabase(options, kind, sim, credential, {
        streams: ['authentication'],
        backfillDays: INGEST_DAYS + 1,
        rateLimits: 'off',
        label: `${kind}-auth`,
      });
      progress(
        `${kind}: ${String(auth.events)} authentication events, ${describeChild(auth.child)}`,
      );
      const all = await syncIntoFreshDatabase(options, kind, sim, credential, {
        streams: STREAMS,
        backfillDays: INGEST_DAYS + 1,
        rateLimits: 'off',
        label: `${kind}-all`,
        storage: true,
      });
      progress(`${kind}: ${String(all.events)} events of all streams, ${describeChild(all.child)}`);
      const rss = Math.max(auth.child.peakRssBytes, all.child.peakRssBytes) / 2 ** 20;
      ingest[kind] = {
        authEvents: auth.events,
        authSeconds: auth.child.seconds,
        authEventsPerSec: auth.events / auth.child.seconds,
        authCpuSeconds: auth.child.cpuSeconds,
        authEventsPerCpuSec: auth.events / auth.child.cpuSeconds,
        totalEvents: all.events,
        totalSeconds: all.child.seconds,
        totalEventsPerSec: all.events / all.child.seconds,
        peakRssMb: rss,
      };
      if (rss > peakRssMb) peakRssMb = rss;
      whileSyncingEvents = Math.max(whileSyncingEvents, all.events);
      if (all.storage) {
        const raw = rawJsonBytes(sim, STREAMS);
        storage[kind] = {
          events: all.storage.events,
          bytesPerEvent: all.storage.bytesPerEvent,
          rawJsonBytesPerEvent: raw.bytes / raw.events,
          ratio: all.storage.bytesPerEvent / (raw.bytes / raw.events),
          activityBytes: all.storage.activityBytes,
        };
      }
      if (all.insights) insights[kind] = all.insights;
    }
  } finally {
    await sim.close();
  }

  const catchUp = await measureCatchUp(options);
  progress(
    `catch-up: ${String(catchUp.events)} events in ${catchUp.seconds.toFixed(1)} s, ${String(catchUp.rateLimited)} of ${String(catchUp.requests)} requests answered 429`,
  );

  const requests = await measureRequests(
    options.quick ? QUICK_REQUEST_BENCH : DEFAULT_REQUEST_BENCH,
  );
  progress(
    `requests: ${requests.busy.firstSync.requestsPer1000Events.toFixed(2)} per 1,000 events stored`,
  );

  const { latency, reports } = await runReportsStep(options);

  const figures = {
    name: options.name,
    at: new Date().toISOString(),
    git: gitShortSha(),
    node: process.version,
    cpus: cpus().length,
    quick: options.quick,
    options: {
      events: options.events,
      catchUpEvents: options.catchUpEvents,
      users: options.users,
      latencyMembers: options.latencyMembers,
      databases: options.databases,
    },
    ingest,
    memory: { peakRssMb, whileSyncingEvents },
    storage,
    insights,
    catchUp,
    requests,
    latency,
    reports,
  };
  return { ...figures, checks: checkTargets(figures) };
}

function runReportsStep(options: BenchOptions) {
  return runLatencyBench({
    members: options.latencyMembers,
    eventsPerMember: 4,
    databases: options.databases,
    postgresUrl: options.postgresUrl,
    reportSamples: options.quick ? 1 : 5,
    progress,
  });
}

/**
 * `--reports`: the latency bench alone (its group's reports over HTTP on every database, and
 * small requests during its export), written to `<name>-reports.json` and `latest-reports.json`.
 */
async function mainReports(options: BenchOptions): Promise<void> {
  progress(
    `reports run ${options.name}: a group of ${String(options.latencyMembers)} members, databases ${options.databases.join(', ')}`,
  );
  const { latency, reports } = await runReportsStep(options);
  const figures = {
    name: options.name,
    at: new Date().toISOString(),
    git: gitShortSha(),
    node: process.version,
    cpus: cpus().length,
    loadAverage: loadavg(),
    quick: options.quick,
    options: { latencyMembers: options.latencyMembers, databases: options.databases },
    latency,
    reports,
  };
  const checks = [latencyCheck(latency), ...reportChecks(options.databases, reports)];
  mkdirSync(options.outDir, { recursive: true });
  const text = `${JSON.stringify({ ...figures, checks }, null, 2)}\n`;
  writeFileSync(join(options.outDir, `${options.name}-reports.json`), text);
  writeFileSync(join(options.outDir, 'latest-reports.json'), text);
  process.stdout.write(
    formatChecks(
      [
        `duo-insights reports bench ${options.name}${options.quick ? ' (quick: a smoke run)' : ''}`,
        `node ${process.version}, ${String(cpus().length)} CPUs, load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')} at the end`,
      ],
      checks,
    ),
  );
  process.stdout.write(`\nwritten: ${join(options.outDir, `${options.name}-reports.json`)}\n`);
}

/**
 * `--reviews`: an access-review campaign over the latency bench's group (create, item pages,
 * revoke every item, the campaign, sign-off, evidence CSV, remediation dry run) over HTTP on
 * every database, written to `<name>-reviews.json` and `latest-reviews.json`.
 */
async function mainReviews(options: BenchOptions): Promise<void> {
  progress(
    `reviews run ${options.name}: a campaign over a group of ${String(options.latencyMembers)} members, databases ${options.databases.join(', ')}`,
  );
  const loadAtStart = loadavg();
  const reviews = await runReviewsBench({
    members: options.latencyMembers,
    eventsPerMember: 4,
    databases: options.databases,
    postgresUrl: options.postgresUrl,
    pageSamples: options.quick ? 5 : 20,
    pageWarmup: options.quick ? 1 : 2,
    heavySamples: options.quick ? 1 : 3,
    progress,
  });
  const figures = {
    name: options.name,
    at: new Date().toISOString(),
    git: gitShortSha(),
    node: process.version,
    cpus: cpus().length,
    loadAverage: { start: loadAtStart, end: loadavg() },
    quick: options.quick,
    options: { latencyMembers: options.latencyMembers, databases: options.databases },
    reviews,
  };
  const checks = reviewChecks(options.databases, reviews);
  mkdirSync(options.outDir, { recursive: true });
  const text = `${JSON.stringify({ ...figures, checks }, null, 2)}\n`;
  writeFileSync(join(options.outDir, `${options.name}-reviews.json`), text);
  writeFileSync(join(options.outDir, 'latest-reviews.json'), text);
  const load = (l: number[]): string => l.map((n) => n.toFixed(1)).join(' ');
  process.stdout.write(
    formatChecks(
      [
        `duo-insights reviews bench ${options.name}${options.quick ? ' (quick: a smoke run)' : ''}`,
        `node ${process.version}, ${String(cpus().length)} CPUs, load average ${load(loadAtStart)} at the start, ${load(figures.loadAverage.end)} at the end`,
        "over HTTP to a served store (one connection, the admin signed in); CPU is the server's: its Node main thread + other threads (+ PostgreSQL backends)",
      ],
      checks,
    ),
  );
  process.stdout.write(`\nwritten: ${join(options.outDir, `${options.name}-reviews.json`)}\n`);
}

/**
 * `--retention`: the retention bench alone (a 1 M-event deletion, and reads while it runs) on
 * every database, written to `<name>-retention.json` and `latest-retention.json`.
 */
async function mainRetention(options: BenchOptions): Promise<void> {
  progress(
    `retention run ${options.name}${options.quick ? ' (quick)' : ''}: databases ${options.databases.join(', ')}`,
  );
  const retention = await runRetentionBench({
    databases: options.databases,
    postgresUrl: options.postgresUrl,
    quick: options.quick,
    progress,
  });
  const figures = {
    name: options.name,
    at: new Date().toISOString(),
    git: gitShortSha(),
    node: process.version,
    cpus: cpus().length,
    loadAverage: loadavg(),
    quick: options.quick,
    options: { databases: options.databases },
    retention,
  };
  mkdirSync(options.outDir, { recursive: true });
  const text = `${JSON.stringify(figures, null, 2)}\n`;
  writeFileSync(join(options.outDir, `${options.name}-retention.json`), text);
  writeFileSync(join(options.outDir, 'latest-retention.json'), text);
  process.stdout.write(
    `duo-insights retention bench ${options.name}${options.quick ? ' (quick: a smoke run)' : ''}\n` +
      `node ${process.version}, ${String(cpus().length)} CPUs, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} at the end\n${formatRetentionTable(retention)}`,
  );
  process.stdout.write(`\nwritten: ${join(options.outDir, `${options.name}-retention.json`)}\n`);
}

interface SyncPlan {
  readonly streams: readonly StreamName[];
  readonly backfillDays: number;
  readonly rateLimits: ChildInput['rateLimits'];
  readonly label: string;
  readonly storage?: boolean;
}

interface SyncOutcome {
  readonly child: ChildResult;
  /** Events stored (all streams synced). */
  readonly events: number;
  readonly storage?: StorageStats;
  readonly insights?: InsightsFigures;
}

/** Creates a database and a source on it, syncs in a child process, reads back what it stored. */
async function syncIntoFreshDatabase(
  options: BenchOptions,
  kind: DatabaseKind,
  sim: Simulator,
  credential: { readonly ikey: string; readonly skey: string },
  plan: SyncPlan,
): Promise<SyncOutcome> {
  const scratch = await scratchDatabase(kind, options.postgresUrl);
  const db = openDatabase(scratch.url);
  try {
    await migrate(db);
    const secretKey = generateSecretKey();
    const sourceId = await createBenchSource(db, sim, credential, secretKey);
    const child = await runSyncChild(
      {
        databaseUrl: scratch.url,
        secretKey: secretKey.toBase64(),
        sourceId,
        caFile: caFileOf(sim),
        streams: [...plan.streams],
        backfillDays: plan.backfillDays,
        rateLimits: plan.rateLimits,
      },
      options.profileDir === undefined ? undefined : join(options.profileDir, plan.label),
    );
    if (child.status !== 'succeeded')
      throw new Error(`the ${plan.label} sync ended ${child.status}: ${child.error ?? ''}`);
    const counts = await countActivityEvents(db, { sourceId });
    const events = Object.values(counts).reduce((sum, n) => sum + n, 0);
    const stats = plan.storage === true ? await storageStats(db) : undefined;
    const insights =
      plan.storage === true
        ? await measureInsights(db, { activitySourceId: sourceId, now: nowMs() })
        : undefined;
    return {
      child,
      events,
      ...(stats ? { storage: stats } : {}),
      ...(insights ? { insights } : {}),
    };
  } finally {
    await db.destroy();
    await scratch.drop();
  }
}

async function measureCatchUp(options: BenchOptions): Promise<CatchUpFigures> {
  const family = 'logs_authentication';
  const limit = options.catchUpLimit;
  const credential = { ikey: 'DIBENCH000000000000B', skey: 'c'.repeat(40) };
  const start = nowMs();
  const sim = await startSimulator({
    credentials: [credential],
    clock: { start },
    dataset: sizedDataset(
      'bench-catch-up',
      Math.min(options.users, 2_000),
      1,
      options.catchUpEvents,
      start,
    ),
    rateLimits: { [family]: limit },
    publishDelayMs: PUBLISH_DELAY_MS,
    tls: true,
  });
  try {
    const outcome = await syncIntoFreshDatabase(options, 'sqlite', sim, credential, {
      streams: ['authentication'],
      backfillDays: 1,
      rateLimits: { [family]: { perMinute: limit.perMinute, burst: options.catchUpClientBurst } },
      label: 'catch-up',
    });
    const requests = await simRequests(sim, '/admin/v2/logs/authentication');
    const rateLimited = requests.filter((r) => r.status === 429).length;
    const first = requests[0]?.at ?? 0;
    const rateLimitedAt = requests.flatMap((r, i) =>
      r.status === 429 ? [{ request: i + 1, second: (r.at - first) / 1000 }] : [],
    );
    const ceiling = (limit.perMinute / 60) * 1000;
    const eventsPerSec = outcome.events / outcome.child.seconds;
    return {
      family,
      perMinute: limit.perMinute,
      burst: limit.burst,
      clientBurst: options.catchUpClientBurst,
      ceilingEventsPerSec: ceiling,
      events: outcome.events,
      seconds: outcome.child.seconds,
      eventsPerSec,
      efficiency: eventsPerSec / ceiling,
      requests: requests.length,
      rateLimited,
      rateLimitedShare: requests.length === 0 ? 0 : rateLimited / requests.length,
      rateLimitedAt,
    };
  } finally {
    await sim.close();
  }
}

async function simRequests(
  sim: Simulator,
  path: string,
): Promise<{ readonly path: string; readonly status: number; readonly at: number }[]> {
  const dispatcher = new Agent(sim.caPem === undefined ? {} : { connect: { ca: sim.caPem } });
  const response = await request(`${sim.url}/_sim/requests`, { dispatcher });
  const body = (await response.body.json()) as {
    requests: { readonly path: string; readonly status: number; readonly at: number }[];
  };
  await dispatcher.close();
  return body.requests.filter((r) => r.path === path);
}

async function main(): Promise<void> {
  const options = parseBenchArgs(process.argv.slice(2));
  if (options.scale) {
    await mainScale(options.scale, options.outDir);
    return;
  }
  if (options.reportsOnly === true) {
    await mainReports(options);
    return;
  }
  if (options.retentionOnly === true) {
    await mainRetention(options);
    return;
  }
  if (options.reviewsOnly === true) {
    await mainReviews(options);
    return;
  }
  progress(
    `${options.quick ? 'quick run' : 'run'} ${options.name}: ${String(options.events)} authentication events, catch-up ${String(options.catchUpEvents)}, databases ${options.databases.join(', ')}`,
  );
  const results = await runBench(options);
  mkdirSync(options.outDir, { recursive: true });
  const text = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(join(options.outDir, `${options.name}.json`), text);
  writeFileSync(join(options.outDir, 'latest.json'), text);
  process.stdout.write(formatTable(results));
  process.stdout.write(`\nwritten: ${join(options.outDir, `${options.name}.json`)}\n`);
}

async function mainScale(scale: ScaleOptions, outDir: string): Promise<void> {
  progress(
    `${scale.quick ? 'quick scale run' : 'scale run'} ${scale.name}: ${scale.sizes.map(String).join(', ')} authentication events, databases ${scale.databases.join(', ')}${scale.keepDir === undefined ? '' : `, stores kept in ${scale.keepDir}`}`,
  );
  const results = await runScaleBench(scale);
  mkdirSync(outDir, { recursive: true });
  const text = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(join(outDir, `${scale.name}.json`), text);
  writeFileSync(join(outDir, 'latest-scale.json'), text);
  process.stdout.write(formatScaleTable(results));
  process.stdout.write(`\nwritten: ${join(outDir, `${scale.name}.json`)}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await main();
