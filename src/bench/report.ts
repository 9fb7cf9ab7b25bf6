/**
 * The benchmark's result file and its verdict: every performance target that `npm run bench`
 * measures, beside its target, and the table printed at the end of a run.
 *
 * @example const checks = checkTargets(results); process.stdout.write(formatTable(results, checks));
 */
import type { DatabaseKind } from '../store/dialect.js';
import type { InsightsFigures, LatencyFigures } from './insights.js';

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
    readonly databases: readonly DatabaseKind[];
  };
  readonly ingest: Partial<Record<DatabaseKind, IngestFigures>>;
  readonly memory: { readonly peakRssMb: number; readonly whileSyncingEvents: number };
  readonly storage: Partial<Record<DatabaseKind, StorageFigures>>;
  /** Identity insights on the all-streams store (absent in result files older than it). */
  readonly insights?: Partial<Record<DatabaseKind, InsightsFigures>>;
  readonly catchUp: CatchUpFigures;
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
    const row = (group: string, figures: LatencyFigures, events: number): Check => ({
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
  return checks;
}

export function formatTable(results: BenchResults): string {
  const rows = [
    ['figure', 'measured', 'target', ''],
    ...results.checks.map((c) => [
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
  return [
    `duo-insights bench ${results.name}${results.quick ? ' (quick: a smoke run, not a measurement)' : ''}`,
    `node ${results.node}, ${String(results.cpus)} CPUs; simulator on loopback in the parent process, each sync in a child process`,
    `catch-up under a scaled-down limit (Duo's is 2/min burst 2): ${results.catchUp.family} ${String(results.catchUp.perMinute)}/min burst ${String(results.catchUp.burst)} on the simulator, ${String(results.catchUp.perMinute)}/min burst ${String(results.catchUp.clientBurst)} told to the client governor`,
    '',
    line(rows[0] ?? []),
    ...rows.slice(1).map(line),
    '',
  ].join('\n');
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
