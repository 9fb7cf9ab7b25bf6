/**
 * The one composition root: config → logger → the store (`openStore`: data directory made
 * owner-only, database migrated, secret key checked) → the readers that run heavy reads off the
 * event loop (`openReaders`) → Duo connections → sync context → the
 * runner every aggregation and sync starts through; `createScheduler` wires the scheduler to the
 * use case "sync now" goes through, `createForwarder` forwarding to the destinations (woken by
 * the sync's `'stored'` event), and `serveApp` the scheduler, forwarding and the HTTP server to a port.
 * `serve`, every command and the tests open it; everything else
 * receives what it needs from here (the use cases of `core/` take the `App` itself as their
 * deps); nothing is a singleton.
 *
 * @example const app = await openApp(loadConfig(process.env)); try { … } finally { await app.close(); }
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { DemoStatus } from './api/demo.js';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logging.js';
import type { Db } from './store/dialect.js';
import type { LoosePath } from './store/files.js';
import { oldestUndelivered } from './store/destinations.js';
import { openStore } from './store/open.js';
import { openReaders, type Readers } from './store/readers.js';
import type { SecretKey } from './store/secrets.js';
import type { SyncContext } from './sync/context.js';
import { DuoConnections, type DuoConnectionOptions } from './sync/duo-connections.js';
import { Remediations } from './core/review-remediation.js';
import { scheduledRuns, type SourceDeps } from './core/sources.js';
import { Runner } from './sync/runner.js';
import { RetentionKeeper } from './sync/retention.js';
import { Scheduler, type SchedulerOptions } from './sync/scheduler.js';
import { Forwarder, type ForwarderOptions } from './forward/forwarder.js';

export interface App {
  readonly config: Config;
  readonly log: Logger;
  readonly db: Db;
  /** Runs the heavy reads (reports, exports): worker threads on an SQLite file, else inline. */
  readonly readers: Readers;
  readonly secretKey: SecretKey;
  readonly sync: SyncContext;
  /** Every aggregation and sync of this process starts through it (routes, commands, scheduler). */
  readonly runs: Runner;
  /**
   * Deletes events and rollups past each source's retention, once a day per source (started by
   * `serveApp`; `runNow` for "apply retention now").
   */
  readonly retention: RetentionKeeper;
  /** Loopback Duo API hosts accepted (`DUO_INSIGHTS_ALLOW_LOOPBACK_DUO_HOSTS`, the demo). */
  readonly allowLoopbackHosts: boolean;
  /** Emits `'stored'` after each transaction of activity pages (what wakes forwarding). */
  readonly events: EventEmitter;
  /** The clock of the use cases (the sync's). */
  readonly clock: () => number;
  /** Access-review remediations running in the background (stopped first on close). */
  readonly remediations: Remediations;
  /**
   * Stops running work at its next page boundary, then the read workers, the connections and the
   * database.
   */
  close(): Promise<void>;
}

export interface AppOptions {
  readonly log?: Logger;
  /** Overrides for the Duo connections (tests: loopback hosts, short backoff). */
  readonly duo?: Partial<DuoConnectionOptions>;
  readonly clock?: () => number;
  /** Read worker threads on an SQLite file (default 2; 0: every read on the event loop). */
  readonly readWorkers?: number;
}

export async function openApp(config: Config, options: AppOptions = {}): Promise<App> {
  const log = options.log ?? createLogger({ level: config.logLevel });
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    ...(config.secretKey === undefined ? {} : { secretKey: config.secretKey }),
  });
  warnAboutLooseFiles(log, store.loosePaths);
  if (store.migrated.length > 0) log.info({ migrations: store.migrated }, 'applied migrations');
  const { db, strings } = store;
  const readers = openReaders(db, config.databaseUrl, {
    ...(options.readWorkers === undefined ? {} : { workers: options.readWorkers }),
  });
  const loaded = store.secretKey;
  if (loaded.origin === 'created') {
    log.warn({ path: loaded.path }, 'created a new secret key file: back it up with the database');
  }
  const allowLoopbackHosts = config.allowLoopbackDuoHosts || config.demo;
  const duo = new DuoConnections({
    allowLoopbackHosts,
    ...(config.duoRateLimit === 'off' ? { rateLimits: 'off' as const } : {}),
    ...(config.caFile === undefined ? {} : { caFile: config.caFile }),
    ...(config.httpsProxy === undefined ? {} : { proxyUrl: config.httpsProxy }),
    ...(config.noProxy === undefined ? {} : { noProxy: config.noProxy }),
    ...options.duo,
  });
  const events = new EventEmitter();
  const sync: SyncContext = {
    events,
    db,
    secretKey: loaded.key,
    duo,
    log,
    clock: options.clock ?? Date.now,
    holder: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
    strings,
  };
  const runs = new Runner(sync);
  const remediations = new Remediations(log);
  const retention = new RetentionKeeper(sync);
  // Never delete what a forwarding destination has not delivered.
  retention.addHold({
    name: 'forwarding destinations',
    oldestNeeded: (stream) => oldestUndelivered(db, stream.streamId),
  });
  return {
    config,
    log,
    db,
    readers,
    secretKey: loaded.key,
    sync,
    runs,
    retention,
    allowLoopbackHosts,
    events,
    clock: sync.clock,
    remediations,
    async close() {
      await remediations.stop();
      await retention.stop();
      await runs.stop();
      await readers.close();
      duo.close();
      await store.close();
    },
  };
}

/**
 * The scheduler of this process (or of a test): its runs start through the same use case as the
 * API's "sync now" and the command line's `sync`, as the actor `scheduler`, on the app's runner.
 *
 * @example const scheduler = createScheduler(app); scheduler.start(); … await scheduler.stop();
 */
export function createScheduler(
  deps: SourceDeps,
  options: Pick<SchedulerOptions, 'tickMs' | 'retryAfterMs'> = {},
): Scheduler {
  return new Scheduler(deps.sync, { ...options, runner: deps.runs, startRun: scheduledRuns(deps) });
}

export interface ServeOptions {
  readonly port: number;
  readonly host: string;
  /** The built web console (`dist/web`). */
  readonly webRoot: string;
  readonly trustProxy: Config['trustProxy'];
  /** How often the scheduler looks for due work (default 30 s). */
  readonly schedulerTickMs?: number;
  /** Forwarding's batch size, waits and backoff (tests). */
  readonly forwarding?: ForwarderOptions;
}

/**
 * Forwarding to the destinations, woken after each stored page so a live tenant's events leave
 * within seconds of being synced.
 *
 * @example const forwarder = createForwarder(app); forwarder.start(); … await forwarder.stop();
 */
export function createForwarder(app: App, options: ForwarderOptions = {}): Forwarder {
  const forwarder = new Forwarder(app.sync, options);
  app.events.on('stored', () => {
    forwarder.wake();
  });
  return forwarder;
}

/** The HTTP server, the scheduler and retention of `serveApp`, running. */
export interface Serving {
  /** The port listened on (the one chosen when asked for port 0). */
  readonly port: number;
  /** Starts the built-in simulator with both sources against it (`--demo`). */
  startDemo(): Promise<DemoStatus>;
  /** Stops the scheduler (running work ends at a page boundary), then the server; not the app. */
  close(): Promise<void>;
}

/**
 * Serves the API and the console on `host:port` and starts the scheduler and retention once listening. A
 * failure to listen (port in use, …) closes the server and rejects with the system's error.
 * The server's code is loaded only here, so the other commands start without it.
 *
 * @example const serving = await serveApp(app, { port: 8080, host: '127.0.0.1', webRoot, trustProxy: false });
 */
export async function serveApp(app: App, options: ServeOptions): Promise<Serving> {
  const { buildServer } = await import('./api/server.js');
  const scheduler = createScheduler(
    app,
    options.schedulerTickMs === undefined ? {} : { tickMs: options.schedulerTickMs },
  );
  const forwarder = createForwarder(app, options.forwarding);
  const server = await buildServer(app, {
    scheduler,
    forwarder,
    webRoot: options.webRoot,
    trustProxy: options.trustProxy,
  });
  try {
    await server.app.listen({ port: options.port, host: options.host });
  } catch (error) {
    await server.app.close();
    throw error;
  }
  const address = server.app.server.address();
  scheduler.start();
  app.retention.start();
  forwarder.start();
  return {
    port: typeof address === 'object' && address !== null ? address.port : options.port,
    startDemo: () => server.demo.start(),
    async close() {
      await scheduler.stop();
      await app.retention.stop();
      await forwarder.stop();
      await server.app.close();
    },
  };
}

/** The data directory and database files hold password hashes and activity: owner-only. */
function warnAboutLooseFiles(log: Logger, loose: readonly LoosePath[]): void {
  for (const found of loose) {
    if (found.tightened)
      log.warn(
        { path: found.path, mode: found.mode },
        'a data file was readable by other users: made it owner-only',
      );
    else
      log.warn(
        { path: found.path, mode: found.mode, error: found.error },
        'a data file is readable by other users and could not be made owner-only: chmod go-rwx it',
      );
  }
}
