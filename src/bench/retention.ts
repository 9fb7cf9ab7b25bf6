/**
 * The retention bench: deleting a source's events older than its retention (`pruneSource` with
 * the product's default batch size and pause) — wall time, CPU time, events deleted per second
 * and per CPU second — and what that deletion does to the reads people make meanwhile: an
 * identity's first timeline page (as the timeline route reads it) and its insights (the use case
 * the insights route calls), p50/p95/p99 with no deletion running and while one runs.
 *
 * The store is written through `ingestActivityPages` (the sync's own write path, with every
 * rollup) from synthetic Duo authentication events: `deleted` events spread over the days
 * 181–560 before now and `kept` ones over the last 179 days, for `users` Duo users, so a
 * 180-day retention deletes exactly `deleted` events. The built store is then copied (SQLite:
 * the file; PostgreSQL: `create database … template`): the deletion alone is timed on one copy
 * (its CPU is then the deletion's alone), the deletion under reads on the other.
 *
 * The reads run the way the server runs them beside its retention keeper: in the same process,
 * on the same database handle. On SQLite that is one connection and one event loop shared with
 * the deletion (a read waits for the batch in progress); on PostgreSQL a pool, the reads on
 * other connections than the delete.
 *
 * @example const figures = await runRetentionBench({ databases: ['sqlite'], postgresUrl, quick: true });
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { cliActor } from '../core/actor.js';
import { OrganisationAverages, readIdentityInsights } from '../core/insights.js';
import type { NormalisedEvent } from '../domain/activity.js';
import { DAY_MS, ms } from '../domain/time.js';
import { createLogger } from '../logging.js';
import { ingestActivityPages, type ActivityPageInput } from '../store/activity/ingest.js';
import { StringCache } from '../store/activity/strings.js';
import { listActivityEvents } from '../store/activity/timeline.js';
import { openDatabase, type DatabaseKind, type Db } from '../store/dialect.js';
import { createIdentity } from '../store/identities.js';
import { migrate } from '../store/migrate.js';
import { createSource, getSource } from '../store/sources.js';
import { createThrowawayDatabase } from '../store/throwaway.js';
import { pruneSource, type RetentionOutcome } from '../sync/retention.js';
import { linkIdentities } from './insights.js';
import { summarise, type LatencySummary } from './sampling.js';
import { ServerCpu } from './server-cpu.js';

export interface RetentionBenchOptions {
  readonly databases: readonly DatabaseKind[];
  readonly postgresUrl: string;
  readonly quick: boolean;
  readonly progress: (message: string) => void;
}

/** The store a run builds. */
export interface RetentionStorePlan {
  /** Events older than the retention (deleted by the pass). */
  readonly deleted: number;
  /** Events within it (kept). */
  readonly kept: number;
  readonly users: number;
  readonly retentionDays: number;
  /** Timeline and insights reads of each query with no deletion running. */
  readonly baselineReads: number;
}

export const RETENTION_STORE: RetentionStorePlan = {
  deleted: 1_000_000,
  kept: 300_000,
  users: 3_000,
  retentionDays: 180,
  baselineReads: 300,
};
export const QUICK_RETENTION_STORE: RetentionStorePlan = {
  deleted: 10_000,
  kept: 3_000,
  users: 200,
  retentionDays: 180,
  baselineReads: 20,
};

const OLDEST_DAY = 560;
const PAGE_EVENTS = 1_000;
/** Pages per ingest transaction, as the sync buffers a backlog. */
const PAGES_PER_TRANSACTION = 10;
/** Identities the reads ask about (round robin). */
const SUBJECTS = 10;

export interface ReadLatencies {
  readonly timelineFirstPage: LatencySummary;
  readonly insights: LatencySummary;
}

export interface RetentionFigures {
  readonly database: DatabaseKind;
  readonly store: RetentionStorePlan & { readonly buildSeconds: number };
  /** The deletion alone (no reads): the pass as the keeper runs it. */
  readonly deletion: {
    readonly deleted: number;
    readonly rollupRowsDeleted: number;
    readonly seconds: number;
    /** This process's CPU, plus on PostgreSQL the server backends' (null when unreadable). */
    readonly cpuSeconds: number;
    readonly processCpuSeconds: number;
    readonly serverCpuSeconds: number | null;
    readonly eventsPerSec: number;
    readonly eventsPerCpuSec: number;
    readonly batchSize: number;
    readonly pauseMs: number;
  };
  /** The same deletion, on a copy of the store, with reads running. */
  readonly underReads: { readonly deleted: number; readonly seconds: number };
  readonly reads: { readonly idle: ReadLatencies; readonly duringDeletion: ReadLatencies };
}

/** The product's defaults for a pass (the keeper passes none). */
const DEFAULT_BATCH = 2_000;
const DEFAULT_PAUSE_MS = 20;

export async function runRetentionBench(
  options: RetentionBenchOptions,
): Promise<RetentionFigures[]> {
  const plan = options.quick ? QUICK_RETENTION_STORE : RETENTION_STORE;
  const out: RetentionFigures[] = [];
  for (const kind of options.databases) out.push(await benchDatabase(kind, plan, options));
  return out;
}

/** Synthetic Duo authentication events, newest last, for `users` users between two times. */
function* syntheticEvents(
  prefix: string,
  count: number,
  users: number,
  fromMs: number,
  toMs: number,
): Generator<NormalisedEvent> {
  const gap = (toMs - fromMs) / count;
  const apps = ['VPN', 'Mail', 'Wiki', 'Payroll', 'CRM', 'Git'];
  const factors = ['Duo Push', 'Passcode', 'Phone Call', 'WebAuthn'];
  for (let i = 0; i < count; i++) {
    const ts = Math.floor(fromMs + i * gap);
    // Users by a skewed spread (a few heavy ones), as real tenants are.
    const u = Math.floor(users * ((i * 0.618034) % 1) ** 2);
    const userKey = `DU${String(u).padStart(18, '0')}`;
    const username = `user${String(u)}@example.com`;
    const txid = `${prefix}-${String(i).padStart(10, '0')}`;
    const result = i % 17 === 0 ? 'denied' : 'success';
    const application = apps[i % apps.length] ?? 'VPN';
    const factor = factors[(i >> 3) % factors.length] ?? 'Duo Push';
    const ip = `10.${String(u % 200)}.${String(i % 250)}.${String(i % 199)}`;
    const record = {
      access_device: { browser: 'Chrome', ip, os: 'Windows' },
      application: { key: `DI${application.toUpperCase()}`, name: application },
      event_type: 'authentication',
      factor,
      isotimestamp: new Date(ts).toISOString(),
      reason: result === 'success' ? 'user_approved' : 'user_marked_fraud',
      result,
      timestamp: Math.floor(ts / 1000),
      txid,
      user: { key: userKey, name: username, groups: ['Duo Users'] },
    };
    yield {
      naturalKey: txid,
      tsMs: ms(ts),
      userKey,
      username,
      result,
      reason: record.reason,
      factor,
      application,
      location: 'Ann Arbor, Michigan, United States',
      accessOs: 'Windows 10',
      accessBrowser: 'Chrome 120',
      ip,
      txid,
      payload: JSON.stringify(record),
    };
  }
}

async function ingestAll(
  db: Db,
  sourceId: string,
  events: Iterable<NormalisedEvent>,
  strings: StringCache,
): Promise<void> {
  let pages: ActivityPageInput[] = [];
  let page: NormalisedEvent[] = [];
  let n = 0;
  const flush = async (): Promise<void> => {
    if (page.length > 0) pages.push(pageOf(sourceId, page, n, strings));
    page = [];
    if (pages.length > 0) await ingestActivityPages(db, pages);
    pages = [];
  };
  for (const event of events) {
    page.push(event);
    n++;
    if (page.length === PAGE_EVENTS) {
      pages.push(pageOf(sourceId, page, n, strings));
      page = [];
      if (pages.length === PAGES_PER_TRANSACTION) await flush();
    }
  }
  await flush();
}

function pageOf(
  sourceId: string,
  events: NormalisedEvent[],
  n: number,
  strings: StringCache,
): ActivityPageInput {
  return { sourceId, stream: 'authentication', events, cursor: { n }, strings };
}

interface Built {
  readonly sourceId: string;
  readonly identities: readonly string[];
  readonly seconds: number;
}

async function buildStore(db: Db, plan: RetentionStorePlan, now: number): Promise<Built> {
  const started = performance.now();
  await migrate(db);
  const owner = await createIdentity(db, { displayName: 'Retention Bench Owner' });
  const source = await createSource(db, {
    type: 'duo-activity',
    name: 'retention bench',
    description: null,
    ownerIdentityId: owner.id,
    governanceGroupId: null,
    settings: { retentionDays: plan.retentionDays },
  });
  const strings = new StringCache();
  const cutoff = now - plan.retentionDays * DAY_MS;
  await ingestAll(
    db,
    source.id,
    syntheticEvents('old', plan.deleted, plan.users, now - OLDEST_DAY * DAY_MS, cutoff - DAY_MS),
    strings,
  );
  await ingestAll(
    db,
    source.id,
    syntheticEvents('new', plan.kept, plan.users, cutoff + DAY_MS, now - 60_000),
    strings,
  );
  // Identities for a spread of Duo users (heavy to light), as aggregation would link them.
  const users = Array.from({ length: SUBJECTS }, (_, i) => ({
    userKey: `DU${String(Math.floor((i * plan.users) / SUBJECTS / 2)).padStart(18, '0')}`,
  }));
  const linked = await linkIdentities(db, users, now);
  return {
    sourceId: source.id,
    identities: users.map((u) => linked.get(u.userKey) ?? ''),
    seconds: (performance.now() - started) / 1000,
  };
}

/** The two reads, timed; `keepGoing` says whether to go on after each pair. */
async function timeReads(
  db: Db,
  identities: readonly string[],
  keepGoing: (pairs: number) => boolean,
): Promise<ReadLatencies> {
  const deps = { db, clock: () => Date.now(), averages: new OrganisationAverages() };
  const actor = cliActor('retention-bench');
  const timeline: number[] = [];
  const insights: number[] = [];
  for (let i = 0; timeline.length === 0 || keepGoing(timeline.length); i++) {
    const identityId = identities[i % identities.length] ?? '';
    let started = performance.now();
    await listActivityEvents(db, { identityId, limit: 50 });
    timeline.push(performance.now() - started);
    started = performance.now();
    await readIdentityInsights(deps, actor, { identityId });
    insights.push(performance.now() - started);
    // Requests reach a server as I/O events: between two, timers (the deletion's pause) run.
    // Without this the reads, whose SQLite promises all settle as microtasks, would starve them.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { timelineFirstPage: summarise(timeline), insights: summarise(insights) };
}

interface Copy {
  readonly url: string;
  drop(): Promise<void>;
}

/** A store on which the bench builds, and a way to copy it once built. */
async function scratchStore(
  kind: DatabaseKind,
  postgresUrl: string,
): Promise<Copy & { copy(): Promise<Copy> }> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'di-retention-bench-'));
    const file = join(dir, 'store.db');
    const removeStore = (path: string) => (): Promise<void> => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
      if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    };
    let copies = 0;
    return {
      url: `sqlite:${file}`,
      drop: removeStore(file),
      copy: () => {
        const to = join(dir, `copy-${String(++copies)}.db`);
        copyFileSync(file, to);
        return Promise.resolve({ url: `sqlite:${to}`, drop: removeStore(to) });
      },
    };
  }
  const store = await createThrowawayDatabase(postgresUrl, 'di_bench_retention');
  return {
    url: store.url,
    drop: () => store.drop(),
    copy: async () => {
      const copy = await createThrowawayDatabase(postgresUrl, 'di_bench_retention_copy');
      await copy.drop();
      const admin = openDatabase(postgresUrl, { maxConnections: 1 });
      try {
        await sql.raw(`create database ${copy.name} template ${store.name}`).execute(admin);
      } finally {
        await admin.destroy();
      }
      return copy;
    },
  };
}

async function prune(db: Db, sourceId: string): Promise<RetentionOutcome> {
  const source = await getSource(db, sourceId);
  const ctx = { db, log: createLogger({ level: 'silent' }), clock: Date.now, holder: 'bench' };
  const outcome = await pruneSource(ctx, source);
  if (outcome.interrupted !== undefined)
    throw new Error(`the retention pass stopped early: ${outcome.interrupted}`);
  return outcome;
}

const deletedBy = (o: RetentionOutcome): number => o.streams.reduce((sum, s) => sum + s.deleted, 0);

async function benchDatabase(
  kind: DatabaseKind,
  plan: RetentionStorePlan,
  options: RetentionBenchOptions,
): Promise<RetentionFigures> {
  const now = Date.now();
  const store = await scratchStore(kind, options.postgresUrl);
  try {
    let db = openDatabase(store.url);
    let built: Built;
    try {
      built = await buildStore(db, plan, now);
      // Everything into the main file, so a copy of the file is the whole store.
      if (kind === 'sqlite') await sql`pragma wal_checkpoint(truncate)`.execute(db);
    } finally {
      await db.destroy();
    }
    options.progress(
      `${kind}: ${String(plan.deleted + plan.kept)} events ingested in ${built.seconds.toFixed(1)} s`,
    );
    // Copies before anything reads or deletes: both passes start from the same store.
    const alone = await store.copy();
    const underReads = await store.copy();
    await store.drop();

    // The deletion alone: wall time and CPU.
    db = openDatabase(alone.url);
    let deletion: RetentionFigures['deletion'];
    try {
      const server = kind === 'postgres' ? new ServerCpu(db) : undefined;
      await server?.sample();
      const cpu = process.cpuUsage();
      const started = performance.now();
      const outcome = await prune(db, built.sourceId);
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      await server?.sample();
      const processCpuSeconds = (used.user + used.system) / 1e6;
      const serverCpuSeconds = server ? server.seconds() : null;
      const cpuSeconds = processCpuSeconds + (serverCpuSeconds ?? 0);
      const deleted = deletedBy(outcome);
      deletion = {
        deleted,
        rollupRowsDeleted: outcome.rollupRowsDeleted,
        seconds,
        cpuSeconds,
        processCpuSeconds,
        serverCpuSeconds,
        eventsPerSec: deleted / seconds,
        eventsPerCpuSec: deleted / cpuSeconds,
        batchSize: DEFAULT_BATCH,
        pauseMs: DEFAULT_PAUSE_MS,
      };
      options.progress(
        `${kind}: deleted ${String(deleted)} events alone in ${seconds.toFixed(1)} s (CPU ${cpuSeconds.toFixed(1)} s)`,
      );
    } finally {
      await db.destroy();
      await alone.drop();
    }

    // The reads with no deletion, then during one (same process, same handle).
    db = openDatabase(underReads.url);
    try {
      await timeReads(db, built.identities, (n) => n < SUBJECTS); // warm-up
      const idle = await timeReads(db, built.identities, (n) => n < plan.baselineReads);
      let done = false;
      const started = performance.now();
      const pass = prune(db, built.sourceId).finally(() => (done = true));
      const during = await timeReads(db, built.identities, () => !done);
      const outcome = await pass;
      const seconds = (performance.now() - started) / 1000;
      options.progress(
        `${kind}: deleted ${String(deletedBy(outcome))} events under reads in ${seconds.toFixed(1)} s; ${String(during.timelineFirstPage.samples)} read pairs`,
      );
      return {
        database: kind,
        store: { ...plan, buildSeconds: built.seconds },
        deletion,
        underReads: { deleted: deletedBy(outcome), seconds },
        reads: { idle, duringDeletion: during },
      };
    } finally {
      await db.destroy();
      await underReads.drop();
    }
  } catch (error) {
    await store.drop().catch(() => undefined);
    throw error;
  }
}

/** The printed table. */
export function formatRetentionTable(figures: readonly RetentionFigures[]): string {
  const f = (n: number, d = 1): string =>
    n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const lines: string[] = [];
  for (const r of figures) {
    const d = r.deletion;
    lines.push(
      `${r.database}: ${f(r.store.deleted + r.store.kept, 0)} events (${f(r.store.users, 0)} Duo users, built in ${f(r.store.buildSeconds)} s), retention ${String(r.store.retentionDays)} days`,
      `  deletion (batch ${String(d.batchSize)}, pause ${String(d.pauseMs)} ms): ${f(d.deleted, 0)} events in ${f(d.seconds)} s, CPU ${f(d.cpuSeconds)} s` +
        (d.serverCpuSeconds === null
          ? ''
          : ` (process ${f(d.processCpuSeconds)} + server ${f(d.serverCpuSeconds)})`) +
        ` → ${f(d.eventsPerSec, 0)} events/s, ${f(d.eventsPerCpuSec, 0)} per CPU s`,
      `  under reads: ${f(r.underReads.deleted, 0)} events in ${f(r.underReads.seconds)} s`,
      `  ${'read (ms)'.padEnd(22)} ${'idle p50/p95/p99'.padEnd(24)} during deletion p50/p95/p99`,
    );
    const row = (label: string, idle: LatencySummary, during: LatencySummary): string =>
      `  ${label.padEnd(22)} ${`${f(idle.p50Ms)} / ${f(idle.p95Ms)} / ${f(idle.p99Ms)}`.padEnd(24)} ${f(during.p50Ms)} / ${f(during.p95Ms)} / ${f(during.p99Ms)}  (${String(during.samples)} samples)`;
    lines.push(
      row(
        'timeline first page',
        r.reads.idle.timelineFirstPage,
        r.reads.duringDeletion.timelineFirstPage,
      ),
      row('insights', r.reads.idle.insights, r.reads.duringDeletion.insights),
    );
  }
  return `${lines.join('\n')}\n`;
}
