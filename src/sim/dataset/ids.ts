/**
 * Duo-style ids (`DU…`, `DG…`: a prefix and 18 base-32 characters that lead back to their index
 * through an invertible scramble) and the two timestamp formats of the log records.
 *
 * @example const id = makeId('DU', key, 42); idIndex(id, 'DU', key, users) === 42;
 */
import { mix, mix3 } from './hash.js';

const ID_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TWO_32 = 4294967296;

function feistel(value: number, key: number): number {
  let l = value >>> 16;
  let r = value & 0xffff;
  for (let round = 0; round < 4; round++) {
    const next = l ^ (mix3(key, round, r) & 0xffff);
    l = r;
    r = next;
  }
  return ((l << 16) | r) >>> 0;
}

function feistelInverse(value: number, key: number): number {
  let l = value >>> 16;
  let r = value & 0xffff;
  for (let round = 3; round >= 0; round--) {
    const previous = r ^ (mix3(key, round, l) & 0xffff);
    r = l;
    l = previous;
  }
  return ((l << 16) | r) >>> 0;
}

function base32(value: number, length: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < length; i++) {
    out = ID_ALPHABET.charAt(rest % 32) + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/**
 * `prefix` + 18 base-32 characters: 11 derived from the hash, then 7 carrying an invertible
 * scramble of the index, so that an id leads back to its index without a lookup table.
 */
export function makeId(prefix: string, key: number, index: number): string {
  const scrambled = feistel(index, key);
  const head = mix(key, scrambled);
  const head2 = mix(head, 1);
  const top = head2 & 7;
  return (
    prefix + base32(head >>> 2, 6) + base32(head2 >>> 7, 5) + base32(top * TWO_32 + scrambled, 7)
  );
}

export function idIndex(
  id: string,
  prefix: string,
  key: number,
  count: number,
): number | undefined {
  if (id.length !== prefix.length + 18 || !id.startsWith(prefix)) return undefined;
  let value = 0;
  for (const char of id.slice(prefix.length + 11)) {
    const digit = ID_ALPHABET.indexOf(char);
    if (digit < 0) return undefined;
    value = value * 32 + digit;
  }
  const index = feistelInverse(value % TWO_32, key);
  if (index >= count || makeId(prefix, key, index) !== id) return undefined;
  return index;
}

export function isoMicro(tsMs: number, micro: number): string {
  return `${new Date(tsMs).toISOString().slice(0, 23)}${String(micro).padStart(3, '0')}+00:00`;
}

export function isoSeconds(tsMs: number): string {
  return `${new Date(tsMs).toISOString().slice(0, 19)}+00:00`;
}
