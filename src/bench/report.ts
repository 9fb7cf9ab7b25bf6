/**
 * The benchmark's result file and its verdict: every performance target that `npm run bench`
 * measures, beside its target, and the table printed at the end of a run.
 *
 * @example const checks = checkTargets(results); process.stdout.write(formatTable(results, checks));
 */
import type { DatabaseKind } from '../store/dialect.js';
import type { RequestFigures } from './requests.js';
import type { LatencyFigures, ReportFigures, ReportTiming } from './latency.js';
import type { InsightLatency, InsightsFigures } from './insights.js';
import type {
  ReviewFigures,
  ReviewRequestFigures,
  ReviewStepFigures,
  ServerCpuMs,
} from './reviews.js';

export interface IngestFigures {
  /** Authentication events stored by a sync of the authentication stream alone. */
  readonly authEvents: number;
  readonly authSeconds: number;
  readonly authEventsPerSec: number;
  /** CPU time of the syncing process (user + system) during that sync. */
  readonly authCpuSeconds: number;
  /** `authEvents / authCpuSeconds`: the rate one fully busy core would reach. */
  readonly authEventsPerCpuSec: number;
  /** Events of every stream stored by a sync of all streams (a fresh database). */
  readonly totalEvents: number;
  readonly totalSeconds: number;
  readonly totalEventsPerSec: number;
  /** Peak RSS of the syncing process, the larger of the two syncs. */
  readonly peakRssMb: number;
}

export interface StorageFigures {
  readonly events: number;
  /** `activity_events`, its rollups and `strings` with their indexes, per event. */
  readonly bytesPerEvent: number;
  /** The JSON of each record as Duo sends it, per event. */
  readonly rawJsonBytesPerEvent: number;
  /** `bytesPerEvent / rawJsonBytesPerEvent`. */
  readonly ratio: number;
  readonly activityBytes: number;
}

export interface CatchUpFigures {
  readonly family: string;
  /** The scaled-down limit, on the simulator and the client governor alike. */
  readonly perMinute: number;
  readonly burst: number;
  /** The burst the client governor was told (same `perMinute`). */
  readonly clientBurst: number;
  /** `perMinute / 60 × 1000` events (a full page per allowed request). */
  readonly ceilingEventsPerSec: number;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSec: number;
  /** `eventsPerSec / ceilingEventsPerSec`. */
  readonly efficiency: number;
  /** Requests to the family's endpoint, from the simulator's request log. */
  readonly requests: number;
  readonly rateLimited: number;
  readonly rateLimitedShare: number;
  /** Which requests were answered 429, and when (seconds after the first request). */
  readonly rateLimitedAt: readonly { readonly request: number; readonly second: number }[];
}

export interface BenchResults {
  readonly name: string;
  readonly at: string;
  readonly git: string;
  readonly node: string;
  readonly cpus: number;
  readonly quick: boolean;
  readonly options: {
    readonly events: number;
    readonly catchUpEvents: number;
    readonly users: number;
    readonly latencyMembers?: number;
    readonly databases: readonly DatabaseKind[];
  };
  readonly ingest: Partial<Record<DatabaseKind, IngestFigures>>;
  readonly memory: { readonly peakRssMb: number; readonly whileSyncingEvents: number };
  readonly storage: Partial<Record<DatabaseKind, StorageFigures>>;
  /** Identity insights on the all-streams store (absent in result files older than it). */
  readonly insights?: Partial<Record<DatabaseKind, InsightsFigures>>;
  readonly catchUp: CatchUpFigures;
  /** Duo log requests per 1,000 events stored, and a quiet stream's 30-day backfill. */
  readonly requests: RequestFigures;
  /** Small requests while an access-review CSV export runs (absent in older result files). */
  readonly latency?: LatencyFigures;
  /** The reports of that Duo group over HTTP, per database (absent in older result files). */
  readonly reports?: Partial<Record<DatabaseKind, ReportFigures>>;
  readonly checks: readonly Check[];
}

export interface Check {
  readonly figure: string;
  readonly measured: string;
  readonly target: string;
  /** Undefined for figures without a target (shown for information). */
  readonly pass: boolean | undefined;
}

/** The performance targets. */
export const TARGETS = {
  ingestEventsPerSec: { sqlite: 30_000, postgres: 20_000 } satisfies Record<DatabaseKind, number>,
  catchUpEfficiency: 0.95,
  rateLimitedShare: 0.01,
  peakRssMb: 256,
  peakRssAtEvents: 5_000_000,
  smallRequestP95Ms: 50,
  latencyExportRows: 50_000,
  reportMs: 1_000,
  reportMembers: 50_000,
  insightsP95Ms: 25,
} as const;

type Figures = Omit<BenchResults, 'checks'>;

export function checkTargets(results: Figures): Check[] {
  const checks: Check[] = [];
  for (const kind of results.options.databases) {
    const ingest = results.ingest[kind];
    if (!ingest) continue;
    const target = TARGETS.ingestEventsPerSec[kind];
    checks.push({
      figure: `ingest → ${kind}, authentication events/s`,
      measured: `${whole(ingest.authEventsPerSec)} (${whole(ingest.authEvents)} in ${secs(ingest.authSeconds)})`,
      target: `≥ ${whole(target)}`,
      pass: ingest.authEventsPerSec >= target,
    });
    checks.push({
      figure: `ingest → ${kind}, authentication events per CPU second of the syncing process`,
      measured: `${whole(ingest.authEventsPerCpuSec)} (CPU ${secs(ingest.authCpuSeconds)})`,
      target: '—',
      pass: undefined,
    });
    checks.push({
      figure: `ingest → ${kind}, all streams events/s`,
      measured: `${whole(ingest.totalEventsPerSec)} (${whole(ingest.totalEvents)} in ${secs(ingest.totalSeconds)})`,
      target: '—',
      pass: undefined,
    });
  }
  checks.push({
    figure: `peak RSS of the syncing process (${whole(results.memory.whileSyncingEvents)} events)`,
    measured: `${results.memory.peakRssMb.toFixed(0)} MB`,
    target: `≤ ${String(TARGETS.peakRssMb)} MB at ${whole(TARGETS.peakRssAtEvents)}`,
    pass: results.memory.peakRssMb <= TARGETS.peakRssMb,
  });
  for (const kind of results.options.databases) {
    const storage = results.storage[kind];
    if (!storage) continue;
    checks.push({
      figure: `storage on ${kind}, bytes/event (indexes included)`,
      measured: `${storage.bytesPerEvent.toFixed(0)} (${(storage.ratio * 100).toFixed(0)} % of raw JSON)`,
      target: `≤ raw JSON ${storage.rawJsonBytesPerEvent.toFixed(0)}`,
      pass: storage.bytesPerEvent <= storage.rawJsonBytesPerEvent,
    });
  }
  for (const kind of results.options.databases) {
    const insights = results.insights?.[kind];
    if (!insights) continue;
    const row = (group: string, figures: InsightLatency, events: number): Check => ({
      figure: `insights on ${kind}, ${group} (${whole(events)} events in 90 days), p50 / p95 / p99`,
      measured: `${millis(figures.p50)} / ${millis(figures.p95)} / ${millis(figures.p99)}`,
      target: `p95 ≤ ${String(TARGETS.insightsP95Ms)} ms`,
      pass: figures.p95 <= TARGETS.insightsP95Ms,
    });
    checks.push(
      row(
        `${String(insights.typicalIdentities)} typical identities`,
        insights.typical,
        insights.typicalMedianEvents,
      ),
      row(
        `the ${String(insights.heaviestIdentities)} heaviest identities`,
        insights.heaviest,
        insights.heaviestEvents,
      ),
      {
        figure: `insights on ${kind}, organisation average with a cold cache, p50 / max`,
        measured: `${millis(insights.organisationAverage.p50)} / ${millis(insights.organisationAverage.max)}`,
        target: '—',
        pass: undefined,
      },
    );
  }
  const c = results.catchUp;
  checks.push({
    figure: `catch-up efficiency (${c.family} ${String(c.perMinute)}/min)`,
    measured: `${percent(c.efficiency)} (${whole(c.eventsPerSec)} of ${whole(c.ceilingEventsPerSec)} events/s)`,
    target: `≥ ${percent(TARGETS.catchUpEfficiency)}`,
    pass: c.efficiency >= TARGETS.catchUpEfficiency,
  });
  checks.push({
    figure: 'catch-up requests answered 429',
    measured: `${percent(c.rateLimitedShare)} (${String(c.rateLimited)} of ${String(c.requests)})`,
    target: `≤ ${percent(TARGETS.rateLimitedShare)}`,
    pass: c.rateLimitedShare <= TARGETS.rateLimitedShare,
  });
  const r = results.requests;
  const quietV2 = Math.max(
    r.quiet.backfillRequests.authentication,
    r.quiet.backfillRequests.telephony,
    r.quiet.backfillRequests.activity,
  );
  checks.push({
    figure: "requests for a quiet v2 stream's 30-day backfill",
    measured: String(quietV2),
    target: '1',
    pass: quietV2 <= 1,
  });
  for (const [label, cost] of [
    ['first sync', r.busy.firstSync],
    ["next day's sync (72 h re-read)", r.busy.nextDay],
  ] as const) {
    checks.push({
      figure: `Duo log requests per 1,000 events stored, ${label}`,
      measured: `${cost.requestsPer1000Events.toFixed(2)} (${whole(cost.totalRequests)} for ${whole(cost.totalEvents)})`,
      target: '—',
      pass: undefined,
    });
  }
  if (results.latency) checks.push(latencyCheck(results.latency));
  checks.push(...reportChecks(results.options.databases, results.reports ?? {}));
  return checks;
}

/** Small requests while the access review of the latency bench's group exports as CSV. */
export function latencyCheck(l: LatencyFigures): Check {
  return {
    figure: `p95 of small requests (health, insights) while a ${whole(l.exportRows)}-row access-review CSV export runs`,
    measured: `${l.p95.toFixed(1)} ms (p50 ${l.p50.toFixed(1)}, p99 ${l.p99.toFixed(1)}; ${whole(l.requests)} requests; export ${secs(l.exportMs / 1000)}; idle p95 ${l.idle.p95.toFixed(1)})`,
    target: `≤ ${String(TARGETS.smallRequestP95Ms)} ms at ${whole(TARGETS.latencyExportRows)} rows`,
    pass: l.p95 <= TARGETS.smallRequestP95Ms,
  };
}

/** A table of checks under a few lines of heading. */
export function formatChecks(heading: readonly string[], checks: readonly Check[]): string {
  return tableOf(heading, checks);
}

/**
 * The reports of the latency bench's Duo group beside their target (≤ 1 s at 50k members, on
 * the p95: a user waits for every answer, not the median one).
 */
export function reportChecks(
  databases: readonly DatabaseKind[],
  reports: Partial<Record<DatabaseKind, ReportFigures>>,
): Check[] {
  const checks: Check[] = [];
  for (const kind of databases) {
    const r = reports[kind];
    if (!r) continue;
    const row = (what: string, t: ReportTiming): Check => ({
      figure: `${what} on ${kind} over HTTP (${whole(t.rows)} rows, ${(t.bytes / 2 ** 20).toFixed(1)} MB), p50 / p95`,
      measured: `${millis(t.p50Ms)} / ${millis(t.p95Ms)} (${String(t.samples)} samples)`,
      target: `p95 ≤ ${whole(TARGETS.reportMs)} ms at ${whole(TARGETS.reportMembers)} members`,
      pass: t.p95Ms <= TARGETS.reportMs,
    });
    const group = `access review of a ${whole(r.members)}-member group`;
    checks.push(
      row(`${group}, JSON`, r.accessReviewJson),
      row(`${group}, CSV`, r.accessReviewCsv),
      row('dormant accounts (90 days), JSON', r.dormantJson),
      row('dormant accounts (90 days), CSV', r.dormantCsv),
    );
  }
  return checks;
}

/**
 * An access-review campaign over the latency bench's Duo group, per database: the campaign
 * screen's reads (item pages, the campaign, the evidence CSV, the remediation's dry run) against
 * the reports' target (p95 ≤ 1 s at 50k members); the changes made once (create, decide every
 * item, sign off) with their time and CPU, for information. CPU is the server's: Node's main
 * thread + its other threads (+ PostgreSQL's backends), so a figure on a shared machine can be
 * read as what one free core needs.
 */
export function reviewChecks(
  databases: readonly DatabaseKind[],
  reviews: Partial<Record<DatabaseKind, ReviewFigures>>,
): Check[] {
  const checks: Check[] = [];
  for (const kind of databases) {
    const r = reviews[kind];
    if (!r) continue;
    const where = `review campaign of ${whole(r.items)} items on ${kind}`;
    const once = (what: string, s: ReviewStepFigures): Check => ({
      figure: `${where}: ${what}, wall / server CPU`,
      measured: `${s.wallMs >= 1000 ? secs(s.wallMs / 1000) : ms(s.wallMs)} / ${cpuText(s.cpuMs)} (${whole(s.itemsPerCpuSec)} items per CPU second)`,
      target: '—',
      pass: undefined,
    });
    const read = (what: string, t: ReviewRequestFigures): Check => ({
      figure: `${where}: ${what} (${whole(t.rows)} rows, ${kb(t.bytes)}), p50 / p95`,
      measured: `${millis(t.p50Ms)} / ${millis(t.p95Ms)} (${String(t.samples)} samples; CPU per request ${cpuText(t.cpuMsPerRequest)})`,
      target: `p95 ≤ ${whole(TARGETS.reportMs)} ms at ${whole(TARGETS.reportMembers)} members`,
      pass: t.p95Ms <= TARGETS.reportMs,
    });
    checks.push(
      once('create', r.create),
      read('first page of items', r.firstPage),
      read(`page of items at ${whole(r.deepPage.offset)}`, r.deepPage),
      read(
        `undecided, inactive 30 days, by last activity (${whole(r.filteredPage.total)} match)`,
        r.filteredPage,
      ),
      once('revoke every item (one select)', r.decideAll),
      read('the campaign with its progress', r.campaign),
      once('sign-off', r.signOff),
      read('evidence CSV', r.evidenceCsv),
      read('remediation dry run', r.dryRun),
    );
  }
  return checks;
}

function cpuText(cpu: ServerCpuMs): string {
  const postgres = cpu.postgres === null ? '' : ` + PostgreSQL ${ms(cpu.postgres)}`;
  return `${ms(cpu.total)} (Node main ${ms(cpu.nodeMain)} + other ${ms(cpu.nodeOther)}${postgres})`;
}

export function formatTable(results: BenchResults): string {
  return tableOf(
    [
      `duo-insights bench ${results.name}${results.quick ? ' (quick: a smoke run, not a measurement)' : ''}`,
      `node ${results.node}, ${String(results.cpus)} CPUs; simulator on loopback in the parent process, each sync in a child process`,
      `catch-up under a scaled-down limit (Duo's is 2/min burst 2): ${results.catchUp.family} ${String(results.catchUp.perMinute)}/min burst ${String(results.catchUp.burst)} on the simulator, ${String(results.catchUp.perMinute)}/min burst ${String(results.catchUp.clientBurst)} told to the client governor`,
    ],
    results.checks,
  );
}

function whole(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function secs(n: number): string {
  return `${n.toFixed(1)} s`;
}

function millis(n: number): string {
  return `${n.toFixed(1)} ms`;
}

function percent(n: number): string {
  return `${(n * 100).toFixed(1)} %`;
}

// ---- the scale benchmark (`npm run bench -- --scale 1m`) -------------------------------------

/** A target on a figure: its p95 for a latency, its value otherwise. */
export interface Target {
  readonly op: '<=' | '>=';
  readonly value: number;
}

/** How a query was reached: a store function, a core use case, or the HTTP API of a real server. */
export type QueryPath = 'store' | 'core' | 'http';

/** One query's latency over many samples (after a warm-up). */
export interface LatencyFigure {
  readonly kind: 'latency';
  /** Stable key, e.g. `insights.heavy`, `timeline.deep.typical.http`. */
  readonly id: string;
  /** What a user does, e.g. "insights of the ten heaviest identities". */
  readonly label: string;
  readonly via: QueryPath;
  readonly samples: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly maxMs: number;
  /** Rows of the last answer (events, members, accounts, actions) and its size where known. */
  readonly rows: number;
  readonly bytes?: number;
  /** On the p95. */
  readonly target?: Target;
}

/** One measured quantity (ingest rate, RSS, bytes per event, …). */
export interface ValueFigure {
  readonly kind: 'value';
  readonly id: string;
  readonly label: string;
  readonly value: number;
  /** e.g. `events/CPU-s`, `MB`, `bytes`, `ms`. */
  readonly unit: string;
  readonly target?: Target;
  /** How it was measured, or why it could not be. */
  readonly note?: string;
}

export type ScaleFigure = LatencyFigure | ValueFigure;

/** The tenant a scale store holds: 50k Duo users over 180 days at 10 M, proportionally less below. */
export interface ScalePlan {
  /** Authentication events wanted (the size asked for: `1m` = 1,000,000). */
  readonly events: number;
  readonly users: number;
  readonly days: number;
  readonly authEventsPerDay: number;
  readonly seed: string;
}

export interface ScaleStoreFacts {
  /** Built by an earlier run and kept (`--keep`): its ingest figures are that run's. */
  readonly reused: boolean;
  /** Finished from where an interrupted build had stopped: ingest figures cover this run's part. */
  readonly resumed: boolean;
  /** Events stored, every stream. */
  readonly events: number;
  readonly accounts: number;
  readonly identities: number;
  readonly builtAt: string;
}

/** One size on one database: how the store came to be and every figure measured on it. */
export interface ScaleRun {
  readonly size: string;
  readonly database: DatabaseKind;
  readonly plan: ScalePlan;
  readonly store: ScaleStoreFacts;
  readonly figures: readonly ScaleFigure[];
  /** Measurement modules that failed, with their error (the others still ran). */
  readonly failures: readonly { readonly module: string; readonly error: string }[];
}

export interface ScaleResults {
  readonly name: string;
  readonly at: string;
  readonly git: string;
  readonly node: string;
  readonly cpus: number;
  /** 1, 5 and 15 minute load averages at the start: the machine may be shared. */
  readonly loadAverage: readonly number[];
  readonly quick: boolean;
  readonly options: {
    readonly sizes: readonly string[];
    readonly databases: readonly DatabaseKind[];
    readonly samples: number;
    readonly warmup: number;
    readonly budgetMs: number;
    readonly keep: string | null;
  };
  readonly runs: readonly ScaleRun[];
  readonly checks: readonly Check[];
}

/**
 * The scale targets, per figure id: latencies on their p95. A figure whose id starts with a key
 * here gets that target unless its module set one.
 */
export const SCALE_TARGETS: readonly { readonly prefix: string; readonly target: Target }[] = [
  { prefix: 'insights.', target: { op: '<=', value: 25 } },
  { prefix: 'timeline.', target: { op: '<=', value: 50 } },
  { prefix: 'search.', target: { op: '<=', value: 25 } },
  { prefix: 'report.', target: { op: '<=', value: 1000 } },
  { prefix: 'export.', target: { op: '<=', value: 1000 } },
  { prefix: 'during-export.', target: { op: '<=', value: 50 } },
];

/** Figures every full scale run should have; a missing one is shown as not measured. */
export const EXPECTED_SCALE_FIGURES: readonly {
  readonly prefix: string;
  readonly label: string;
}[] = [
  {
    prefix: 'during-export.',
    label: 'p95 of small requests while a 50 k-row export runs (src/bench/latency.ts)',
  },
];

export function targetOf(figure: ScaleFigure): Target | undefined {
  return figure.target ?? SCALE_TARGETS.find((t) => figure.id.startsWith(t.prefix))?.target;
}

export function checkScaleTargets(results: Omit<ScaleResults, 'checks'>): Check[] {
  const checks: Check[] = [];
  for (const run of results.runs) {
    const where = `${run.database}, ${run.size}`;
    for (const figure of run.figures) {
      const target = targetOf(figure);
      const measured =
        figure.kind === 'latency'
          ? `p50 ${ms(figure.p50Ms)} p95 ${ms(figure.p95Ms)} p99 ${ms(figure.p99Ms)} (${String(figure.samples)}×, ${whole(figure.rows)} rows${figure.bytes === undefined ? '' : `, ${kb(figure.bytes)}`})`
          : `${valueText(figure.value, figure.unit)}${figure.note === undefined ? '' : ` (${figure.note})`}`;
      const value = figure.kind === 'latency' ? figure.p95Ms : figure.value;
      checks.push({
        figure: `${figure.label}${figure.kind === 'latency' ? ` [${figure.via}]` : ''} (${where})`,
        measured,
        target:
          target === undefined
            ? '—'
            : `${figure.kind === 'latency' ? 'p95 ' : ''}${target.op === '<=' ? '≤' : '≥'} ${valueText(target.value, figure.kind === 'latency' ? 'ms' : figure.unit)}`,
        pass:
          target === undefined
            ? undefined
            : target.op === '<='
              ? value <= target.value
              : value >= target.value,
      });
    }
    for (const expected of EXPECTED_SCALE_FIGURES)
      if (!run.figures.some((f) => f.id.startsWith(expected.prefix)))
        checks.push({
          figure: `${expected.label} (${where})`,
          measured: 'not measured',
          target: targetText(SCALE_TARGETS.find((t) => t.prefix === expected.prefix)?.target),
          pass: undefined,
        });
    for (const failure of run.failures)
      checks.push({
        figure: `measurement ${failure.module} (${where})`,
        measured: `failed: ${failure.error}`,
        target: '—',
        pass: false,
      });
  }
  return checks;
}

export function formatScaleTable(results: ScaleResults): string {
  const head = [
    `duo-insights scale bench ${results.name}${results.quick ? ' (quick: a smoke run, not a measurement)' : ''}`,
    `node ${results.node}, ${String(results.cpus)} CPUs, load average ${results.loadAverage.map((l) => l.toFixed(2)).join(' ')} at the start (a shared machine slows every figure)`,
    `latencies: ${String(results.options.warmup)} warm-up runs, then up to ${String(results.options.samples)} samples or ${secs(results.options.budgetMs / 1000)} per query; [store]/[core]: the product's functions in this process, [http]: its HTTP API on a loopback port`,
    ...results.runs.map(
      (r) =>
        `${r.database} ${r.size}: ${whole(r.store.events)} events, ${whole(r.plan.users)} Duo users, ${whole(r.store.identities)} identities over ${String(r.plan.days)} days${r.store.reused ? ' (kept store reused: ingest figures are from its build)' : ''}${r.store.resumed ? ' (resumed build: ingest figures cover the resumed part)' : ''}`,
    ),
  ];
  return tableOf(head, results.checks);
}

function tableOf(head: readonly string[], checks: readonly Check[]): string {
  const rows = [
    ['figure', 'measured', 'target', ''],
    ...checks.map((c) => [
      c.figure,
      c.measured,
      c.target,
      c.pass === undefined ? '' : c.pass ? 'pass' : 'FAIL',
    ]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [...head, '', line(rows[0] ?? []), ...rows.slice(1).map(line), ''].join('\n');
}

function targetText(target: Target | undefined): string {
  return target === undefined ? '—' : `p95 ${target.op === '<=' ? '≤' : '≥'} ${ms(target.value)}`;
}

function valueText(value: number, unit: string): string {
  if (unit === 'ms') return ms(value);
  const text = Math.abs(value) >= 100 ? whole(value) : value.toFixed(1);
  return `${text} ${unit}`;
}

function ms(n: number): string {
  return n >= 100 ? `${whole(n)} ms` : `${n.toFixed(1)} ms`;
}

function kb(bytes: number): string {
  return bytes >= 2 ** 20
    ? `${(bytes / 2 ** 20).toFixed(1)} MB`
    : `${(bytes / 1024).toFixed(1)} KB`;
}
