/**
 * The daily activity chart: one bar per day for the last 90 days, stacked by result (success,
 * denied, fraud), drawn with uPlot. A text summary beside it serves screen readers.
 */
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import { dayStartMs, resultBucket, type DailyCount, type ResultBucket } from './api';

const DAY = 86_400_000;
const BUCKETS: readonly ResultBucket[] = ['success', 'denied', 'fraud'];
const LABELS: Record<ResultBucket, string> = {
  success: 'Success',
  denied: 'Denied or error',
  fraud: 'Fraud',
};
const COLORS: Record<ResultBucket, string> = {
  success: '#2f9e6b',
  denied: '#e0a23b',
  fraud: '#d64545',
};

export interface DailySeries {
  readonly days: number[];
  readonly counts: Record<ResultBucket, number[]>;
  readonly totals: Record<ResultBucket, number>;
}

/** Folds the API's cells into one row per day of the last `span` days (UTC), oldest first. */
export function dailySeries(
  daily: readonly DailyCount[],
  span = 90,
  now = Date.now(),
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
    const index = Math.floor(dayStartMs(cell.day) / DAY) - firstDay;
    if (index < 0 || index >= span) continue;
    const bucket = resultBucket(cell.result);
    const row = counts[bucket];
    row[index] = (row[index] ?? 0) + cell.count;
    totals[bucket] += cell.count;
  }
  return { days, counts, totals };
}

/** uPlot passes null (typed as number) while the cursor is off the chart. */
function dayLabel(seconds: unknown): string {
  return typeof seconds === 'number' ? new Date(seconds * 1000).toISOString().slice(0, 10) : '—';
}

export function ActivityChart({ daily }: { daily: readonly DailyCount[] }) {
  const series = useMemo(() => dailySeries(daily), [daily]);
  const box = useRef<HTMLDivElement>(null);

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
    ];
    const bars = uPlot.paths.bars?.({ size: [0.8, 14], align: 0 });
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
          { stroke: '#5b6675', grid: { show: false }, ticks: { show: false } },
          { stroke: '#5b6675', grid: { stroke: '#e6e9ee' }, ticks: { show: false }, size: 44 },
        ],
        series: [
          {
            label: 'Day',
            value: (_u, v) => dayLabel(v),
          },
          ...order.map((bucket) => ({
            label: LABELS[bucket],
            fill: COLORS[bucket],
            stroke: COLORS[bucket],
            width: 0,
            ...(bars ? { paths: bars } : {}),
            points: { show: false },
            value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) =>
              idx === null ? '—' : String(series.counts[bucket][idx] ?? 0),
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
  }, [series]);

  const total = series.totals.success + series.totals.denied + series.totals.fraud;
  return (
    <figure className="chart" aria-label="Daily activity, last 90 days, stacked by result">
      <div ref={box} className="chart-canvas" data-testid="activity-chart" aria-hidden="true" />
      <figcaption className="visually-hidden">
        Last 90 days: {total} events, {series.totals.success} successful, {series.totals.denied}{' '}
        denied, {series.totals.fraud} reported as fraud.
      </figcaption>
    </figure>
  );
}
