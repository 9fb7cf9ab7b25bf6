/**
 * PostgreSQL arrays in the binary wire format, so a multi-row statement binds one array per
 * column (`insert … select * from unnest($1::bigint[], $2::text[], …)`): one SQL text for any
 * row count, parsed and planned in microseconds, instead of a `values` list of thousands of
 * parameters the server parses, type-checks and plans anew on every call. Binary, because `pg`
 * sends a Buffer parameter as binary: no number is turned into text here and parsed back by
 * the server, and payloads are not hex-encoded (twice their size) as in a text array.
 *
 * @example await client.query('select * from unnest($1::bigint[])', [encodeArray('bigint', [1, null, 3])])
 */

/** The element types a column array may have. */
export type PgArrayType = 'bigint' | 'text' | 'bytea';

/** Element type oids (`pg_type.oid`): the server checks them against the cast's type. */
const ELEMENT_OIDS: Record<PgArrayType, number> = { bigint: 20, text: 25, bytea: 17 };

const HEADER_BYTES = 20;
const TWO_TO_32 = 2 ** 32;

/**
 * One-dimensional array of `type` (nulls allowed) in PostgreSQL's binary format: dimensions,
 * null flag, element oid, length and lower bound, then each element as its length (-1: null)
 * and its bytes.
 */
export function encodeArray(type: PgArrayType, values: readonly unknown[]): Buffer {
  const sizes = values.map((value, i) => elementSize(type, value, i));
  let bytes = HEADER_BYTES;
  for (const size of sizes) bytes += 4 + Math.max(size, 0);
  const out = Buffer.allocUnsafe(bytes);
  out.writeInt32BE(1, 0);
  out.writeInt32BE(sizes.includes(-1) ? 1 : 0, 4);
  out.writeInt32BE(ELEMENT_OIDS[type], 8);
  out.writeInt32BE(values.length, 12);
  out.writeInt32BE(1, 16);
  let at = HEADER_BYTES;
  for (let i = 0; i < values.length; i++) {
    const size = sizes[i] ?? -1;
    out.writeInt32BE(size, at);
    at += 4;
    if (size < 0) continue;
    const value = values[i];
    if (type === 'bigint') {
      const n = value as number;
      // Two's complement in two halves: exact for every safe integer, without a BigInt.
      out.writeInt32BE(Math.floor(n / TWO_TO_32), at);
      out.writeUInt32BE(n >>> 0, at + 4);
    } else if (type === 'text') out.write(value as string, at, size, 'utf8');
    else out.set(value as Uint8Array, at);
    at += size;
  }
  return out;
}

/** Bytes of one element (-1: null), refusing a value the column type cannot hold. */
function elementSize(type: PgArrayType, value: unknown, index: number): number {
  if (value === null || value === undefined) return -1;
  switch (type) {
    case 'bigint':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return 8;
      break;
    case 'text':
      if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
      break;
    case 'bytea':
      if (value instanceof Uint8Array) return value.byteLength;
      break;
  }
  throw new TypeError(
    `element ${String(index)} of a ${type} array is ${describe(value)}: only ${type === 'bigint' ? 'safe integers' : type === 'text' ? 'strings' : 'byte arrays'} or null fit`,
  );
}

function describe(value: unknown): string {
  return typeof value === 'number' ? `the number ${String(value)}` : `of type ${typeof value}`;
}
