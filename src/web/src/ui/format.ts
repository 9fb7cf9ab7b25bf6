/**
 * How times, numbers and durations read in the console: relative for recent moments
 * ("5 min ago"), absolute with the local time zone in titles, thousands separated.
 *
 * @example formatAgo(Date.now() - 90_000) // "2 min ago"
 */

const numberFormat = new Intl.NumberFormat();
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'short',
});
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

export function formatNumber(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : numberFormat.format(value);
}

/** Accepts epoch milliseconds or an ISO string. */
export function toMs(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number') return value;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed;
}

export function formatDateTime(value: number | string | null | undefined): string {
  const ms = toMs(value);
  return ms === null ? '—' : dateTimeFormat.format(ms);
}

export function formatDate(value: number | string | null | undefined): string {
  const ms = toMs(value);
  return ms === null ? '—' : dateFormat.format(ms);
}

export function formatAgo(value: number | string | null | undefined, now = Date.now()): string {
  const ms = toMs(value);
  if (ms === null) return 'never';
  const delta = now - ms;
  const future = delta < 0;
  const text = formatSpan(Math.abs(delta));
  if (text === 'now') return 'just now';
  return future ? `in ${text}` : `${text} ago`;
}

/** A duration in words: "now", "45 s", "12 min", "3 h", "5 days". */
export function formatSpan(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 5) return 'now';
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.round(min / 60);
  if (h < 48) return `${h} h`;
  const days = Math.round(h / 24);
  return `${days} days`;
}

export function formatDuration(fromMs: number | null, toMsValue: number | null): string {
  if (fromMs === null || toMsValue === null) return '—';
  const ms = toMsValue - fromMs;
  if (ms < 1000) return `${Math.max(ms, 0)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return formatSpan(ms);
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatNumber(count)} ${count === 1 ? one : many}`;
}

/** "locked out" → "Locked out", "duo-activity" stays as given by `labels` when known. */
export function sentenceCase(text: string): string {
  const spaced = text.replace(/[_-]+/g, ' ').trim();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
