/**
 * The scale benchmark's store, built through the real sync path: the simulator (HTTPS, rate
 * limits off, its clock frozen at the build's start) serves the plan's tenant; a child process
 * aggregates the Duo source (users with their groups, groups, identities by correlation), another
 * syncs every log stream of the Activity Insights source over the 180 days. Their CPU time
 * (and, on PostgreSQL, the server backends'), peak RSS and the bytes stored per event are the
 * ingest figures.
 *
 * With `keepDir` the database is kept (SQLite `scale-<size>-sqlite.db` in it; PostgreSQL database
 * `di_scale_<size>`) beside a manifest: a later run with the same plan reuses a finished store
 * at once, and finishes an interrupted one from its committed cursors (a sync resumes where its
 * last page committed).
 *
 * @example const store = await openScaleStore({ size: '1m', plan, database: 'sqlite', … });
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Agent, request } from 'undici';
import { z } from 'zod';
import { STREAMS } from '../domain/streams.js';
import { DAY_MS, ms, nowMs, type EpochMs } from '../domain/time.js';
import { startSimulator, type Simulator } from '../sim/server.js';
import { countActivityEvents, storageStats } from '../store/activity/storage.js';
import { openDatabase, type DatabaseKind, type Db } from '../store/dialect.js';
import { migrate } from '../store/migrate.js';
import { generateSecretKey, parseSecretKey, type SecretKey } from '../store/secrets.js';
import {
  caFileOf,
  createBenchSource,
  describeChild,
  pointSourceAt,
  progress,
  PUBLISH_DELAY_MS,
  runSyncChild,
  scratchDatabase,
} from './harness.js';
import type { ScaleFigure, ScalePlan, ScaleStoreFacts } from './report.js';
import { scaleDataset } from './scale-tenant.js';
import type { ChildResult } from './sync-child.js';

const CREDENTIAL = { ikey: 'DIBENCHSCALE0000000A', skey: 's'.repeat(40) };

export interface ScaleStore {
  readonly database: DatabaseKind;
  readonly url: string;
  readonly secretKey: SecretKey;
  readonly sources: { readonly activity: string; readonly duo: string };
  /** The simulator's frozen "now" during the build: the store's present. */
  readonly start: EpochMs;
  readonly facts: ScaleStoreFacts;
  /** Ingest speed, RSS and bytes per event, from this build or the kept store's. */
  readonly figures: readonly ScaleFigure[];
  /** Requests the sync made to Duo's log endpoints (null for a reused store). */
  readonly logRequests: number | null;
  /** Drops a scratch database; a kept one stays. */
  release(): Promise<void>;
}

export interface ScaleStoreOptions {
  readonly size: string;
  readonly plan: ScalePlan;
  readonly database: DatabaseKind;
  readonly postgresUrl: string;
  readonly keepDir?: string;
  readonly profileDir?: string;
}

const Manifest = z.object({
  version: z.literal(1),
  plan: z.object({
    events: z.number(),
    users: z.number(),
    days: z.number(),
    authEventsPerDay: z.number(),
    seed: z.string(),
  }),
  start: z.number(),
  databaseUrl: z.string(),
  secretKey: z.string(),
  sources: z.object({ activity: z.string(), duo: z.string() }),
  complete: z.boolean(),
  facts: z
    .object({
      events: z.number(),
      accounts: z.number(),
      identities: z.number(),
      builtAt: z.string(),
      resumed: z.boolean(),
    })
    .optional(),
  figures: z.array(z.custom<ScaleFigure>((v) => typeof v === 'object' && v !== null)).optional(),
});
type Manifest = z.infer<typeof Manifest>;

export async function openScaleStore(options: ScaleStoreOptions): Promise<ScaleStore> {
  const { database, plan, size } = options;
  const manifestPath =
    options.keepDir === undefined
      ? undefined
      : join(options.keepDir, `scale-${size}-${database}.json`);
  const kept =
    manifestPath !== undefined && existsSync(manifestPath) ? readManifest(manifestPath) : undefined;
  if (kept && !samePlan(kept.plan, plan))
    throw new Error(
      `${manifestPath ?? ''} holds a store built for another tenant (${JSON.stringify(kept.plan)}): remove it and its database, or pass another --keep directory`,
    );
  if (kept?.complete && kept.facts && kept.figures) {
    progress(`${database} ${size}: reusing the kept store (${String(kept.facts.events)} events)`);
    return {
      database,
      url: kept.databaseUrl,
      secretKey: parseSecretKey(kept.secretKey),
      sources: kept.sources,
      start: ms(kept.start),
      facts: { ...kept.facts, reused: true },
      figures: kept.figures,
      logRequests: null,
      release: () => Promise.resolve(),
    };
  }

  const target = kept
    ? { url: kept.databaseUrl, drop: () => Promise.resolve() }
    : options.keepDir !== undefined
      ? await keptDatabase(database, options.keepDir, size, options.postgresUrl)
      : await scratchDatabase(database, options.postgresUrl);
  try {
    const built = await build(options, target.url, kept, manifestPath);
    return { ...built, release: () => target.drop() };
  } catch (error) {
    if (options.keepDir === undefined) await target.drop();
    throw error;
  }
}

async function build(
  options: ScaleStoreOptions,
  url: string,
  kept: Manifest | undefined,
  manifestPath: string | undefined,
): Promise<Omit<ScaleStore, 'release'>> {
  const { database, size } = options;
  const plan = kept?.plan ?? options.plan;
  const start = kept ? ms(kept.start) : nowMs();
  const secretKey = kept ? parseSecretKey(kept.secretKey) : generateSecretKey();
  const db = openDatabase(url);
  const sim = await startSimulator({
    credentials: [CREDENTIAL],
    // Frozen: a resumed build is served exactly the same tenant as the one it continues.
    clock: { start, speed: 0 },
    dataset: scaleDataset(plan, start),
    rateLimits: 'off',
    publishDelayMs: PUBLISH_DELAY_MS,
    tls: true,
    requestLogSize: 1_000_000,
  });
  try {
    await migrate(db);
    const sources = kept
      ? await repoint(db, sim, kept.sources, secretKey)
      : {
          duo: await createBenchSource(db, sim, CREDENTIAL, secretKey, {
            type: 'duo',
            name: 'Duo (bench)',
          }),
          activity: await createBenchSource(db, sim, CREDENTIAL, secretKey, {
            type: 'duo-activity',
            name: 'Duo activity (bench)',
          }),
        };
    const manifest: Manifest = kept ?? {
      version: 1,
      plan,
      start,
      databaseUrl: url,
      secretKey: secretKey.toBase64(),
      sources,
      complete: false,
    };
    if (manifestPath !== undefined) writeManifest(manifestPath, manifest);

    const child = (run: 'sync' | 'aggregation', sourceId: string, label: string) =>
      runSyncChild(
        {
          databaseUrl: url,
          secretKey: secretKey.toBase64(),
          sourceId,
          run,
          caFile: caFileOf(sim),
          streams: [...STREAMS],
          backfillDays: plan.days,
          rateLimits: 'off',
        },
        options.profileDir === undefined ? undefined : join(options.profileDir, label),
      ).then((result) => {
        if (result.status !== 'succeeded')
          throw new Error(`the ${label} ended ${result.status}: ${result.error ?? ''}`);
        return result;
      });

    progress(`${database} ${size}: aggregating ${String(plan.users)} Duo users`);
    const aggregation = await child('aggregation', sources.duo, `${database}-${size}-aggregation`);
    progress(`${database} ${size}: aggregation ${describeChild(aggregation)}`);
    const before = await storedEvents(db, sources.activity);
    progress(
      `${database} ${size}: syncing ${String(plan.days)} days of every log stream${before > 0 ? ` (resuming after ${String(before)} events)` : ''}`,
    );
    const sync = await child('sync', sources.activity, `${database}-${size}-sync`);
    const events = await storedEvents(db, sources.activity);
    progress(
      `${database} ${size}: ${String(events - before)} events stored, ${describeChild(sync)}`,
    );
    const logRequests = (await simRequestCount(sim)) ?? null;
    const storage = await storageStats(db);
    const raw = sampledRawJsonBytesPerEvent(sim);
    const figures = ingestFigures(
      database,
      events - before,
      sync,
      aggregation,
      storage.bytesPerEvent,
      raw,
    );
    const facts = {
      events,
      accounts: await countUserAccounts(db),
      identities: await countRows(db, 'identities'),
      builtAt: new Date().toISOString(),
      resumed: kept !== undefined,
    };
    if (manifestPath !== undefined)
      writeManifest(manifestPath, { ...manifest, complete: true, facts, figures });
    return {
      database,
      url,
      secretKey,
      sources,
      start,
      facts: { ...facts, reused: false },
      figures,
      logRequests,
    };
  } finally {
    await sim.close();
    await db.destroy();
  }
}

function ingestFigures(
  database: DatabaseKind,
  events: number,
  sync: ChildResult,
  aggregation: ChildResult,
  bytesPerEvent: number,
  rawBytesPerEvent: number,
): ScaleFigure[] {
  const figures: ScaleFigure[] = [
    {
      kind: 'value',
      id: 'ingest.client',
      label: 'ingest, events per CPU second of the syncing process',
      value: events / sync.cpuSeconds,
      unit: 'events/CPU-s',
      ...(database === 'sqlite' ? { target: { op: '>=', value: 30_000 } } : {}),
      note: `${String(events)} events, CPU ${sync.cpuSeconds.toFixed(1)} s, every stream`,
    },
  ];
  if (database === 'postgres')
    figures.push(
      sync.serverCpuSeconds === null
        ? {
            kind: 'value',
            id: 'ingest.total',
            label: 'ingest, events per CPU second of the syncing process and the PostgreSQL server',
            value: events / sync.cpuSeconds,
            unit: 'events/CPU-s',
            note: 'the server backends could not be read from /proc (another machine or PID namespace): client CPU only',
          }
        : {
            kind: 'value',
            id: 'ingest.total',
            label: 'ingest, events per CPU second of the syncing process and the PostgreSQL server',
            value: events / (sync.cpuSeconds + sync.serverCpuSeconds),
            unit: 'events/CPU-s',
            target: { op: '>=', value: 20_000 },
            note: `server backends CPU ${sync.serverCpuSeconds.toFixed(1)} s from /proc/<pid>/stat`,
          },
    );
  figures.push(
    {
      kind: 'value',
      id: 'ingest.wall',
      label: 'ingest, events per second (wall clock, a shared machine)',
      value: events / sync.seconds,
      unit: 'events/s',
      note: `${sync.seconds.toFixed(1)} s`,
    },
    {
      kind: 'value',
      id: 'rss.sync',
      label: 'peak RSS of the syncing process',
      value: sync.peakRssBytes / 2 ** 20,
      unit: 'MB',
      target: { op: '<=', value: 256 },
    },
    {
      kind: 'value',
      id: 'rss.aggregation',
      label: 'peak RSS of the aggregating process',
      value: aggregation.peakRssBytes / 2 ** 20,
      unit: 'MB',
      note: `aggregation ${aggregation.seconds.toFixed(1)} s`,
    },
    {
      kind: 'value',
      id: 'storage.bytesPerEvent',
      label: 'bytes stored per event, indexes included (≤ raw JSON)',
      value: bytesPerEvent,
      unit: 'bytes',
      target: { op: '<=', value: Math.round(rawBytesPerEvent) },
      note: `raw JSON ${rawBytesPerEvent.toFixed(0)} bytes/event, sampled over 12 days`,
    },
  );
  return figures;
}

/**
 * Raw JSON bytes per event as the simulator sends them, over 12 days spread across the history
 * (every stream): serialising all of 10 M records would cost minutes for one ratio.
 */
function sampledRawJsonBytesPerEvent(sim: Simulator): number {
  const visibleAt = sim.now() - PUBLISH_DELAY_MS;
  const first = sim.dataset.historyStart;
  const span = visibleAt - first;
  let bytes = 0;
  let events = 0;
  for (let k = 0; k < 12; k++) {
    const from = ms(first + Math.floor((span * k) / 12));
    const to = ms(Math.min(visibleAt, from + DAY_MS));
    for (const type of STREAMS)
      for (const event of sim.dataset.events(type, from, to)) {
        if (event.publishedAt > visibleAt) continue;
        bytes += Buffer.byteLength(JSON.stringify(event.record));
        events += 1;
      }
  }
  return events === 0 ? 0 : bytes / events;
}

async function storedEvents(db: Db, sourceId: string): Promise<number> {
  const counts = await countActivityEvents(db, { sourceId });
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

/** Accounts of Duo users (administrators are accounts too, beside them). */
async function countUserAccounts(db: Db): Promise<number> {
  const row = await db
    .selectFrom('accounts')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('kind', '=', 'user')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function countRows(db: Db, table: 'accounts' | 'identities'): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Requests to the log endpoints in the simulator's request log. */
async function simRequestCount(sim: Simulator): Promise<number | undefined> {
  const dispatcher = new Agent(sim.caPem === undefined ? {} : { connect: { ca: sim.caPem } });
  try {
    const response = await request(`${sim.url}/_sim/requests`, { dispatcher });
    const body = (await response.body.json()) as { requests?: { path: string }[] };
    return body.requests?.filter(
      (r) => r.path.includes('/logs/') || r.path.endsWith('/trust_monitor/events'),
    ).length;
  } finally {
    await dispatcher.close();
  }
}

async function repoint(
  db: Db,
  sim: Simulator,
  sources: Manifest['sources'],
  secretKey: SecretKey,
): Promise<Manifest['sources']> {
  await pointSourceAt(db, sources.duo, sim, CREDENTIAL, secretKey);
  await pointSourceAt(db, sources.activity, sim, CREDENTIAL, secretKey);
  return sources;
}

async function keptDatabase(
  database: DatabaseKind,
  keepDir: string,
  size: string,
  postgresUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  mkdirSync(keepDir, { recursive: true, mode: 0o700 });
  const keep = { url: '', drop: () => Promise.resolve() };
  if (database === 'sqlite')
    return { ...keep, url: `sqlite:${join(keepDir, `scale-${size}-sqlite.db`)}` };
  const name = `di_scale_${size.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;
  const admin = openDatabase(postgresUrl, { maxConnections: 1 });
  try {
    const found = await sql<{
      n: number;
    }>`select count(*)::int as n from pg_database where datname = ${name}`.execute(admin);
    if ((found.rows[0]?.n ?? 0) > 0)
      throw new Error(
        `PostgreSQL database ${name} exists but ${keepDir} has no manifest for it: drop it (drop database ${name}) or pass the --keep directory it was built with`,
      );
    await sql.raw(`create database ${name}`).execute(admin);
  } finally {
    await admin.destroy();
  }
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return { ...keep, url: url.toString() };
}

function readManifest(path: string): Manifest {
  try {
    return Manifest.parse(JSON.parse(readFileSync(path, 'utf8')) as unknown);
  } catch (error) {
    throw new Error(`${path} is not a scale-store manifest: remove it and its database`, {
      cause: error,
    });
  }
}

function writeManifest(path: string, manifest: Manifest): void {
  // It holds the (bench-only) key that encrypts the simulator's credentials: owner-only.
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
}

function samePlan(a: ScalePlan, b: ScalePlan): boolean {
  return a.events === b.events && a.users === b.users && a.days === b.days && a.seed === b.seed;
}
