/**
 * `npm run bench -- --reviews`: an access-review campaign over the latency bench's Duo group (one
 * group of N members, default 50,000) on each database, through the HTTP API of a real server
 * (`duo-insights serve` in a child process, signed in as the admin), step by step as a campaign
 * runs: create it, list its items (the first page, a page half-way in, a filtered sorted page),
 * revoke every item with one `select` decision, read the campaign (its progress), sign it off,
 * download the evidence CSV and ask the dry run of the remediation of every item. Each figure is
 * wall time from the request to the last byte, and the CPU the server spent for it (its Node
 * process from `/proc`, main thread and the rest; on PostgreSQL also the server's backends).
 *
 * @example const figures = await runReviewsBench({ members: 50_000, eventsPerMember: 4, databases: ['sqlite'] });
 */
import { sql } from 'kysely';
import { Agent, request } from 'undici';
import type {
  Campaign,
  DecisionsResult,
  RemediationAnswer,
  ReviewItemList,
} from '../api/contract/reviews.js';
import { openDatabase, type DatabaseKind, type Db } from '../store/dialect.js';
import { recordConnectionTest } from '../store/sources.js';
import { nowMs, DAY_MS } from '../domain/time.js';
import { withServedStore, type LatencyBenchOptions, type ServedStore } from './latency.js';
import { summarise, type LatencySummary } from './sampling.js';
import { mainThreadCpuSeconds, processCpuSeconds, ServerCpu } from './server-cpu.js';

export interface ReviewsBenchOptions extends LatencyBenchOptions {
  /** Timed runs of each page and of the campaign, after `pageWarmup` untimed (default 20). */
  readonly pageSamples?: number;
  readonly pageWarmup?: number;
  /** Timed runs of the evidence CSV and the dry run, after one untimed (default 3). */
  readonly heavySamples?: number;
}

/** CPU time the server spent on a step (or on one request, for a sampled figure), in ms. */
export interface ServerCpuMs {
  /** The server's Node main thread: the event loop (routes, views, JSON, CSV). */
  readonly nodeMain: number;
  /** The rest of its Node process: the read worker (SQLite) and Node's helper threads. */
  readonly nodeOther: number;
  /** PostgreSQL's backends connected to the database (null on SQLite, or unreadable `/proc`). */
  readonly postgres: number | null;
  /** All of the above. */
  readonly total: number;
}

/** A change made once (create, decide, sign off): its wall time and CPU. */
export interface ReviewStepFigures {
  readonly wallMs: number;
  readonly cpuMs: ServerCpuMs;
  /** Items the step handled. */
  readonly items: number;
  /** `items / wall seconds` and `items / CPU seconds` (what one free core reaches). */
  readonly itemsPerSec: number;
  readonly itemsPerCpuSec: number;
}

/** A read asked many times: p50/p95 of wall time, CPU per request, the answer's rows and size. */
export interface ReviewRequestFigures extends LatencySummary {
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
  /** Mean CPU per request over the timed runs. */
  readonly cpuMsPerRequest: ServerCpuMs;
  /** `rows / CPU seconds` of one request. */
  readonly rowsPerCpuSec: number;
}

/** One campaign of the group's members on one database. */
export interface ReviewFigures {
  readonly members: number;
  readonly events: number;
  /** Items of the campaign (one per member). */
  readonly items: number;
  readonly create: ReviewStepFigures;
  readonly firstPage: ReviewRequestFigures;
  /** The page at half of the items (the cursor reached by following `next`). */
  readonly deepPage: ReviewRequestFigures & { readonly offset: number };
  /** Undecided items inactive for 30 days, most recently active first. */
  readonly filteredPage: ReviewRequestFigures & { readonly total: number };
  /** Every item revoked with one `{ select: {}, decision: 'revoke' }`. */
  readonly decideAll: ReviewStepFigures;
  /** `GET /reviews/:id`, once every item is decided. */
  readonly campaign: ReviewRequestFigures;
  readonly signOff: ReviewStepFigures;
  readonly evidenceCsv: ReviewRequestFigures;
  /** `POST /reviews/:id/remediate {"dryRun":true}`: one change per revoked item. */
  readonly dryRun: ReviewRequestFigures;
}

/** Items per page the console asks for. */
const PAGE = 100;

/** On each database: builds and serves the group's store and runs one campaign over it. */
export async function runReviewsBench(
  options: ReviewsBenchOptions,
): Promise<Partial<Record<DatabaseKind, ReviewFigures>>> {
  const out: Partial<Record<DatabaseKind, ReviewFigures>> = {};
  for (const kind of options.databases ?? ['sqlite']) {
    await withServedStore(
      kind,
      options,
      async (served) => {
        const figures = await measureCampaign(served, options);
        out[kind] = figures;
        options.progress?.(
          `reviews on ${kind} at ${String(figures.items)} items: created in ${(figures.create.wallMs / 1000).toFixed(2)} s, first page p95 ${figures.firstPage.p95Ms.toFixed(0)} ms, campaign p95 ${figures.campaign.p95Ms.toFixed(0)} ms, evidence CSV p50 ${figures.evidenceCsv.p50Ms.toFixed(0)} ms, dry run p50 ${figures.dryRun.p50Ms.toFixed(0)} ms`,
        );
      },
      // Revocations go through the Admin API (mode `duo`) when the credential may write: as a
      // Test Connection that found "Grant write resource" records it.
      async (db, store) => {
        await recordConnectionTest(
          db,
          store.duoSourceId,
          { ok: true, at: nowMs(), message: 'bench: write granted' },
          true,
        );
      },
    );
  }
  return out;
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One HTTP client of the served store: the admin's session, one connection. */
class Client {
  // A 50k campaign's creation on a loaded machine may outlast undici's default 300 s timeouts.
  readonly #agent = new Agent({
    connections: 1,
    headersTimeout: 1_800_000,
    bodyTimeout: 1_800_000,
  });
  readonly #served: ServedStore;

  constructor(served: ServedStore) {
    this.#served = served;
  }

  async send(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = {
      ...(this.#served.target.cookie === undefined ? {} : { cookie: this.#served.target.cookie }),
      ...(method === 'POST'
        ? { 'x-csrf-token': this.#served.csrfToken, 'content-type': 'application/json' }
        : {}),
    };
    const response = await request(`${this.#served.target.baseUrl}${path}`, {
      method,
      dispatcher: this.#agent,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.statusCode, body: await response.body.text() };
  }

  /** The answer's body, or an error naming the request and its status. */
  async ok(method: 'GET' | 'POST', path: string, body?: unknown): Promise<string> {
    const answer = await this.send(method, path, body);
    if (answer.status < 200 || answer.status > 299)
      throw new Error(
        `${method} ${path} answered ${String(answer.status)}: ${answer.body.slice(0, 300)}`,
      );
    return answer.body;
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

/** Reads the server's CPU (Node process from `/proc`; PostgreSQL backends) around some work. */
class CpuMeter {
  readonly #pid: number;
  readonly #db: Db | undefined;

  constructor(pid: number, db: Db | undefined) {
    this.#pid = pid;
    this.#db = db;
  }

  /** Runs `work`, sampling PostgreSQL's backends every 200 ms meanwhile (a pool closes idle ones). */
  async around<T>(
    work: () => Promise<T>,
  ): Promise<{ value: T; wallMs: number; cpuMs: ServerCpuMs }> {
    const server = this.#db === undefined ? undefined : new ServerCpu(this.#db);
    await server?.sample();
    const total0 = processCpuSeconds(this.#pid) ?? Number.NaN;
    const main0 = mainThreadCpuSeconds(this.#pid) ?? Number.NaN;
    const running = { done: false };
    const sampling = (async () => {
      while (server !== undefined && !running.done) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        await server.sample();
      }
    })();
    const started = performance.now();
    let value: T;
    try {
      value = await work();
    } finally {
      running.done = true;
      await sampling;
    }
    const wallMs = performance.now() - started;
    await server?.sample();
    const total = ((processCpuSeconds(this.#pid) ?? Number.NaN) - total0) * 1000;
    const main = ((mainThreadCpuSeconds(this.#pid) ?? Number.NaN) - main0) * 1000;
    const seconds = server?.seconds() ?? null;
    const postgres = seconds === null ? null : seconds * 1000;
    if (!Number.isFinite(total) || !Number.isFinite(main))
      throw new Error(`the server's CPU time cannot be read from /proc/${String(this.#pid)}`);
    // Read a moment apart in 10 ms ticks: the process total is never less than its main thread.
    const node = Math.max(total, main);
    return {
      value,
      wallMs,
      cpuMs: { nodeMain: main, nodeOther: node - main, postgres, total: node + (postgres ?? 0) },
    };
  }
}

function perRequest(cpu: ServerCpuMs, n: number): ServerCpuMs {
  return {
    nodeMain: cpu.nodeMain / n,
    nodeOther: cpu.nodeOther / n,
    postgres: cpu.postgres === null ? null : cpu.postgres / n,
    total: cpu.total / n,
  };
}

function perSecond(count: number, ms: number): number {
  // /proc counts in 10 ms ticks: a step that used less than one shows as one.
  return count / (Math.max(ms, 10) / 1000);
}

function step(wallMs: number, cpuMs: ServerCpuMs, items: number): ReviewStepFigures {
  return {
    wallMs,
    cpuMs,
    items,
    itemsPerSec: perSecond(items, wallMs),
    itemsPerCpuSec: perSecond(items, cpuMs.total),
  };
}

async function measureCampaign(
  served: ServedStore,
  options: ReviewsBenchOptions,
): Promise<ReviewFigures> {
  const client = new Client(served);
  const pg = served.kind === 'postgres' ? openDatabase(served.databaseUrl) : undefined;
  const meter = new CpuMeter(served.serverPid, pg);
  const samples = options.pageSamples ?? 20;
  const warmup = options.pageWarmup ?? 2;
  const heavySamples = options.heavySamples ?? 3;

  /** `warmup` untimed runs, then `n` timed ones to the last byte, their CPU read around them all. */
  const sample = async (
    path: string,
    n: number,
    untimed: number,
    rows: (body: string) => number,
    method: 'GET' | 'POST' = 'GET',
    body?: unknown,
  ): Promise<ReviewRequestFigures> => {
    for (let i = 0; i < untimed; i++) await client.ok(method, path, body);
    const durations: number[] = [];
    let last = '';
    const { cpuMs } = await meter.around(async () => {
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        last = await client.ok(method, path, body);
        durations.push(performance.now() - t0);
      }
    });
    const cpu = perRequest(cpuMs, n);
    const count = rows(last);
    return {
      path,
      ...summarise(durations),
      rows: count,
      bytes: Buffer.byteLength(last),
      cpuMsPerRequest: cpu,
      rowsPerCpuSec: perSecond(count, cpu.total),
    };
  };

  try {
    const created = await meter.around(
      async () =>
        JSON.parse(
          await client.ok('POST', '/api/v1/reviews', {
            name: `Bench review of ${String(served.members)} members`,
            scope: { kind: 'entitlements', entitlementIds: [served.entitlementId] },
            reviewers: { kind: 'source_owner' },
            dueMs: nowMs() + 30 * DAY_MS,
          }),
        ) as Campaign,
    );
    const campaignId = created.value.id;
    const items = created.value.progress.total;
    if (items !== served.members)
      throw new Error(
        `the campaign holds ${String(items)} items, not one per member (${String(served.members)})`,
      );
    if (pg !== undefined)
      // As autovacuum does within a minute of 50k new rows: the planner then knows the items.
      await sql`analyze`.execute(pg);

    const base = `/api/v1/reviews/${campaignId}`;
    const listed = (text: string): number => (JSON.parse(text) as ReviewItemList).items.length;
    const firstPage = await sample(`${base}/items?limit=${String(PAGE)}`, samples, warmup, listed);

    // Half-way in as a user gets there: following `next`, 1,000 items at a time (untimed).
    const half = Math.floor(items / 2);
    let cursor: string | null = null;
    let offset = 0;
    while (offset + 1000 <= half) {
      const page: ReviewItemList = JSON.parse(
        await client.ok(
          'GET',
          `${base}/items?limit=1000${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
        ),
      ) as ReviewItemList;
      if (page.next === null) break;
      cursor = page.next;
      offset += page.items.length;
    }
    const deepPath = `${base}/items?limit=${String(PAGE)}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const deepPage = { ...(await sample(deepPath, samples, warmup, listed)), offset };

    const filteredPath = `${base}/items?decision=undecided&inactiveForDays=30&sort=lastActivity&order=desc&limit=${String(PAGE)}`;
    const filtered = await sample(filteredPath, samples, warmup, listed);
    const filteredTotal = (JSON.parse(await client.ok('GET', filteredPath)) as ReviewItemList)
      .total;

    const decided = await meter.around(
      async () =>
        JSON.parse(
          await client.ok('POST', `${base}/decisions`, { select: {}, decision: 'revoke' }),
        ) as DecisionsResult,
    );
    if (decided.value.decided !== items)
      throw new Error(
        `the bulk decision decided ${String(decided.value.decided)} of ${String(items)} items`,
      );

    const campaign = await sample(base, samples, warmup, (text) => {
      const progress = (JSON.parse(text) as Campaign).progress;
      if (progress.decided !== items || progress.revoke !== items)
        throw new Error(
          `the campaign shows ${String(progress.decided)} of ${String(items)} decided`,
        );
      return 1;
    });

    const signedOff = await meter.around(
      async () => JSON.parse(await client.ok('POST', `${base}/sign-off`, {})) as Campaign,
    );
    if (signedOff.value.state === 'open' || signedOff.value.remediation.mode !== 'duo')
      throw new Error(
        `after sign-off the campaign is ${signedOff.value.state}, remediation mode ${String(signedOff.value.remediation.mode)}`,
      );

    const csvRows = (text: string): number => text.split('\r\n').length - 2;
    const evidenceCsv = await sample(`${base}/evidence?format=csv`, heavySamples, 1, csvRows);
    if (evidenceCsv.rows !== items)
      throw new Error(
        `the evidence CSV holds ${String(evidenceCsv.rows)} rows of ${String(items)}`,
      );

    const dryRun = await sample(
      `${base}/remediate`,
      heavySamples,
      1,
      (text) => {
        const changes = (JSON.parse(text) as RemediationAnswer).changes;
        if (changes.length !== items || changes.some((c) => c.action !== 'remove_from_group'))
          throw new Error(
            `the dry run lists ${String(changes.length)} changes for ${String(items)} revocations`,
          );
        return changes.length;
      },
      'POST',
      { dryRun: true },
    );

    return {
      members: served.members,
      events: served.events,
      items,
      create: step(created.wallMs, created.cpuMs, items),
      firstPage,
      deepPage,
      filteredPage: { ...filtered, total: filteredTotal },
      decideAll: step(decided.wallMs, decided.cpuMs, decided.value.decided),
      campaign,
      signOff: step(signedOff.wallMs, signedOff.cpuMs, items),
      evidenceCsv,
      dryRun,
    };
  } finally {
    await client.close();
    await pg?.destroy();
  }
}
