/**
 * Hashing and small arithmetic the whole tenant is derived from: a 32-bit mix of two values,
 * hash → fraction, hash → table entry, UUID-shaped strings, and the modular arithmetic behind the
 * bijections (users ↔ names, users ↔ activity ranks).
 *
 * @example const h = mix(seed, index); const city = choose(CITIES, mix(h, 1));
 */

function fmix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of two 32-bit values; bijective in `b` for a fixed `a`. */
export function mix(a: number, b: number): number {
  return fmix32((fmix32(a) + Math.imul(b | 0, 0x9e3779b1) + 0x6a09e667) | 0);
}

export function mix3(a: number, b: number, c: number): number {
  return mix(mix(a, b), c);
}

/** A hash as a fraction in [0, 1). */
export function unit(h: number): number {
  return h / 4294967296;
}

export function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** The element at `index`, for tables whose bounds the arithmetic already guarantees. */
export function at<T>(list: readonly T[], index: number): T {
  const value = list[index];
  if (value === undefined) throw new RangeError(`index ${index} outside a table of ${list.length}`);
  return value;
}

export function choose<T>(list: readonly T[], h: number): T {
  return at(list, Math.floor(unit(h) * list.length));
}

/** Picks by cumulative weights (weights need not sum to 1). */
export function weighted<T>(table: readonly (readonly [T, number])[], h: number): T {
  let total = 0;
  for (const [, w] of table) total += w;
  let x = unit(h) * total;
  for (const [value, w] of table) {
    if (x < w) return value;
    x -= w;
  }
  return at(table, table.length - 1)[0];
}

const HEX = '0123456789abcdef';

export function hex8(h: number): string {
  let out = '';
  for (let shift = 28; shift >= 0; shift -= 4) out += HEX.charAt((h >>> shift) & 15);
  return out;
}

/**
 * A UUID v4-shaped string from a hash (Duo's txid, telephony_id, activity_id look like this).
 * With the event's minute and rank it is unique per event (a 32-bit hash alone collides among
 * millions of events, which would make two events share one natural key).
 */
export function uuidFrom(h: number, minute?: number, rank?: number): string {
  const a = hex8(mix(h, 0x51));
  const b = hex8(mix(h, 0x52));
  const c = hex8(mix(h, 0x53));
  const d = hex8(mix(h, 0x54));
  const variant = HEX.charAt(8 + (mix(h, 0x55) & 3));
  if (minute === undefined || rank === undefined) {
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
  }
  const m = (minute >>> 0).toString(16).padStart(7, '0').slice(-7);
  const r = (rank & 0xffff).toString(16).padStart(4, '0');
  return `${a}-${m.slice(0, 4)}-4${m.slice(4, 7)}-${variant}${c.slice(1, 4)}-${r}${d}`;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export function modInverse(a: number, m: number): number {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1, 0];
  while (r !== 0) {
    const q = Math.floor(oldR / r);
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}

export function coprimeMultiplier(modulus: number, start: number): number {
  if (modulus <= 1) return 1;
  let candidate = start % modulus || 1;
  while (gcd(candidate, modulus) !== 1) candidate = (candidate + 1) % modulus || 1;
  return candidate;
}

export function binarySearch(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = at(sorted, mid);
    if (v === value) return mid;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

export function insertionPoint(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at(sorted, mid) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
