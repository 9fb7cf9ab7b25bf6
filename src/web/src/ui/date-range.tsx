/**
 * A date range kept in the page's URL query (so it survives a reload and can be shared): a
 * preset (`range=7d`, `30d`, `90d`: today and the N - 1 days before) or days chosen by hand
 * (`from=2026-11-01&to=2026-11-30`, both days included, in the browser's time zone).
 *
 * @example const range = useDateRange(); … <DateRangePicker range={range} /> … listActivity(api, id, { ...range.window });
 */
import { useRoute, navigate } from './router';
import { SelectField, TextField } from './components';
import './date-range.css';

export const DATE_RANGE_PRESETS = [
  ['7d', 'Last 7 days', 7],
  ['30d', 'Last 30 days', 30],
  ['90d', 'Last 90 days', 90],
] as const;

/** From (included) and to (excluded), epoch ms; absent: open that side. */
export interface TimeWindow {
  readonly from?: number;
  readonly to?: number;
}

export interface DateRange {
  /** A preset's key, `custom`, or '' (all time). */
  readonly preset: string;
  readonly from: string;
  readonly to: string;
  /** What is wrong with the days typed, or undefined. */
  readonly error: string | undefined;
  /** The range as epoch ms for the API (empty while `error`). */
  readonly window: TimeWindow;
  /** Changes the URL query (other parameters kept). */
  set(next: { preset: string; from?: string; to?: string }): void;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Midnight at the start of a `YYYY-MM-DD` day, local time; undefined if it is no day. */
function startOfDay(day: string): number | undefined {
  if (!DAY.test(day)) return undefined;
  const [y = 0, m = 0, d = 0] = day.split('-').map(Number);
  const date = new Date(y, m - 1, d);
  return date.getFullYear() === y && date.getMonth() === m - 1 && date.getDate() === d
    ? date.getTime()
    : undefined;
}

/** Midnight, local time, `days` days before the day of `now`. */
function daysBefore(now: number, days: number): number {
  const date = new Date(now);
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() - days).getTime();
}

function nextDay(ms: number): number {
  const date = new Date(ms);
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + 1).getTime();
}

export function useDateRange(now: () => number = Date.now): DateRange {
  const route = useRoute();
  const query = route.query;
  const from = query.get('from') ?? '';
  const to = query.get('to') ?? '';
  const named = query.get('range') ?? '';
  const preset = DATE_RANGE_PRESETS.some(([key]) => key === named)
    ? named
    : from || to
      ? 'custom'
      : '';

  let error: string | undefined;
  let window: TimeWindow = {};
  const days = DATE_RANGE_PRESETS.find(([key]) => key === preset)?.[2];
  // From midnight N - 1 days ago: today and the days before it, the same all day long.
  if (days !== undefined) window = { from: daysBefore(now(), days - 1) };
  else if (preset === 'custom') {
    const fromMs = from ? startOfDay(from) : undefined;
    const toMs = to ? startOfDay(to) : undefined;
    if (from && fromMs === undefined) error = `From “${from}” is not a day (YYYY-MM-DD)`;
    else if (to && toMs === undefined) error = `To “${to}” is not a day (YYYY-MM-DD)`;
    else if (fromMs !== undefined && toMs !== undefined && fromMs > toMs)
      error = 'From must be on or before To';
    else
      window = {
        ...(fromMs === undefined ? {} : { from: fromMs }),
        ...(toMs === undefined ? {} : { to: nextDay(toMs) }),
      };
  }

  return {
    preset,
    from,
    to,
    error,
    window,
    set(next) {
      const params = new URLSearchParams(query);
      for (const key of ['range', 'from', 'to']) params.delete(key);
      if (next.preset === 'custom') {
        if (next.from) params.set('from', next.from);
        if (next.to) params.set('to', next.to);
        // A custom range with no day yet is still custom: keep an empty `from`.
        if (!next.from && !next.to) params.set('from', '');
      } else if (next.preset) params.set('range', next.preset);
      const path = `/${route.segments.map(encodeURIComponent).join('/')}`;
      const search = params.toString();
      // Days typed into a custom range replace the entry: Back leaves the range, not each keystroke.
      const editing = preset === 'custom' && next.preset === 'custom';
      navigate(search ? `${path}?${search}` : path, { replace: editing });
    },
  };
}

/** Today as `YYYY-MM-DD`, local time. */
function today(now: number): string {
  const d = new Date(now);
  return `${String(d.getFullYear())}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function DateRangePicker({
  range,
  label = 'Time range',
}: {
  range: DateRange;
  label?: string;
}) {
  return (
    <div className="date-range" role="group" aria-label="Date range">
      <SelectField
        label={label}
        value={range.preset}
        onChange={(preset) => {
          range.set(
            preset === 'custom'
              ? { preset, from: range.from, to: range.to || today(Date.now()) }
              : { preset },
          );
        }}
        options={[
          { value: '', label: 'All time' },
          ...DATE_RANGE_PRESETS.map(([value, text]) => ({ value, label: text })),
          { value: 'custom', label: 'Custom range' },
        ]}
      />
      {range.preset === 'custom' && (
        <>
          <TextField
            label="From"
            type="date"
            value={range.from}
            max={range.to || undefined}
            onChange={(from) => {
              range.set({ preset: 'custom', from, to: range.to });
            }}
            error={range.error?.startsWith('From') ? range.error : undefined}
          />
          <TextField
            label="To"
            type="date"
            value={range.to}
            min={range.from || undefined}
            onChange={(to) => {
              range.set({ preset: 'custom', from: range.from, to });
            }}
            error={range.error?.startsWith('To') ? range.error : undefined}
          />
        </>
      )}
    </div>
  );
}
