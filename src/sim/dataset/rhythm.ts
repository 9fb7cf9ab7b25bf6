/**
 * The tenant's daily and weekly rhythm (business hours in UTC−5 carry most traffic) and the
 * per-minute count with a given mean.
 *
 * @example const n = countWithMean((perDay / 1440) * rhythm(minute), mix(key, minute));
 */
import { at, mix, unit } from './hash.js';

/** The tenant's local time is UTC−5: business hours carry most of the traffic. */
const LOCAL_OFFSET_MINUTES = -300;
const HOURLY_WEIGHTS = normalise([
  0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.5, 1.1, 1.8, 2.1, 2.0, 1.9, 1.6, 1.9, 2.0, 1.9, 1.6, 1.1, 0.7,
  0.5, 0.4, 0.35, 0.3, 0.2,
]);
/** Sunday first. */
const WEEKDAY_WEIGHTS = normalise([0.35, 1.2, 1.2, 1.2, 1.15, 1.05, 0.35]);

function normalise(weights: readonly number[]): readonly number[] {
  const mean = weights.reduce((sum, w) => sum + w, 0) / weights.length;
  return weights.map((w) => w / mean);
}

/** The rhythm's factor for a minute since the epoch; its mean over any whole week is 1. */
export function rhythm(minute: number): number {
  const local = minute + LOCAL_OFFSET_MINUTES;
  const day = Math.floor(local / 1440);
  const hour = Math.floor((local - day * 1440) / 60);
  const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  return at(HOURLY_WEIGHTS, hour) * at(WEEKDAY_WEIGHTS, weekday);
}

/** A count with the given mean: uniform jitter of ±50 %, then stochastic rounding. */
export function countWithMean(mean: number, h: number): number {
  if (mean <= 0) return 0;
  const x = mean * (0.5 + unit(mix(h, 1)));
  const whole = Math.floor(x);
  return whole + (unit(mix(h, 2)) < x - whole ? 1 : 0);
}
