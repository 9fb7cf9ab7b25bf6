/**
 * Duo Admin API request signing, v2 (HMAC-SHA512 or the legacy SHA1) and v5, canonicalised
 * exactly as Duo's official clients do (reference/duo-admin-api.md §1.2–1.5).
 *
 * @example signV5({ ikey, skey, date: formatDuoDate(new Date()), method: 'GET', host,
 *   path: '/admin/v1/users', params: [['limit', '300']] })
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Request parameters as ordered pairs; a key may repeat (`next_offset=a&next_offset=b`). */
export type DuoParams = readonly (readonly [string, string])[];

export type SignatureVersion = 2 | 5;
export type HmacDigest = 'sha1' | 'sha512';

export interface SignInput {
  /** Canonicalise a repeated key's values in the order given, not sorted (Duo's Node client). */
  readonly keepValueOrder?: boolean;
  readonly ikey: string;
  readonly skey: string;
  /** The exact Date (or X-Duo-Date) header value sent with the request. */
  readonly date: string;
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly params: DuoParams;
}

export interface SignV5Input extends SignInput {
  /**
   * Exact request body bytes (JSON for POST/PUT/PATCH); empty for GET and DELETE. Clients send
   * POST parameters in this body and pass no `params`; the canonical line then stays empty.
   */
  readonly body?: string | Buffer;
  /** Additional `X-Duo-*` headers that are signed too. */
  readonly duoHeaders?: Readonly<Record<string, string>>;
}

const EMPTY_SHA512 = sha512Hex('');

/** Percent-encodes every UTF-8 byte except `A-Z a-z 0-9 - _ . ~`; lone surrogates as WTF-8. */
export function duoEncode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (isUnreserved(code)) {
      out += String.fromCharCode(code);
      continue;
    }
    for (const byte of utf8Bytes(code))
      out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function isUnreserved(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    code === 0x2d ||
    code === 0x2e ||
    code === 0x5f ||
    code === 0x7e
  );
}

function utf8Bytes(code: number): number[] {
  if (code < 0x80) return [code];
  if (code < 0x800) return [0xc0 | (code >> 6), 0x80 | (code & 0x3f)];
  if (code < 0x10000) {
    return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)];
  }
  return [
    0xf0 | (code >> 18),
    0x80 | ((code >> 12) & 0x3f),
    0x80 | ((code >> 6) & 0x3f),
    0x80 | (code & 0x3f),
  ];
}

/**
 * `k=v` pairs, encoded, sorted by key then by value (byte order), joined by `&` — as Duo's
 * Python, Go and Java clients do. Duo's Node client keeps a repeated key's values in the order
 * given (`keepValueOrder`); a verifier accepts either.
 */
export function canonicalParams(params: DuoParams, keepValueOrder = false): string {
  return params
    .map(([key, value]) => [duoEncode(key), duoEncode(value)] as const)
    .sort(([ka, va], [kb, vb]) => compare(ka, kb) || (keepValueOrder ? 0 : compare(va, vb)))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function canonicalizeV2(input: SignInput): string {
  return [
    input.date,
    input.method.toUpperCase(),
    input.host.toLowerCase(),
    input.path,
    canonicalParams(input.params, input.keepValueOrder),
  ].join('\n');
}

export function canonicalizeV5(input: SignV5Input): string {
  return [
    input.date,
    input.method.toUpperCase(),
    input.host.toLowerCase(),
    input.path,
    canonicalParams(input.params, input.keepValueOrder),
    sha512Hex(input.body ?? ''),
    duoHeadersHash(input.duoHeaders ?? {}),
  ].join('\n');
}

/** SHA-512 of the `X-Duo-*` headers: lowercased names, sorted, `name\0value\0…`. */
export function duoHeadersHash(headers: Readonly<Record<string, string>>): string {
  const entries = Object.entries(headers).map(
    ([name, value]) => [name.toLowerCase(), value] as const,
  );
  if (entries.length === 0) return EMPTY_SHA512;
  const seen = new Set<string>();
  for (const [name, value] of entries) {
    if (!name.startsWith('x-duo-')) throw new Error(`signed header ${name} must start with x-duo-`);
    if (name.includes('\0') || value.includes('\0'))
      throw new Error(`signed header ${name} has a NUL`);
    if (seen.has(name)) throw new Error(`signed header ${name} appears twice`);
    seen.add(name);
  }
  entries.sort(([a], [b]) => compare(a, b));
  return sha512Hex(entries.flatMap(([name, value]) => [name, value]).join('\0'));
}

export function sha512Hex(data: string | Buffer): string {
  return createHash('sha512').update(data).digest('hex');
}

export function hmacHex(skey: string, message: string, digest: HmacDigest): string {
  return createHmac(digest, Buffer.from(skey, 'utf8')).update(message, 'utf8').digest('hex');
}

export function basicAuthorization(ikey: string, signatureHex: string): string {
  return 'Basic ' + Buffer.from(`${ikey}:${signatureHex}`, 'utf8').toString('base64');
}

export function signV2(input: SignInput, digest: HmacDigest = 'sha512'): string {
  return basicAuthorization(input.ikey, hmacHex(input.skey, canonicalizeV2(input), digest));
}

export function signV5(input: SignV5Input): string {
  return basicAuthorization(input.ikey, hmacHex(input.skey, canonicalizeV5(input), 'sha512'));
}

/** RFC 2822 date as Duo accepts it (`Tue, 21 Aug 2012 17:29:18 GMT`). */
export function formatDuoDate(date: Date): string {
  return date.toUTCString();
}

export interface ParsedAuthorization {
  readonly ikey: string;
  readonly signature: string;
}

/** Splits `Basic base64(ikey:hex)`; undefined when the header is missing or garbled. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | undefined {
  if (!header) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/.exec(header.trim());
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  const signature = decoded.slice(colon + 1);
  if (!/^[0-9a-fA-F]+$/.test(signature)) return undefined;
  return { ikey: decoded.slice(0, colon), signature: signature.toLowerCase() };
}

export type VerifiedAs = 'v2-sha1' | 'v2-sha512' | 'v5';

/**
 * Checks a received signature the way Duo does: v2-SHA1 (40 hex digits), v2-SHA512 or v5 (128),
 * compared in constant time. Returns which scheme matched, or undefined.
 */
export function verifySignature(input: SignV5Input, signatureHex: string): VerifiedAs | undefined {
  const forms: SignV5Input[] = [input];
  const keys = input.params.map(([key]) => key);
  // A repeated key: also the order Duo's Node client signs in (values as given, not sorted).
  if (new Set(keys).size < keys.length) forms.push({ ...input, keepValueOrder: true });
  const candidates: [VerifiedAs, () => string][] = forms.flatMap(
    (form): [VerifiedAs, () => string][] =>
      signatureHex.length === 40
        ? [['v2-sha1', () => hmacHex(form.skey, canonicalizeV2(form), 'sha1')]]
        : [
            ['v2-sha512', () => hmacHex(form.skey, canonicalizeV2(form), 'sha512')],
            ['v5', () => hmacHex(form.skey, canonicalizeV5(form), 'sha512')],
          ],
  );
  const received = Buffer.from(signatureHex.toLowerCase(), 'utf8');
  for (const [scheme, compute] of candidates) {
    let expected: Buffer;
    try {
      expected = Buffer.from(compute(), 'utf8');
    } catch {
      continue;
    }
    if (expected.length === received.length && timingSafeEqual(expected, received)) return scheme;
  }
  return undefined;
}
