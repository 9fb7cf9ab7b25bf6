/**
 * Time units are branded so that seconds and milliseconds cannot be mixed up: Duo's v1 logs
 * speak seconds, its v2 logs milliseconds, and peers have lost data multiplying by 1000 twice.
 *
 * @example const ms = secondsToMs(seconds(1579878582)); // 1579878582000 as EpochMs
 */
declare const msBrand: unique symbol;
declare const secBrand: unique symbol;

/** Milliseconds since the Unix epoch. */
export type EpochMs = number & { readonly [msBrand]: 'EpochMs' };
/** Whole seconds since the Unix epoch. */
export type EpochSec = number & { readonly [secBrand]: 'EpochSec' };

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export function ms(value: number): EpochMs {
  if (!Number.isSafeInteger(value))
    throw new RangeError(`not a whole number of milliseconds: ${value}`);
  return value as EpochMs;
}

export function seconds(value: number): EpochSec {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not a whole number of seconds: ${value}`);
  return value as EpochSec;
}

export function secondsToMs(value: EpochSec): EpochMs {
  return (value * 1000) as EpochMs;
}

/** Rounds down: the second that contains the instant. */
export function msToSeconds(value: EpochMs): EpochSec {
  return Math.floor(value / 1000) as EpochSec;
}

export function addMs(value: EpochMs, delta: number): EpochMs {
  return ms(value + delta);
}

export function nowMs(clock: () => number = Date.now): EpochMs {
  return ms(Math.floor(clock()));
}

export function isoFromMs(value: EpochMs): string {
  return new Date(value).toISOString();
}

/**
 * Parses Duo's ISO timestamps (`2020-02-13T18:56:20.351346+00:00`, with or without a fraction)
 * to milliseconds, truncating microseconds the way Duo's own `next_offset` does.
 */
export function parseIsoMs(text: string): EpochMs | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(
    text,
  );
  if (!match) return undefined;
  const [, base, fraction = '', zone = 'Z'] = match;
  const whole = Date.parse(`${base ?? ''}${zone === 'Z' ? 'Z' : normaliseZone(zone)}`);
  if (Number.isNaN(whole)) return undefined;
  const millis = Number((fraction + '000').slice(0, 3));
  return ms(whole + millis);
}

function normaliseZone(zone: string): string {
  return zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
}
