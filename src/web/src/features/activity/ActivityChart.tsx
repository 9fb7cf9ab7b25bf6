/**
 * The daily activity chart: one bar per day for the last 90 days of authentications, stacked by
 * result (success, denied, fraud), and each other type of event (telephony, administrator,
 * offline enrollment, activity) as a line of its own, never stacked with the results: a
 * telephony event is not a denied authentication. Drawn with uPlot; the figures under it are
 * the same counts in words.
 */
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import { formatNumber } from '../../ui/format';
import { useTheme } from '../../ui/theme';
import {
  dayStartMs,
  resultBucket,
  type DailyCount,
  type DailyTypeCount,
  type ResultBucket,
} from './api';

const DAY = 86_400_000;
const BUCKETS: readonly ResultBucket[] = ['success', 'denied', 'fraud'];
const LABELS: Record<ResultBucket, string> = {
  success: 'Success',
  denied: 'Denied or error',
  fraud: 'Fraud',
};
/** Colours are styles.css variables, read for the theme showing (light or dark). */
const COLORS: Record<ResultBucket, string> = {
  success: '--success-color',
  denied: '--denied-color',
  fraud: '--fraud-color',
};

/** Other types, in the order the chart draws them, with their names. */
const TYPE_LABELS: Readonly<Record<string, string>> = {
  telephony: 'Telephony',
  administrator: 'Administrator actions',
  offline_enrollment: 'Offline enrollment',
  activity: 'Activity log',
  trust_monitor: 'Trust Monitor',
};
const TYPE_COLORS = ['--chart-1', '--chart-2', '--chart-3', '--chart-4'];

export interface DailySeries {
  readonly days: number[];
  readonly counts: Record<ResultBucket, number[]>;
  readonly totals: Record<ResultBucket, number>;
  /** Other event types per day, each apart from the authentication results. */
  readonly types: readonly { type: string; counts: number[]; total: number }[];
}

/** Folds the API's cells into one row per day of the last `span` days (UTC), oldest first. */
export function dailySeries(
  daily: readonly DailyCount[],
  span = 90,
  now = Date.now(),
  others: readonly DailyTypeCount[] = [],
): DailySeries {
  const lastDay = Math.floor(now / DAY);
  const firstDay = lastDay - span + 1;
  const days = Array.from({ length: span }, (_, i) => (firstDay + i) * DAY);
  const counts: Record<ResultBucket, number[]> = {
    success: new Array<number>(span).fill(0),
    denied: new Array<number>(span).fill(0),
    fraud: new Array<number>(span).fill(0),
  };
  const totals: Record<ResultBucket, number> = { success: 0, denied: 0, fraud: 0 };
  for (const cell of daily) {
    const index = Math.floor(dayStartMs(cell) / DAY) - firstDay;
    if (index < 0 || index >= span) continue;
    const bucket = resultBucket(cell.result);
    const row = counts[bucket];
    row[index] = (row[index] ?? 0) + cell.count;
    totals[bucket] += cell.count;
  }
  const byType = new Map<string, { type: string; counts: number[]; total: number }>();
  for (const cell of others) {
    const index = Math.floor(dayStartMs(cell) / DAY) - firstDay;
    if (index < 0 || index >= span) continue;
    const entry = byType.get(cell.type) ?? {
      type: cell.type,
      counts: new Array<number>(span).fill(0),
      total: 0,
    };
    entry.counts[index] = (entry.counts[index] ?? 0) + cell.count;
    entry.total += cell.count;
    byType.set(cell.type, entry);
  }
  const order = Object.keys(TYPE_LABELS);
  const types = [...byType.values()].sort(
    (a, b) => order.indexOf(a.type) - order.indexOf(b.type) || a.type.localeCompare(b.type),
  );
  return { days, counts, totals, types };
}

function typeLabel(type: string): string {
  return TYPE_LABELS[type] ?? type.replace(/_/g, ' ');
}

/** The chart's figures in words: authentications by result, then every other type. */
export function dailySummary(series: DailySeries): string {
  const { success, denied, fraud } = series.totals;
  const total = success + denied + fraud;
  const auth =
    `${formatNumber(total)} authentications: ${formatNumber(success)} successful, ` +
    `${formatNumber(denied)} denied or error, ${formatNumber(fraud)} reported as fraud`;
  const others = series.types.map(
    (t) => `${formatNumber(t.total)} ${typeLabel(t.type).toLowerCase()} events`,
  );
  return [auth, ...others].join('; ') + '.';
}

/** A colour variable as a canvas needs it: resolved, for the theme the element shows. */
function cssColor(element: HTMLElement, variable: string): string {
  const probe = document.createElement('span');
  probe.style.display = 'none';
  probe.style.color = `var(${variable})`;
  element.appendChild(probe);
  const color = getComputedStyle(probe).color;
  probe.remove();
  return color;
}

/** uPlot passes null (typed as number) while the cursor is off the chart. */
function dayLabel(seconds: unknown): string {
  return typeof seconds === 'number' ? new Date(seconds * 1000).toISOString().slice(0, 10) : '—';
}

export function ActivityChart({
  daily,
  others = [],
}: {
  daily: readonly DailyCount[];
  others?: readonly DailyTypeCount[];
}) {
  const series = useMemo(() => dailySeries(daily, 90, Date.now(), others), [daily, others]);
  const box = useRef<HTMLDivElement>(null);
  // Redrawn in the other theme's colours when the theme changes.
  const theme = useTheme();

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    // uPlot has no stacking: draw cumulative sums, tallest first, so each bar covers the one
    // above it; the legend shows each result's own count.
    const success = series.counts.success;
    const denied = series.counts.denied.map((v, i) => v + (success[i] ?? 0));
    const fraud = series.counts.fraud.map((v, i) => v + (denied[i] ?? 0));
    const stacked: Record<ResultBucket, number[]> = { success, denied, fraud };
    const order = [...BUCKETS].reverse();
    const data: uPlot.AlignedData = [
      series.days.map((d) => d / 1000),
      ...order.map((b) => stacked[b]),
      ...series.types.map((t) => t.counts),
    ];
    const bars = uPlot.paths.bars?.({ size: [0.8, 14], align: 0 });
    const axis = cssColor(element, '--text-2');
    const grid = cssColor(element, '--chart-grid');
    const plot = new uPlot(
      {
        width: Math.max(element.clientWidth, 280),
        height: 220,
        legend: { show: true, live: true },
        cursor: { points: { show: false } },
        scales: {
          x: { time: true },
          y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.1))] },
        },
        axes: [
          { stroke: axis, grid: { show: false }, ticks: { show: false } },
          { stroke: axis, grid: { stroke: grid }, ticks: { show: false }, size: 44 },
        ],
        series: [
          {
            label: 'Day',
            value: (_u, v) => dayLabel(v),
          },
          ...order.map((bucket) => ({
            label: LABELS[bucket],
            fill: cssColor(element, COLORS[bucket]),
            stroke: cssColor(element, COLORS[bucket]),
            width: 0,
            ...(bars ? { paths: bars } : {}),
            points: { show: false },
            value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) =>
              idx === null ? '—' : String(series.counts[bucket][idx] ?? 0),
          })),
          // Other types: lines of their own, not stacked on the authentication results.
          ...series.types.map((t, i) => ({
            label: typeLabel(t.type),
            stroke: cssColor(element, TYPE_COLORS[i % TYPE_COLORS.length] ?? '--chart-3'),
            width: 2,
            dash: [4, 3],
            points: { show: false },
            value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) =>
              idx === null ? '—' : String(t.counts[idx] ?? 0),
          })),
        ],
      },
      data,
      element,
    );
    const observer = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(element.clientWidth, 280), height: 220 });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [series, theme]);

  return (
    <figure
      className="chart"
      aria-label="Daily activity, last 90 days: authentications stacked by result, other types apart"
    >
      <div ref={box} className="chart-canvas" data-testid="activity-chart" aria-hidden="true" />
      <figcaption className="muted small" data-testid="activity-chart-summary">
        Last 90 days: {dailySummary(series)}
      </figcaption>
    </figure>
  );
}
