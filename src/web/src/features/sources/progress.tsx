/**
 * Progress of long runs and backfills. The runner owns the shape of `progress`, so this reads
 * the common forms (a share 0–1, a percent, done/total) and falls back to the counts.
 */
import { isRecord } from '../../api/client';
import { Meter } from '../../ui/components';
import { formatDate, formatNumber } from '../../ui/format';
import type { Run } from './api';

/** A share from 0 to 1 found in a progress value, if there is one. */
export function shareOf(progress: unknown): number | undefined {
  if (typeof progress === 'number') return progress > 1 ? progress / 100 : progress;
  if (!isRecord(progress)) return undefined;
  for (const key of ['share', 'fraction', 'ratio']) {
    const value = progress[key];
    if (typeof value === 'number') return value;
  }
  const percent = progress['percent'];
  if (typeof percent === 'number') return percent / 100;
  const done = progress['done'] ?? progress['processed'];
  const total = progress['total'];
  if (typeof done === 'number' && typeof total === 'number' && total > 0) return done / total;
  return undefined;
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
  for (const [key, value] of Object.entries(run.counts ?? {})) {
    if (typeof value === 'number') other.push([key, value]);
    else if (isRecord(value)) {
      events += num(value['eventsNew']) + num(value['eventsUpdated']);
      pages += num(value['pages']);
      rateLimited += num(value['rateLimited']);
    }
  }
  return { events, pages, rateLimited, other };
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

const AGGREGATION_COUNTS: readonly [string, string, boolean][] = [
  ['accounts', 'accounts', true],
  ['entitlements', 'groups', true],
  ['accountsNew', 'new', false],
  ['accountsDeleted', 'deleted', false],
  ['entitlementsDeleted', 'groups deleted', false],
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
  const share = shareOf(run.progress);
  const totals = runTotals(run);
  const summary =
    run.kind === 'sync'
      ? `${formatNumber(totals.events)} events · ${formatNumber(totals.pages)} pages${totals.rateLimited ? ` · ${formatNumber(totals.rateLimited)} × 429` : ''}`
      : aggregationSummary(totals.other);
  return (
    <div className="run-progress">
      {share !== undefined && (run.status === 'running' || run.status === 'queued') && (
        <Meter value={share} label={`${run.kind} progress`} />
      )}
      <span className="muted small">{summary || '—'}</span>
    </div>
  );
}

export function BackfillProgress({ backfill }: { backfill: unknown }) {
  if (backfill === null || backfill === undefined) return <span className="muted">—</span>;
  const share = shareOf(backfill);
  if (share !== undefined) {
    return (
      <span className="inline-facts">
        <Meter value={share} label="Backfill progress" />
        <span className="small">{Math.round(share * 100)} %</span>
      </span>
    );
  }
  if (isRecord(backfill)) {
    const from = backfill['from'];
    const down = backfill['doneDownTo'];
    if (typeof from === 'number' && typeof down === 'number') {
      return down <= from ? (
        <span>Done</span>
      ) : (
        <span className="small">
          down to {formatDate(down)} of {formatDate(from)}
        </span>
      );
    }
    if (backfill['done'] === true || backfill['complete'] === true) return <span>Done</span>;
  }
  return <span className="muted">—</span>;
}
