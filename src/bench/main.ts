/**
 * `npm run bench`: the performance figures that can be measured without a UI — ingest speed
 * from the simulator into SQLite and PostgreSQL through the real sync path, peak RSS of the
 * syncing process, bytes per event on disk against raw JSON, and catch-up efficiency under a
 * (scaled-down) Duo-like rate limit. Writes `bench/results/<date>-<sha>.json` and `latest.json`
 * and prints a table of figures against targets.
 *
 * @example node dist/bench/main.js --events 300000        # node dist/bench/main.js --quick
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { testDatabaseUrl } from '../config.js';
import { STREAMS, type StreamName } from '../domain/streams.js';
import { DAY_MS, ms, nowMs, type EpochMs } from '../domain/time.js';
import type { FamilyRate } from '../duo/index.js';
import { startSimulator, type Simulator } from '../sim/server.js';
import { createDataset } from '../sim/dataset.js';
import type { Dataset, LogType } from '../sim/dataset-types.js';
import { countActivityEvents, storageStats, type StorageStats } from '../store/activity/storage.js';
import { openDatabase, type DatabaseKind, type Db } from '../store/dialect.js';
import { createIdentity } from '../store/identities.js';
import { migrate } from '../store/migrate.js';
import { generateSecretKey } from '../store/secrets.js';
import { configureSource, createSource } from '../store/sources.js';
import { createThrowawayDatabase } from '../store/throwaway.js';
import {
  checkTargets,
  formatTable,
  type BenchResults,
  type CatchUpFigures,
  type IngestFigures,
  type StorageFigures,
} from './report.js';
import { measureInsights, type InsightsFigures } from './insights.js';
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
  readonly databases: readonly DatabaseKind[];
  /** Server to create the throwaway `di_bench_*` databases on. */
  readonly postgresUrl: string;
  readonly outDir: string;
  readonly name: string;
  readonly quick: boolean;
  /** Write a V8 CPU profile of each sync child here (`node --cpu-prof`). */
  readonly profileDir?: string;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD = join(HERE, 'sync-child.js');
const PUBLISH_DELAY_MS = 120_000;
/** Days of history in the ingest tenant (the sync backfills them all). */
const INGEST_DAYS = 2;

const USAGE = `usage: npm run bench -- [--events N] [--catch-up-events N] [--catch-up-per-minute N]
  [--catch-up-client-burst N] [--users N] [--databases sqlite,postgres] [--postgres-url URL] [--out DIR] [--name NAME]
  [--quick] [--profile DIR]`;

export function parseBenchArgs(argv: readonly string[], now = new Date()): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      events: { type: 'string' },
      'catch-up-events': { type: 'string' },
      'catch-up-per-minute': { type: 'string' },
      'catch-up-client-burst': { type: 'string' },
      users: { type: 'string' },
      databases: { type: 'string' },
      'postgres-url': { type: 'string' },
      out: { type: 'string' },
      name: { type: 'string' },
      quick: { type: 'boolean', default: false },
      profile: { type: 'string' },
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
  return {
    events: count(values.events, quick ? 20_000 : 300_000, 'events'),
    catchUpEvents: count(values['catch-up-events'], quick ? 4_000 : 60_000, 'catch-up-events'),
    catchUpLimit: {
      perMinute: count(values['catch-up-per-minute'], quick ? 300 : 60, 'catch-up-per-minute'),
      burst: 2,
    },
    catchUpClientBurst: count(values['catch-up-client-burst'], 1, 'catch-up-client-burst'),
    users: count(values.users, quick ? 500 : 5_000, 'users'),
    databases,
    postgresUrl: values['postgres-url'] ?? testDatabaseUrl(),
    outDir: resolve(values.out ?? 'bench/results'),
    name: values.name ?? `${now.toISOString().slice(0, 10)}-${gitShortSha()}`,
    quick,
    ...(values.profile === undefined ? {} : { profileDir: resolve(values.profile) }),
  };
}

function count(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const value = Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`--${flag} must be a positive whole number\n${USAGE}`);
  return value;
}

function gitShortSha(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'nogit';
  }
}

const progress = (message: string): void => {
  process.stderr.write(`bench: ${message}\n`);
};

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
      databases: options.databases,
    },
    ingest,
    memory: { peakRssMb, whileSyncingEvents },
    storage,
    insights,
    catchUp,
  };
  return { ...figures, checks: checkTargets(figures) };
}

/**
 * A tenant whose history holds about `events` authentication events: the daily and weekly
 * rhythm makes a given span busier or quieter than the mean, so the rate is scaled to fit.
 */
function sizedDataset(
  seed: string,
  users: number,
  days: number,
  events: number,
  start: EpochMs,
): Dataset {
  const make = (authEventsPerDay: number): Dataset =>
    createDataset({ seed, users, days, start, authEventsPerDay });
  const guess = events / days;
  const probe = make(guess).count('authentication', ms(start - days * DAY_MS), start, start);
  return probe === 0 ? make(guess) : make((guess * events) / probe);
}

function describeChild(child: ChildResult): string {
  const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;
  return (
    `${child.seconds.toFixed(1)} s (CPU ${child.cpuSeconds.toFixed(1)} s), peak RSS ` +
    `${mb(child.peakRssBytes)}, heap ${mb(child.peakHeapBytes)}, off-heap ${mb(child.peakExternalBytes)}`
  );
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

function caFileOf(sim: Simulator): string {
  if (sim.caFile === undefined) throw new Error('the simulator was started without TLS');
  return sim.caFile;
}

async function scratchDatabase(
  kind: DatabaseKind,
  postgresUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  if (kind === 'postgres') return createThrowawayDatabase(postgresUrl, 'di_bench');
  const dir = mkdtempSync(join(tmpdir(), 'di-bench-'));
  return {
    url: `sqlite:${join(dir, 'bench.db')}`,
    drop: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

async function createBenchSource(
  db: Db,
  sim: Simulator,
  credential: { readonly ikey: string; readonly skey: string },
  secretKey: ReturnType<typeof generateSecretKey>,
): Promise<string> {
  const owner = await createIdentity(db, { displayName: 'Bench Owner' });
  const source = await createSource(db, {
    type: 'duo-activity',
    name: 'bench',
    description: null,
    ownerIdentityId: owner.id,
    governanceGroupId: null,
    settings: {},
  });
  await configureSource(
    db,
    source.id,
    { apiHost: sim.host, integrationKey: credential.ikey, secretKey: credential.skey },
    secretKey,
  );
  return source.id;
}

function runSyncChild(input: ChildInput, profileDir: string | undefined): Promise<ChildResult> {
  const args = [
    ...(profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir]),
    CHILD,
    JSON.stringify(input),
  ];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || line === '') {
        reject(new Error(`the sync child exited with ${String(code)}: ${out.slice(-2000)}`));
        return;
      }
      try {
        resolvePromise(JSON.parse(line) as ChildResult);
      } catch (error) {
        reject(new Error(`the sync child printed no result: ${line}`, { cause: error }));
      }
    });
  });
}

/** Bytes of every visible record as the simulator sends it (`JSON.stringify` of the record). */
function rawJsonBytes(
  sim: Simulator,
  types: readonly LogType[],
): { readonly bytes: number; readonly events: number } {
  const visibleAt = sim.now() - PUBLISH_DELAY_MS;
  let bytes = 0;
  let events = 0;
  for (const type of types)
    for (const event of sim.dataset.events(type, sim.dataset.historyStart, ms(visibleAt))) {
      if (event.publishedAt > visibleAt) continue;
      bytes += Buffer.byteLength(JSON.stringify(event.record));
      events += 1;
    }
  return { bytes, events };
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

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await main();
