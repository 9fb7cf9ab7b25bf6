/**
 * Requests spent against Duo's log budget (2 requests a minute per log type): how many requests
 * the real sync path makes per 1,000 events it stores, and what a quiet stream's 30-day backfill
 * costs. Counted from the simulator's request log; the simulator serves Duo's shapes (the last
 * v2 page still carries `next_offset`). Runs in-process on a throwaway SQLite database, rate
 * limits off: what is measured is the number of requests, not their speed.
 *
 * @example const figures = await measureRequests(); // figures.quiet.backfillRequests.authentication
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STREAM_INFO, STREAMS, type StreamName } from '../domain/streams.js';
import { DAY_MS, HOUR_MS, ms, nowMs } from '../domain/time.js';
import { createLogger } from '../logging.js';
import { startSimulator, type RequestLogEntry, type Simulator } from '../sim/server.js';
import { control } from '../sim/testing.js';
import { countActivityEvents } from '../store/activity/storage.js';
import { StringCache } from '../store/activity/strings.js';
import { openDatabase, type Db } from '../store/dialect.js';
import { createIdentity } from '../store/identities.js';
import { migrate } from '../store/migrate.js';
import { generateSecretKey, type SecretKey } from '../store/secrets.js';
import { configureSource, createSource } from '../store/sources.js';
import { syncActivitySource } from '../sync/activity-sync.js';
import type { SyncContext } from '../sync/context.js';
import { DuoConnections } from '../sync/duo-connections.js';

export type PerStream = Record<StreamName, number>;

/** What one sync cost: requests to each stream's log endpoint and events it stored. */
export interface SyncCost {
  readonly requests: PerStream;
  readonly events: PerStream;
  readonly totalRequests: number;
  readonly totalEvents: number;
  /** `totalRequests / totalEvents × 1000`. */
  readonly requestsPer1000Events: number;
}

export interface RequestFigures {
  /** A quiet tenant (a few events a day): its first sync with a 30-day backfill. */
  readonly quiet: {
    readonly firstSync: SyncCost;
    /** Requests of the first sync older than its first 24 h: the 30-day backfill's cost. */
    readonly backfillRequests: PerStream;
    /** The next day's sync: the recent window and the 72 h reconciliation re-read. */
    readonly nextDay: SyncCost;
  };
  /** A busier tenant: its first sync (24 h + backfill) and the next day's sync. */
  readonly busy: {
    readonly authEventsPerDay: number;
    readonly backfillDays: number;
    readonly firstSync: SyncCost;
    readonly nextDay: SyncCost;
  };
}

export interface RequestBenchOptions {
  /** Authentication events per day of the busy tenant (default 5,000; quick 1,500). */
  readonly busyAuthEventsPerDay: number;
  /** Backfill days of the busy tenant's first sync (default 7; quick 2). */
  readonly busyBackfillDays: number;
}

export const DEFAULT_REQUEST_BENCH: RequestBenchOptions = {
  busyAuthEventsPerDay: 5_000,
  busyBackfillDays: 7,
};
export const QUICK_REQUEST_BENCH: RequestBenchOptions = {
  busyAuthEventsPerDay: 1_500,
  busyBackfillDays: 2,
};

const QUIET_BACKFILL_DAYS = 30;
const PUBLISH_DELAY_MS = 120_000;
const FIRST_WINDOW_MS = 24 * HOUR_MS;

export async function measureRequests(
  options: RequestBenchOptions = DEFAULT_REQUEST_BENCH,
): Promise<RequestFigures> {
  const quiet = await measureTenant({
    seed: 'bench-requests-quiet',
    users: 40,
    authEventsPerDay: 15,
    backfillDays: QUIET_BACKFILL_DAYS,
  });
  const busy = await measureTenant({
    seed: 'bench-requests-busy',
    users: 1_000,
    authEventsPerDay: options.busyAuthEventsPerDay,
    backfillDays: options.busyBackfillDays,
  });
  return {
    quiet: {
      firstSync: quiet.firstSync,
      backfillRequests: quiet.backfillRequests,
      nextDay: quiet.nextDay,
    },
    busy: {
      authEventsPerDay: options.busyAuthEventsPerDay,
      backfillDays: options.busyBackfillDays,
      firstSync: busy.firstSync,
      nextDay: busy.nextDay,
    },
  };
}

interface TenantPlan {
  readonly seed: string;
  readonly users: number;
  readonly authEventsPerDay: number;
  readonly backfillDays: number;
}

async function measureTenant(plan: TenantPlan): Promise<{
  firstSync: SyncCost;
  backfillRequests: PerStream;
  nextDay: SyncCost;
}> {
  const credential = { ikey: 'DIBENCHREQUESTS00000', skey: 'r'.repeat(40) };
  const start = nowMs();
  const sim = await startSimulator({
    credentials: [credential],
    seed: plan.seed,
    users: plan.users,
    days: plan.backfillDays + 3,
    authEventsPerDay: plan.authEventsPerDay,
    // Frozen: only the bench moves time (a day between the two syncs).
    clock: { start, speed: 0 },
    rateLimits: 'off',
    publishDelayMs: PUBLISH_DELAY_MS,
    requestLogSize: 100_000,
  });
  const dir = mkdtempSync(join(tmpdir(), 'di-bench-requests-'));
  const db = openDatabase(`sqlite:${join(dir, 'requests.db')}`);
  const duo = new DuoConnections({ allowLoopbackHosts: true, rateLimits: 'off' });
  try {
    await migrate(db);
    const secretKey = generateSecretKey();
    const ctx: SyncContext = {
      db,
      secretKey,
      duo,
      log: createLogger({ level: 'warn' }),
      clock: () => sim.now(),
      holder: `bench-requests:${String(process.pid)}`,
      strings: new StringCache(),
    };
    const sourceId = await createSourceOn(db, sim, credential, secretKey);

    const firstWindowStart = ms(sim.now() - PUBLISH_DELAY_MS - FIRST_WINDOW_MS);
    const first = await syncAndCount(ctx, sim, sourceId, plan.backfillDays);
    // v1 logs ask from the first window's whole second (their mintime is in seconds).
    const firstWindowSecond = Math.floor(firstWindowStart / 1000) * 1000;
    const backfillRequests = perStream((stream) => {
      const start = STREAM_INFO[stream].api === 'v1' ? firstWindowSecond : firstWindowStart;
      return first.log.filter((r) => r.stream === stream && r.mintimeMs < start).length;
    });

    await control(sim, 'POST', '/_sim/clock', { advanceMs: DAY_MS });
    const nextDay = await syncAndCount(ctx, sim, sourceId, undefined);
    return { firstSync: first.cost, backfillRequests, nextDay: nextDay.cost };
  } finally {
    duo.close();
    await db.destroy();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface LogRequest {
  readonly stream: StreamName;
  readonly mintimeMs: number;
}

async function syncAndCount(
  ctx: SyncContext,
  sim: Simulator,
  sourceId: string,
  backfillDays: number | undefined,
): Promise<{ cost: SyncCost; log: LogRequest[] }> {
  await control(sim, 'DELETE', '/_sim/requests');
  const before = await countActivityEvents(ctx.db, { sourceId });
  const run = await syncActivitySource(ctx, sourceId, {
    trigger: 'manual',
    ...(backfillDays === undefined ? {} : { backfillDays }),
  });
  if (run.status !== 'succeeded') {
    throw new Error(`the request bench's sync ended ${run.status}: ${run.error?.message ?? ''}`);
  }
  const after = await countActivityEvents(ctx.db, { sourceId });
  const { requests } = await control<{ requests: RequestLogEntry[] }>(sim, 'GET', '/_sim/requests');
  const log = requests.flatMap((r): LogRequest[] => {
    const stream = streamOfPath(r.path);
    if (stream === undefined) return [];
    const mintime = Number(r.params.find(([key]) => key === 'mintime')?.[1] ?? 0);
    const v1 = STREAM_INFO[stream].api === 'v1';
    return [{ stream, mintimeMs: v1 ? mintime * 1000 : mintime }];
  });
  const requestCounts = perStream((stream) => log.filter((r) => r.stream === stream).length);
  const events = perStream((stream) => (after[stream] ?? 0) - (before[stream] ?? 0));
  const totalRequests = sum(requestCounts);
  const totalEvents = sum(events);
  return {
    cost: {
      requests: requestCounts,
      events,
      totalRequests,
      totalEvents,
      requestsPer1000Events: totalEvents === 0 ? 0 : (totalRequests / totalEvents) * 1000,
    },
    log,
  };
}

const PATHS: Record<string, StreamName> = {
  '/admin/v2/logs/authentication': 'authentication',
  '/admin/v2/logs/telephony': 'telephony',
  '/admin/v2/logs/activity': 'activity',
  '/admin/v1/logs/administrator': 'administrator',
  '/admin/v1/logs/offline_enrollment': 'offline_enrollment',
  '/admin/v1/trust_monitor/events': 'trust_monitor',
};

function streamOfPath(path: string): StreamName | undefined {
  return PATHS[path];
}

function perStream(value: (stream: StreamName) => number): PerStream {
  return Object.fromEntries(STREAMS.map((s) => [s, value(s)])) as PerStream;
}

function sum(values: PerStream): number {
  return Object.values(values).reduce((total, n) => total + n, 0);
}

async function createSourceOn(
  db: Db,
  sim: Simulator,
  credential: { readonly ikey: string; readonly skey: string },
  secretKey: SecretKey,
): Promise<string> {
  const owner = await createIdentity(db, { displayName: 'Bench Owner' });
  const source = await createSource(db, {
    type: 'duo-activity',
    name: 'bench requests',
    description: null,
    ownerIdentityId: owner.id,
    governanceGroupId: null,
    settings: {},
  });
  await configureSource(
    db,
    source.id,
    { apiHost: sim.url, integrationKey: credential.ikey, secretKey: credential.skey },
    secretKey,
  );
  return source.id;
}

/** The figures as lines for the bench's table. */
export function describeRequests(figures: RequestFigures): string[] {
  const { quiet, busy } = figures;
  const streams = (values: PerStream): string =>
    STREAMS.map((s) => `${s} ${String(values[s])}`).join(', ');
  const cost = (c: SyncCost): string =>
    `${String(c.totalRequests)} requests for ${String(c.totalEvents)} events ` +
    `(${c.requestsPer1000Events.toFixed(2)} per 1,000); requests: ${streams(c.requests)}; ` +
    `events: ${streams(c.events)}`;
  return [
    `quiet stream, 30-day backfill: ${streams(quiet.backfillRequests)} requests`,
    `quiet tenant, first sync: ${cost(quiet.firstSync)}`,
    `quiet tenant, next day's sync (recent + 72 h re-read): ${cost(quiet.nextDay)}`,
    `busy tenant (${String(busy.authEventsPerDay)} auth/day), first sync with ${String(busy.backfillDays)}-day backfill: ${cost(busy.firstSync)}`,
    `busy tenant, next day's sync (recent + 72 h re-read): ${cost(busy.nextDay)}`,
  ];
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const figures = await measureRequests(quick ? QUICK_REQUEST_BENCH : DEFAULT_REQUEST_BENCH);
  process.stdout.write(`${describeRequests(figures).join('\n')}\n${JSON.stringify(figures)}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await main();
