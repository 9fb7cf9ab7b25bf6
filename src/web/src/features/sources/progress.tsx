/**
 * Progress of long runs and backfills: the share done comes from the API (`progressShare` of a
 * run, `backfillProgress` of a stream, each 0–1 or null); the counts summarise what was read;
 * the time left is estimated from the pace so far.
 */
import { Meter } from '../../ui/components';
import { formatNumber, formatSpan } from '../../ui/format';
import { isRunActive, type Run } from './api';

/** Before this share and this time, a pace says too little to estimate from. */
export const ESTIMATE_AFTER = { share: 0.02, ms: 3000 } as const;

/**
 * The share of a run done, 0–1, or null when it cannot be told: the API's `progressShare`
 * (accounts seen of expected; history read back to the backfill's start), else — for a sync
 * that backfills nothing — its windows done of planned; 1 once it succeeded. A first sync's
 * windows are not used: its backfill would then start the bar again from its first day.
 */
export function runShare(run: Run): number | null {
  if (run.status === 'succeeded') return 1;
  if (run.progressShare !== null) return run.progressShare;
  const windows = run.stats.windows;
  if (run.stats.firstSync || !windows || windows.total === 0) return null;
  return windows.done / windows.total;
}

/**
 * The time left of a running run, in ms, from its pace so far: the time since it started times
 * the share still to do over the share done. Null (estimating) until enough is done to tell.
 */
export function estimateRemainingMs(run: Run, now: number): number | null {
  const share = runShare(run);
  if (!isRunActive(run) || share === null || run.startedAt === null) return null;
  const elapsed = now - run.startedAt;
  if (share < ESTIMATE_AFTER.share || elapsed < ESTIMATE_AFTER.ms) return null;
  if (share >= 1) return 0;
  return (elapsed * (1 - share)) / share;
}

/** "about 3 min", or "a few seconds" when less is left than `formatSpan` tells apart. */
export function formatTimeLeft(remainingMs: number): string {
  return remainingMs < 5000 ? 'a few seconds' : `about ${formatSpan(remainingMs)}`;
}

/** Events and pages of a run, summed over its streams. */
export function runTotals(run: Run): {
  events: number;
  pages: number;
  rateLimited: number;
  other: [string, number][];
} {
  let events = 0;
  let pages = 0;
  let rateLimited = 0;
  const other: [string, number][] = [];
  for (const [key, value] of Object.entries(run.counts)) {
    if (typeof value === 'number') other.push([key, value]);
    else {
      events += value.eventsNew + value.eventsUpdated;
      pages += value.pages;
      rateLimited += value.rateLimited;
    }
  }
  return { events, pages, rateLimited, other };
}

const AGGREGATION_COUNTS: readonly [string, string, boolean][] = [
  ['accounts', 'accounts', true],
  ['entitlements', 'entitlements', true],
  ['accountsNew', 'new', false],
  ['accountsDeleted', 'deleted', false],
  ['entitlementsDeleted', 'entitlements deleted', false],
  ['uncorrelated', 'not linked', false],
  ['rejected', 'rejected', false],
];

/** The counts an aggregation reports that people care about; zeros only where they inform. */
function aggregationSummary(counts: readonly [string, number][]): string {
  const byKey = new Map(counts);
  return AGGREGATION_COUNTS.flatMap(([key, label, always]) => {
    const value = byKey.get(key);
    return value === undefined || (!always && value === 0)
      ? []
      : [`${formatNumber(value)} ${label}`];
  }).join(' · ');
}

export function RunProgress({ run }: { run: Run }) {
  const share = run.progressShare;
  const totals = runTotals(run);
  const summary =
    run.kind === 'sync'
      ? `${formatNumber(totals.events)} events · ${formatNumber(totals.pages)} pages${totals.rateLimited ? ` · ${formatNumber(totals.rateLimited)} × 429` : ''}`
      : aggregationSummary(totals.other);
  return (
    <div className="run-progress">
      {share !== null && (run.status === 'running' || run.status === 'queued') && (
        <Meter value={share} label={`${run.kind} progress`} />
      )}
      <span className="muted small">{summary || '—'}</span>
    </div>
  );
}

export function BackfillProgress({ backfill }: { backfill: number | null }) {
  if (backfill === null) return <span className="muted">—</span>;
  if (backfill >= 1) return <span>Done</span>;
  return (
    <span className="inline-facts">
      <Meter value={backfill} label="Backfill progress" />
      <span className="small">{Math.round(backfill * 100)} %</span>
    </span>
  );
}
