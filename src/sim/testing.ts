/**
 * Helpers for tests that talk to the simulator over real HTTP: a tiny Duo-signed GET and write (undici +
 * duo/signing.ts, independent of our Duo client), the control API, and a real clock that moves
 * only when told (`manualClock`, for `startSimulator({ realClock })`). Test support only.
 *
 * @example const page = await duoGet(sim, cred, '/admin/v1/users', [['limit', '300']]);
 */
import { request, type Dispatcher } from 'undici';
import { canonicalParams, formatDuoDate, signV2, signV5, type DuoParams } from '../duo/signing.js';
import type { RealClock } from './clock.js';

export interface SimTarget {
  readonly url: string;
  readonly host: string;
}

export interface TestCredential {
  readonly ikey: string;
  readonly skey: string;
}

export interface DuoGetOptions {
  /** Signature version and digest (default v5). */
  readonly scheme?: 'v2-sha1' | 'v2-sha512' | 'v5';
  /** The date string to sign and send (default: now, as Node's client formats it). */
  readonly date?: string;
  /** Send the date as `Date` (default), only as `X-Duo-Date` (C# client), or not at all. */
  readonly dateHeader?: 'date' | 'x-duo-date' | 'none';
  /** The query string exactly as sent (default: the canonical form of `params`). */
  readonly rawQuery?: string;
  /** Replace the Authorization header (e.g. garbled). */
  readonly authorization?: string;
  readonly dispatcher?: Dispatcher;
}

export interface DuoResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  readonly body: unknown;
}

export async function duoGet(
  sim: SimTarget,
  credential: TestCredential,
  path: string,
  params: DuoParams = [],
  options: DuoGetOptions = {},
): Promise<DuoResponse> {
  const date = options.date ?? formatDuoDate(new Date());
  const input = { ...credential, date, method: 'GET', host: sim.host, path, params };
  const scheme = options.scheme ?? 'v5';
  const authorization =
    options.authorization ??
    (scheme === 'v5' ? signV5(input) : signV2(input, scheme === 'v2-sha1' ? 'sha1' : 'sha512'));
  const query = options.rawQuery ?? canonicalParams(params);
  const response = await request(`${sim.url}${path}${query ? `?${query}` : ''}`, {
    method: 'GET',
    headers: {
      authorization,
      ...(options.dateHeader === 'none' ? {} : { [options.dateHeader ?? 'date']: date }),
    },
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text, body: parseJson(text) };
}

/**
 * A Duo-signed POST or DELETE: DELETE parameters in the query; POST parameters as a JSON body
 * (v5, as Duo's Python client sends them) or a form body (v2, as its Node and Go clients do).
 *
 * @example await duoWrite(sim, cred, 'POST', '/admin/v1/users/DU…', [['status', 'disabled']]);
 */
export async function duoWrite(
  sim: SimTarget,
  credential: TestCredential,
  method: 'POST' | 'DELETE',
  path: string,
  params: DuoParams = [],
  options: { readonly scheme?: 'v2-sha512' | 'v5'; readonly skey?: string } = {},
): Promise<DuoResponse> {
  const date = formatDuoDate(new Date());
  const scheme = options.scheme ?? 'v5';
  const skey = options.skey ?? credential.skey;
  const base = { ikey: credential.ikey, skey, date, method, host: sim.host, path };
  let authorization: string;
  let body: string | undefined;
  let contentType: string | undefined;
  let query = '';
  if (method === 'DELETE') {
    query = canonicalParams(params);
    authorization =
      scheme === 'v5' ? signV5({ ...base, params }) : signV2({ ...base, params }, 'sha512');
  } else if (scheme === 'v5') {
    body = JSON.stringify(Object.fromEntries(params));
    contentType = 'application/json';
    authorization = signV5({ ...base, params: [], body });
  } else {
    body = canonicalParams(params);
    contentType = 'application/x-www-form-urlencoded';
    authorization = signV2({ ...base, params }, 'sha512');
  }
  const response = await request(`${sim.url}${path}${query ? `?${query}` : ''}`, {
    method,
    headers: {
      authorization,
      date,
      ...(contentType === undefined ? {} : { 'content-type': contentType }),
    },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text, body: parseJson(text) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Calls the control API; throws unless it answers 2xx. */
export async function control<T = Record<string, unknown>>(
  sim: SimTarget,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  dispatcher?: Dispatcher,
): Promise<T> {
  const response = await request(`${sim.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    ...(dispatcher ? { dispatcher } : {}),
  });
  const text = await response.body.text();
  if (response.statusCode >= 300)
    throw new Error(`${method} ${path}: ${response.statusCode} ${text}`);
  return JSON.parse(text) as T;
}

/** A real clock for the simulator that moves only by `advance` and by what `sleep` waits. */
export interface ManualClock extends RealClock {
  advance(deltaMs: number): void;
}

/**
 * A clock starting at `start` (default now) that never moves by itself: `sleep` returns at once,
 * having moved it by the delay, so a test sees waits without waiting.
 *
 * @example const clock = manualClock(); await startSimulator({ credentials, realClock: clock });
 */
export function manualClock(start: number = Date.now()): ManualClock {
  let now = start;
  return {
    now: () => now,
    advance(deltaMs) {
      now += deltaMs;
    },
    sleep(delayMs, signal) {
      if (signal.aborted) return Promise.reject(new Error('aborted'));
      now += delayMs;
      return Promise.resolve();
    },
  };
}
