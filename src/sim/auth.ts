/**
 * Duo's request authentication as the simulator applies it (reference/duo-admin-api.md §1.9):
 * 40101 missing or garbled credentials (or no date), 40102 unknown integration key, 40103 a
 * signature that matches none of v2-SHA1, v2-SHA512, v5, or a date too far from the real clock.
 *
 * @example const result = authenticate(request, credentials); if (!result.ok) send(result.reply);
 */
import type { IncomingHttpHeaders } from 'node:http';
import { parseAuthorization, verifySignature, type DuoParams } from '../duo/signing.js';
import {
  badSignature,
  missingCredentials,
  unknownIkey,
  type Permission,
  type Reply,
} from './replies.js';

export interface Credential {
  readonly ikey: string;
  readonly skey: string;
  readonly permissions: ReadonlySet<Permission>;
}

export interface SignedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** Query parameters decoded as form data (`+` is a space), repeats kept. */
  readonly query: DuoParams;
  readonly body: Buffer;
}

export type AuthResult =
  | { readonly ok: true; readonly credential: Credential }
  | { readonly ok: false; readonly reply: Reply; readonly ikey?: string };

/**
 * `apiHostname`, when configured, is accepted as the signed host besides the `Host` header (a
 * client may connect to the simulator's address while signing the name it was configured with),
 * and so is the `Host` header without its port.
 */
export function authenticate(
  request: SignedRequest,
  credentials: ReadonlyMap<string, Credential>,
  realNow: number,
  maxSkewMs: number,
  apiHostname?: string,
): AuthResult {
  const parsed = parseAuthorization(header(request.headers, 'authorization'));
  if (!parsed) return { ok: false, reply: missingCredentials() };
  const { ikey } = parsed;
  const credential = credentials.get(ikey);
  if (!credential) return { ok: false, reply: unknownIkey(), ikey };
  const date = header(request.headers, 'x-duo-date') ?? header(request.headers, 'date');
  if (date === undefined) return { ok: false, reply: missingCredentials(), ikey };
  const hosts = signedHosts(header(request.headers, 'host') ?? '', apiHostname);
  const params = signedParams(request);
  const variants = duoHeaderVariants(request.headers);
  const signed = hosts.some((host) =>
    variants.some(
      (duoHeaders) =>
        verifySignature(
          {
            ikey,
            skey: credential.skey,
            date,
            method: request.method,
            host,
            path: request.path,
            params,
            body: request.body,
            duoHeaders,
          },
          parsed.signature,
        ) !== undefined,
    ),
  );
  if (!signed) return { ok: false, reply: badSignature(), ikey };
  const sentAt = Date.parse(date);
  if (Number.isNaN(sentAt) || Math.abs(realNow - sentAt) > maxSkewMs) {
    return { ok: false, reply: badSignature(), ikey };
  }
  return { ok: true, credential };
}

/**
 * The hosts a signature may cover: the Host header, the same without its port (clients such as
 * Duo's Python client sign the bare name; Duo accepts both on its standard port), and the
 * configured API hostname.
 */
function signedHosts(hostHeader: string, apiHostname: string | undefined): string[] {
  const bare = hostHeader.replace(/:\d+$/, '');
  return [...new Set([hostHeader, bare, ...(apiHostname === undefined ? [] : [apiHostname])])];
}

/** Query parameters, or a form body's (v2 POST); JSON bodies are signed by their hash (v5). */
function signedParams(request: SignedRequest): DuoParams {
  const type = header(request.headers, 'content-type') ?? '';
  if (request.body.length > 0 && type.startsWith('application/x-www-form-urlencoded')) {
    return [...new URLSearchParams(request.body.toString('utf8'))];
  }
  return request.query;
}

/** v5 may sign extra `X-Duo-*` headers; clients differ on whether `X-Duo-Date` is one of them. */
function duoHeaderVariants(headers: IncomingHttpHeaders): Record<string, string>[] {
  const all: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-duo-') && typeof value === 'string') all[name] = value;
  }
  const { 'x-duo-date': date, ...withoutDate } = all;
  const variants = [{}];
  if (Object.keys(withoutDate).length > 0) variants.push(withoutDate);
  if (date !== undefined) variants.push(all);
  return variants;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
