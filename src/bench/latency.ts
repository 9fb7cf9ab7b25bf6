/**
 * Latency of small requests while a large export runs: the p50/p95/p99 of `GET /api/v1/health`
 * and identities' insights, asked one after the other for as long as one access-review CSV export
 * of every member of a large Duo group is being read, on a running server. `measureLatencyDuringExport`
 * takes any running server; `runLatencyBench` builds the store for it (a Duo group of N members,
 * each an identity with authentication events over 90 days), starts `duo-insights serve` on it
 * in a child process (so the load generator never shares the server's event loop), signs in,
 * measures, and stops the server.
 *
 * @example const figures = await measureLatencyDuringExport({ baseUrl, cookie, exportPath, smallPaths });
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { Agent, request } from 'undici';
import type { NormalisedEvent } from '../domain/activity.js';
import { DAY_MS, ms, nowMs, type EpochMs } from '../domain/time.js';
import { listAccounts, upsertAccounts } from '../store/accounts.js';
import { ingestActivityPage } from '../store/activity/ingest.js';
import { dialectOf, openDatabase, type DatabaseKind, type Db } from '../store/dialect.js';
import { findEntitlementByDuoGroupId } from '../store/entitlements.js';
import { createIdentity } from '../store/identities.js';
import { migrate } from '../store/migrate.js';
import { generateSecretKey } from '../store/secrets.js';
import { createSource } from '../store/sources.js';
import { correlateAccounts } from '../sync/correlation.js';
import { createThrowawayDatabase } from '../store/throwaway.js';
import { testDatabaseUrl } from '../config.js';
import { summarise, type LatencySummary } from './sampling.js';
import { NODE_FLAGS } from '../node-flags.js';

export interface LatencyFigures {
  /** Small requests answered while the export ran. */
  readonly requests: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** From the export's request to its last byte. */
  readonly exportMs: number;
  /** CSV rows (members) the export held. */
  readonly exportRows: number;
  /** The same small requests with no export running, as many: the machine's own floor. */
  readonly idle: { readonly p50: number; readonly p95: number; readonly p99: number };
}

export interface LatencyTarget {
  /** `http://127.0.0.1:PORT` of a running server. */
  readonly baseUrl: string;
  /** The session cookie (`name=value`) or an API token (sent as `Authorization: Bearer`). */
  readonly cookie?: string;
  readonly token?: string;
  /** The large export, e.g. `/api/v1/reports/access-review?entitlementId=1&format=csv`. */
  readonly exportPath: string;
  /** The small requests, asked in turn, e.g. `/api/v1/health`, `/api/v1/identities/<id>/insights`. */
  readonly smallPaths: readonly string[];
}

/** Percentile `p` (0–100) of sorted milliseconds, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

/**
 * Starts the export, then asks the small requests one after the other until the export's last
 * byte has arrived; each small request's time is one sample. Then as many again with no export
 * running (`idle`), so a figure on a busy machine can be read against that machine's floor.
 */
export async function measureLatencyDuringExport(target: LatencyTarget): Promise<LatencyFigures> {
  const headers: Record<string, string> = {
    ...(target.cookie === undefined ? {} : { cookie: target.cookie }),
    ...(target.token === undefined ? {} : { authorization: `Bearer ${target.token}` }),
  };
  // One connection for the export, another for the small requests (a browser opens several).
  const exportAgent = new Agent({ connections: 1 });
  const smallAgent = new Agent({ connections: 1 });
  try {
    // Warm both connections and the server's caches of the small requests.
    for (const path of target.smallPaths) await timed(smallAgent, target.baseUrl, path, headers);
    const running = { done: false };
    const started = performance.now();
    const exported = (async () => {
      const response = await request(`${target.baseUrl}${target.exportPath}`, {
        dispatcher: exportAgent,
        headers,
      });
      if (response.statusCode !== 200)
        throw new Error(
          `the export answered ${String(response.statusCode)}: ${(await response.body.text()).slice(0, 300)}`,
        );
      let lines = 0;
      for await (const chunk of response.body)
        for (const byte of chunk as Buffer) if (byte === 0x0a) lines++;
      return { ms: performance.now() - started, rows: lines - 1 };
    })().finally(() => {
      running.done = true;
    });
    const samples: number[] = [];
    for (let i = 0; !running.done; i++) {
      const path = target.smallPaths[i % target.smallPaths.length] ?? '/api/v1/health';
      samples.push(await timed(smallAgent, target.baseUrl, path, headers));
    }
    const result = await exported;
    samples.sort((a, b) => a - b);
    const idle: number[] = [];
    for (let i = 0; i < Math.max(samples.length, 50); i++) {
      const path = target.smallPaths[i % target.smallPaths.length] ?? '/api/v1/health';
      idle.push(await timed(smallAgent, target.baseUrl, path, headers));
    }
    idle.sort((a, b) => a - b);
    return {
      idle: { p50: percentile(idle, 50), p95: percentile(idle, 95), p99: percentile(idle, 99) },
      requests: samples.length,
      p50: percentile(samples, 50),
      p95: percentile(samples, 95),
      p99: percentile(samples, 99),
      exportMs: result.ms,
      exportRows: result.rows,
    };
  } finally {
    await exportAgent.close();
    await smallAgent.close();
  }
}

async function timed(
  agent: Agent,
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
): Promise<number> {
  const start = performance.now();
  const response = await request(`${baseUrl}${path}`, { dispatcher: agent, headers });
  await response.body.arrayBuffer();
  if (response.statusCode !== 200)
    throw new Error(`${path} answered ${String(response.statusCode)} during the export`);
  return performance.now() - start;
}

export interface LatencyBenchOptions {
  /** Members of the Duo group the access review exports (default 50,000). */
  readonly members: number;
  /** Authentication events per member over the last 90 days (default 4). */
  readonly eventsPerMember: number;
  /** The databases the reports are timed on (the latency figure is taken on the first). */
  readonly databases?: readonly DatabaseKind[];
  /** Server on which a throwaway `di_bench_*` database is made for PostgreSQL. */
  readonly postgresUrl?: string;
  /** Timed runs of each report over HTTP, after one untimed (default 5). */
  readonly reportSamples?: number;
  /** The CLI to serve with (default this build's `cli/main.js`). */
  readonly cli?: string;
  readonly progress?: (message: string) => void;
}

/** One report as a user gets it over HTTP, timed from the request to the last byte. */
export interface ReportTiming extends LatencySummary {
  /** Rows (members, accounts) of the answer. */
  readonly rows: number;
  readonly bytes: number;
}

/** The reports of the group's store on one database. */
export interface ReportFigures {
  readonly members: number;
  readonly events: number;
  readonly accessReviewJson: ReportTiming;
  readonly accessReviewCsv: ReportTiming;
  readonly dormantJson: ReportTiming;
  readonly dormantCsv: ReportTiming;
}

export interface LatencyBenchFigures {
  /** Small requests during the access-review export (on the first of the databases). */
  readonly latency: LatencyFigures & { readonly database: DatabaseKind };
  /** The reports over HTTP, per database. */
  readonly reports: Partial<Record<DatabaseKind, ReportFigures>>;
}

const ADMIN_PASSWORD = 'bench-latency-password-0001';

/**
 * On each database: builds the store, serves it, times the access review (JSON, CSV) and the
 * dormant accounts report (JSON, CSV) over HTTP; on the first one also measures small requests
 * while the access review exports.
 */
export async function runLatencyBench(options: LatencyBenchOptions): Promise<LatencyBenchFigures> {
  const databases = options.databases ?? ['sqlite'];
  const reports: Partial<Record<DatabaseKind, ReportFigures>> = {};
  let latency: LatencyBenchFigures['latency'] | undefined;
  for (const kind of databases) {
    await withServedStore(kind, options, async (served) => {
      if (latency === undefined) {
        latency = { database: kind, ...(await measureLatencyDuringExport(served.target)) };
        options.progress?.(
          `latency on ${kind}: p95 ${latency.p95.toFixed(1)} ms of ${String(latency.requests)} small requests during a ${(latency.exportMs / 1000).toFixed(2)} s export`,
        );
      }
      const figures = await measureReports(served, options.reportSamples ?? 5);
      reports[kind] = figures;
      options.progress?.(
        `reports on ${kind} at ${String(figures.members)} members: access review JSON p50 ${figures.accessReviewJson.p50Ms.toFixed(0)} ms, CSV ${figures.accessReviewCsv.p50Ms.toFixed(0)} ms; dormant JSON ${figures.dormantJson.p50Ms.toFixed(0)} ms`,
      );
    });
  }
  if (latency === undefined) throw new Error('the latency bench needs at least one database');
  return { latency, reports };
}

/** The group's store being served: what a measurement of it needs. */
export interface ServedStore {
  readonly kind: DatabaseKind;
  readonly members: number;
  readonly events: number;
  readonly entitlementId: number;
  /** The Duo source whose users the group's members are. */
  readonly duoSourceId: string;
  /** The served database (a temp SQLite file or a throwaway PostgreSQL database). */
  readonly databaseUrl: string;
  /** The server's process id, for its CPU time (`server-cpu.ts`). */
  readonly serverPid: number;
  /** The signed-in admin's session: its CSRF token goes with every change. */
  readonly csrfToken: string;
  readonly target: Omit<LatencyTarget, 'exportPath'> & { readonly exportPath: string };
}

/**
 * Builds the group's store on a throwaway database of `kind`, runs `prepare` on it (before the
 * server opens it), serves it, signs in as the admin and runs `use`.
 */
export async function withServedStore(
  kind: DatabaseKind,
  options: LatencyBenchOptions,
  use: (served: ServedStore) => Promise<void>,
  prepare?: (db: Db, store: LatencyStore) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'di-bench-latency-'));
  const scratch =
    kind === 'postgres'
      ? await createThrowawayDatabase(options.postgresUrl ?? testDatabaseUrl(), 'di_bench')
      : undefined;
  try {
    const databaseUrl = scratch?.url ?? `sqlite:${join(dir, 'latency.db')}`;
    const store = await buildLatencyStore(databaseUrl, options);
    if (prepare !== undefined) {
      const db = openDatabase(databaseUrl);
      try {
        await prepare(db, store);
      } finally {
        await db.destroy();
      }
    }
    options.progress?.(
      `latency on ${kind}: a Duo group of ${String(options.members)} members, ${String(store.events)} events; serving`,
    );
    const server = await serve(options.cli ?? defaultCli(), {
      DATABASE_URL: databaseUrl,
      DUO_INSIGHTS_DATA_DIR: dir,
      DUO_INSIGHTS_SECRET_KEY: generateSecretKey().toBase64(),
      DUO_INSIGHTS_ADMIN_PASSWORD: ADMIN_PASSWORD,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    try {
      const { cookie, csrfToken } = await signIn(server.baseUrl);
      await use({
        kind,
        members: options.members,
        events: store.events,
        entitlementId: store.entitlementId,
        duoSourceId: store.duoSourceId,
        databaseUrl,
        serverPid: server.pid,
        csrfToken,
        target: {
          baseUrl: server.baseUrl,
          cookie,
          exportPath: `/api/v1/reports/access-review?entitlementId=${String(store.entitlementId)}&format=csv`,
          smallPaths: [
            '/api/v1/health',
            ...store.identityIds.map((id) => `/api/v1/identities/${id}/insights`),
          ],
        },
      });
    } finally {
      await server.stop();
    }
  } finally {
    await scratch?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each report once untimed, then `samples` times, one after the other, to the last byte. */
async function measureReports(served: ServedStore, samples: number): Promise<ReportFigures> {
  const review = `/api/v1/reports/access-review?entitlementId=${String(served.entitlementId)}`;
  const dormant = '/api/v1/reports/dormant-accounts?days=90';
  const agent = new Agent({ connections: 1 });
  try {
    const time = (path: string, rows: (body: string) => number) =>
      timeReport(agent, served.target, path, samples, rows);
    const csvRows = (body: string): number => body.split('\r\n').length - 2;
    return {
      members: served.members,
      events: served.events,
      accessReviewJson: await time(
        review,
        (body) => (JSON.parse(body) as { members: unknown[] }).members.length,
      ),
      accessReviewCsv: await time(`${review}&format=csv`, csvRows),
      dormantJson: await time(
        dormant,
        (body) => (JSON.parse(body) as { accounts: unknown[] }).accounts.length,
      ),
      dormantCsv: await time(`${dormant}&format=csv`, csvRows),
    };
  } finally {
    await agent.close();
  }
}

async function timeReport(
  agent: Agent,
  target: Pick<LatencyTarget, 'baseUrl' | 'cookie'>,
  path: string,
  samples: number,
  rows: (body: string) => number,
): Promise<ReportTiming> {
  const headers = target.cookie === undefined ? {} : { cookie: target.cookie };
  const durations: number[] = [];
  let body = '';
  for (let i = 0; i <= samples; i++) {
    const start = performance.now();
    const response = await request(`${target.baseUrl}${path}`, { dispatcher: agent, headers });
    body = await response.body.text();
    const took = performance.now() - start;
    if (response.statusCode !== 200)
      throw new Error(`${path} answered ${String(response.statusCode)}: ${body.slice(0, 300)}`);
    if (i > 0) durations.push(took);
  }
  return { ...summarise(durations), rows: rows(body), bytes: Buffer.byteLength(body) };
}

function defaultCli(): string {
  return fileURLToPath(new URL('../cli/main.js', import.meta.url));
}

export interface LatencyStore {
  readonly entitlementId: number;
  readonly duoSourceId: string;
  readonly identityIds: readonly string[];
  readonly events: number;
}

/** A Duo group of `members` accounts, each correlated to an identity, with activity. */
export async function buildLatencyStore(
  databaseUrl: string,
  options: LatencyBenchOptions,
): Promise<LatencyStore> {
  const db = openDatabase(databaseUrl);
  try {
    await migrate(db);
    const now = nowMs();
    const owner = await createIdentity(db, { displayName: 'Bench Owner' });
    const duo = await createSource(db, { type: 'duo', name: 'Duo', ownerIdentityId: owner.id });
    const logs = await createSource(db, {
      type: 'duo-activity',
      name: 'Logs',
      ownerIdentityId: owner.id,
    });
    const userId = (i: number): string => `DU${String(i).padStart(18, '0')}`;
    const group = [{ duoGroupId: 'DGBENCH', name: 'Everyone' }];
    for (let from = 0; from < options.members; from += 5_000)
      await upsertAccounts(db, {
        sourceId: duo.id,
        runId: 'bench',
        now,
        accounts: Array.from({ length: Math.min(5_000, options.members - from) }, (_, k) => {
          const i = from + k;
          return {
            duoUserId: userId(i),
            username: `user${String(i).padStart(6, '0')}`,
            email: `user${String(i)}@example.com`,
            status: i % 17 === 0 ? 'disabled' : 'active',
            groups: group,
          };
        }),
      });
    await correlateAccounts(db, duo.id, { createIdentities: true });
    let events = 0;
    let page: NormalisedEvent[] = [];
    const flush = async (): Promise<void> => {
      if (page.length === 0) return;
      await ingestActivityPage(db, {
        sourceId: logs.id,
        stream: 'authentication',
        cursor: { events },
        events: page,
      });
      events += page.length;
      page = [];
    };
    for (let i = 0; i < options.members; i++) {
      // A quarter of the members never active: the review suggests revoking them.
      if (i % 4 === 3) continue;
      for (let e = 0; e < options.eventsPerMember; e++) {
        const tsMs = ms(now - ((i * 7 + e * 13) % 90) * DAY_MS - e * 1000);
        page.push(authEvent(`bench-${String(i)}-${String(e)}`, userId(i), tsMs));
        if (page.length === 1000) await flush();
      }
    }
    await flush();
    // Measured as a store is minutes after its first sync: PostgreSQL's autovacuum has by then
    // analysed the new rows (without statistics the planner takes a page of 1,000 accounts for
    // five and scans them) and marked the pages all-visible (else every index probe of a report
    // reads the table too).
    if (dialectOf(db).kind === 'postgres') await sql`vacuum (analyze)`.execute(db);
    const entitlement = await findEntitlementByDuoGroupId(db, duo.id, 'DGBENCH');
    if (!entitlement) throw new Error('the bench group was not stored');
    const sample = await listAccounts(db, { sourceId: duo.id, limit: 20 });
    return {
      entitlementId: entitlement.id,
      duoSourceId: duo.id,
      identityIds: sample.flatMap((a) => (a.identityId === null ? [] : [a.identityId])),
      events,
    };
  } finally {
    await db.destroy();
  }
}

function authEvent(txid: string, userKey: string, tsMs: EpochMs): NormalisedEvent {
  return {
    naturalKey: txid,
    tsMs,
    userKey,
    username: userKey.toLowerCase(),
    result: 'success',
    factor: 'duo_push',
    application: 'Okta',
    payload: JSON.stringify({
      txid,
      timestamp: Math.floor(tsMs / 1000),
      result: 'success',
      factor: 'duo_push',
      user: { key: userKey },
      application: { name: 'Okta' },
    }),
  };
}

async function serve(
  cli: string,
  env: Record<string, string>,
): Promise<{ baseUrl: string; pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...NODE_FLAGS, cli, 'serve'], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const found = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (found?.[1] !== undefined) resolve(found[1]);
    });
    void exited.then((code) => {
      reject(new Error(`serve exited with ${String(code)}: ${stderr.slice(-2000)}`));
    });
  });
  return {
    baseUrl,
    pid: child.pid ?? 0,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function signIn(baseUrl: string): Promise<{ cookie: string; csrfToken: string }> {
  const response = await request(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  const body = (await response.body.json()) as { csrfToken?: unknown };
  const setCookie = [response.headers['set-cookie'] ?? []].flat();
  const session = setCookie.map((c) => c.split(';')[0] ?? '').find((c) => c.includes('='));
  if (response.statusCode !== 200 || session === undefined || typeof body.csrfToken !== 'string')
    throw new Error(`signing in to the bench server answered ${String(response.statusCode)}`);
  return { cookie: session, csrfToken: body.csrfToken };
}
