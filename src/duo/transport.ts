/**
 * Signed HTTPS requests to the Duo Admin API over undici: a keep-alive pool, connect and read
 * timeouts, an optional custom CA (added to the system roots) and HTTPS proxy (CONNECT, skipped
 * for hosts a `NO_PROXY`-style list names). Every
 * attempt gets a fresh Date and signature; the query string sent is the canonical one, so what is
 * signed is what goes on the wire. 429 is paced by the credential's RateGovernor; 5xx, network
 * errors and cut responses are retried a few times; 400/401/403/404 never are. Writes (POST,
 * DELETE) are sent again only when Duo did not apply them (429, 5xx, a connection never made);
 * a write whose answer was lost or cut fails as `uncertain_outcome`, never sent twice.
 *
 * @example const transport = new DuoTransport({ apiHost: 'api-1234abcd.duosecurity.com', ikey, skey }, governor);
 *   const { response } = await transport.get('/admin/v1/users', [['limit', '1']], 'objects_page', signal);
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { Agent, ProxyAgent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { USER_AGENT } from '../version.js';
import {
  DuoError,
  badResponse,
  errorFromHttp,
  uncertainOutcome,
  isConnectFailure,
  networkError,
  networkReasonOf,
  scrubbedCopy,
} from './errors.js';
import type { EndpointFamily, RateGovernor } from './governor.js';
import { abortReason } from './governor.js';
import { canonicalParams, formatDuoDate, signV2, signV5 } from './signing.js';
import type { DuoParams, SignatureVersion } from './signing.js';
import { FailEnvelopeSchema, OkEnvelopeSchema } from './wire.js';

/** Where requests go and which host is signed (the Host header value, `host[:port]`). */
export interface ApiEndpoint {
  /** `https://api-xxxx.duosecurity.com` or `http://127.0.0.1:8443`. */
  readonly origin: string;
  /** The signed host: `api-xxxx.duosecurity.com`, or `127.0.0.1:8443` with a port. */
  readonly host: string;
}

/**
 * Parses the API host a user typed: a bare hostname (HTTPS), `https://host[:port]`, or
 * `http://host:port` for a loopback simulator only. Throws a RangeError with a readable message.
 *
 * @example parseApiHost('api-1234abcd.duosecurity.com') // { origin: 'https://api-1234abcd…', host: 'api-1234abcd…' }
 */
export function parseApiHost(input: string): ApiEndpoint {
  const text = input.trim();
  if (text === '') throw new RangeError('the API hostname is empty');
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  let url: URL;
  try {
    url = new URL(hasScheme ? text : `https://${text}`);
  } catch {
    throw new RangeError(`"${text}" is not a host name (expected api-XXXXXXXX.duosecurity.com)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new RangeError(`the API host must use https:// (got ${url.protocol})`);
  }
  if (url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search) {
    throw new RangeError(
      `the API host must be a bare host name such as api-XXXXXXXX.duosecurity.com (got "${text}")`,
    );
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw new RangeError(
      `plain http:// is only allowed for a loopback simulator; use https:// for ${url.hostname}`,
    );
  }
  return { origin: url.origin, host: url.host.toLowerCase() };
}

function isLoopback(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

export interface TransportTimeouts {
  /** TCP + TLS connect (default 10 s). */
  readonly connectMs?: number;
  /** Waiting for headers, and between body chunks (default 60 s). */
  readonly readMs?: number;
}

/** Retries of 5xx, network errors and cut responses (429 is the governor's). */
export interface TransientRetry {
  /** Retries after the first attempt (default 3). */
  readonly retries: number;
  readonly initialMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_TRANSIENT_RETRY: TransientRetry = {
  retries: 3,
  initialMs: 1_000,
  maxDelayMs: 15_000,
};

export interface TransportConfig {
  /** As the user typed it; see parseApiHost. */
  readonly apiHost: string;
  readonly ikey: string;
  readonly skey: string;
  /** PEM CA certificate(s) trusted in addition to the system roots. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** A PEM file read once, same as `ca`. */
  readonly caFile?: string;
  /** `http://[user:pass@]proxy:3128`; HTTPS goes through it with CONNECT. */
  readonly proxyUrl?: string;
  /** Hosts reached without the proxy, as `NO_PROXY` lists them (`.example.com,10.0.0.1:8443`). */
  readonly noProxy?: string;
  readonly timeouts?: TransportTimeouts;
  readonly signatureVersion?: SignatureVersion;
  readonly retry?: Partial<TransientRetry>;
}

export interface RequestOptions {
  readonly signal?: AbortSignal | undefined;
  /** Override the 429 wait budget for this request (testConnection answers fast). */
  readonly maxRateLimitWaitMs?: number;
  /** Override the transient retries for this request. */
  readonly retries?: number;
  /**
   * Retry a failure to connect (DNS, refused, connect timeout)? Default true; a connection test
   * says false, so it answers with the cause at once instead of after the retries' backoff.
   */
  readonly retryConnectFailures?: boolean;
}

/** A successful Duo answer: the envelope's `response` and top-level `metadata`. */
export interface DuoAnswer {
  readonly response: unknown;
  readonly metadata: unknown;
  readonly attempts: number;
  /** The body as Duo sent it: log readers cut each record's own text from it (`record-text.ts`). */
  readonly text: string;
}

/** The HTTP methods the Admin API client sends; POST and DELETE change things in Duo. */
export type DuoMethod = 'GET' | 'POST' | 'DELETE';

type Outcome =
  | { readonly type: 'ok'; readonly answer: Omit<DuoAnswer, 'attempts'> }
  | { readonly type: 'rate_limited' }
  | {
      readonly type: 'retry';
      readonly error: DuoError;
      readonly connectFailure?: boolean;
      /**
       * Set when Duo may have received and applied the request (the answer was lost, cut or
       * garbled after it was sent): a write is then never sent again.
       */
      readonly mayHaveApplied?: string;
    }
  | { readonly type: 'fail'; readonly error: DuoError; readonly mayHaveApplied?: string };

/**
 * The connection pool and request loop of one credential. Close it to free its sockets.
 */
export class DuoTransport {
  readonly endpoint: ApiEndpoint;
  readonly #ikey: string;
  readonly #skey: string;
  readonly #version: SignatureVersion;
  readonly #retry: TransientRetry;
  readonly #dispatcher: Dispatcher;
  readonly #governor: RateGovernor;
  readonly #clock: () => number;
  readonly #secrets: readonly string[];

  constructor(config: TransportConfig, governor: RateGovernor, clock: () => number = Date.now) {
    this.endpoint = parseApiHost(config.apiHost);
    if (!config.ikey || !config.skey) {
      throw new DuoError({
        kind: 'missing_credentials',
        message: 'The Integration key or the Secret key is empty.',
        fix: 'Enter the Integration key and the Secret key of the Admin API application.',
      });
    }
    this.#ikey = config.ikey;
    this.#skey = config.skey;
    this.#version = config.signatureVersion ?? 5;
    this.#retry = { ...DEFAULT_TRANSIENT_RETRY, ...config.retry };
    this.#governor = governor;
    this.#clock = clock;
    const proxyPassword = config.proxyUrl ? proxyPasswordOf(config.proxyUrl) : undefined;
    this.#secrets = [config.skey, ...(proxyPassword ? [proxyPassword] : [])];
    this.#dispatcher = createDispatcher(config, this.endpoint);
  }

  /** Replaces every secret (skey, Authorization values, proxy password) in a text. */
  readonly scrub = (text: string): string => {
    let out = text.replace(/Basic\s+[A-Za-z0-9+/=]{8,}/g, 'Basic [redacted]');
    for (const secret of this.#secrets) out = out.split(secret).join('[redacted]');
    return out;
  };

  /**
   * A signed GET with pacing and retries; resolves to the OK envelope's parts or throws a
   * DuoError (or the signal's reason when aborted).
   */
  async get(
    path: string,
    params: DuoParams,
    family: EndpointFamily,
    options: RequestOptions = {},
  ): Promise<DuoAnswer> {
    return this.#send('GET', path, params, family, options);
  }

  /**
   * A signed POST (v5: the parameters as a JSON body, its SHA-512 signed; v2: a form body, its
   * parameters signed). Paced and backed off as a GET, but sent again only when Duo did not apply
   * it (429, 5xx, a connection never made); a lost or cut answer throws `uncertain_outcome`.
   *
   * @example await transport.post('/admin/v1/users/DU…', [['status', 'disabled']], 'object');
   */
  async post(
    path: string,
    params: DuoParams,
    family: EndpointFamily,
    options: RequestOptions = {},
  ): Promise<DuoAnswer> {
    return this.#send('POST', path, params, family, options);
  }

  /**
   * A signed DELETE, its parameters in the query; sent again only as a POST would be.
   *
   * @example await transport.delete('/admin/v1/users/DU…/groups/DG…', [], 'object');
   */
  async delete(
    path: string,
    params: DuoParams,
    family: EndpointFamily,
    options: RequestOptions = {},
  ): Promise<DuoAnswer> {
    return this.#send('DELETE', path, params, family, options);
  }

  async #send(
    method: DuoMethod,
    path: string,
    params: DuoParams,
    family: EndpointFamily,
    options: RequestOptions,
  ): Promise<DuoAnswer> {
    const write = method !== 'GET';
    const { signal } = options;
    const maxRateLimitWait = options.maxRateLimitWaitMs ?? this.#governor.backoff.maxTotalWaitMs;
    const retries = options.retries ?? this.#retry.retries;
    const query = canonicalParams(params);
    let attempts = 0;
    let transientFailures = 0;
    let consecutive429 = 0;
    let rateLimitWaited = 0;
    for (;;) {
      await this.#governor.acquire(family, signal);
      attempts++;
      const outcome = await this.#attempt(method, path, params, query, signal, attempts);
      if (write && outcome.type !== 'ok' && outcome.type !== 'rate_limited') {
        if (outcome.mayHaveApplied !== undefined) {
          throw uncertainOutcome(method, path, outcome.mayHaveApplied, {
            cause: outcome.error,
            attempts,
          });
        }
      }
      switch (outcome.type) {
        case 'ok':
          return { ...outcome.answer, attempts };
        case 'fail':
          throw outcome.error;
        case 'rate_limited': {
          consecutive429++;
          const delay = this.#governor.rateLimited(
            family,
            consecutive429,
            rateLimitWaited,
            maxRateLimitWait,
          );
          if (delay === undefined) {
            throw errorFromHttp({ path, httpStatus: 429, duoCode: 42901, attempts });
          }
          rateLimitWaited += delay;
          break; // acquire() waits out the backoff
        }
        case 'retry': {
          transientFailures++;
          if (transientFailures > retries) throw outcome.error;
          if (outcome.connectFailure === true && options.retryConnectFailures === false)
            throw outcome.error;
          const step = Math.min(
            this.#retry.maxDelayMs,
            this.#retry.initialMs * 2 ** (transientFailures - 1),
          );
          await this.#governor.wait(Math.round(step / 2 + (Math.random() * step) / 2), signal);
          break;
        }
      }
    }
  }

  async #attempt(
    method: DuoMethod,
    path: string,
    params: DuoParams,
    query: string,
    signal: AbortSignal | undefined,
    attempts: number,
  ): Promise<Outcome> {
    const date = formatDuoDate(new Date(this.#clock()));
    const message = signedMessage(method, params, query, this.#version);
    const signInput = {
      ikey: this.#ikey,
      skey: this.#skey,
      date,
      method,
      host: this.endpoint.host,
      path,
      params: message.signedParams,
      ...(message.body === undefined ? {} : { body: message.body }),
    };
    const authorization = this.#version === 5 ? signV5(signInput) : signV2(signInput);
    const url = `${this.endpoint.origin}${path}${message.query ? `?${message.query}` : ''}`;
    const target = { path, host: this.endpoint.host };
    let statusCode: number;
    let headers: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const response = await request(url, {
        method,
        dispatcher: this.#dispatcher,
        headers: {
          authorization,
          date,
          accept: 'application/json',
          'user-agent': USER_AGENT,
          ...(message.contentType === undefined ? {} : { 'content-type': message.contentType }),
        },
        ...(message.body === undefined ? {} : { body: message.body }),
        ...(signal ? { signal } : {}),
      });
      statusCode = response.statusCode;
      headers = response.headers;
      try {
        text = await response.body.text();
      } catch (error) {
        if (signal?.aborted) throw abortReason(signal);
        return {
          type: 'retry',
          error: badResponse(path, 'the response was cut off before its end', {
            httpStatus: statusCode,
            cause: scrubbedCopy(error, this.scrub),
            attempts,
          }),
          ...(statusCode >= 200 && statusCode < 300
            ? { mayHaveApplied: `Duo answered HTTP ${statusCode}, then the answer was cut off` }
            : {}),
        };
      }
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      const failure = networkError(target, error, this.scrub, attempts);
      const connectFailure = isConnectFailure(error);
      // A TLS failure happens before the request is sent; any other one may come after.
      const mayHaveApplied =
        connectFailure || networkReasonOf(error) === 'tls'
          ? {}
          : { mayHaveApplied: 'the request was sent but no answer came back' };
      return networkReasonOf(error) === 'tls'
        ? { type: 'fail', error: failure }
        : { type: 'retry', error: failure, connectFailure, ...mayHaveApplied };
    }

    if (statusCode === 429) return { type: 'rate_limited' };
    const body = parseJson(text);
    if (statusCode === 200) {
      if (body === undefined) {
        return {
          type: 'retry',
          error: badResponse(path, 'the body is not JSON (cut off, or not from Duo)', {
            httpStatus: 200,
            attempts,
          }),
          mayHaveApplied: 'Duo answered HTTP 200 with a body that is not JSON',
        };
      }
      const ok = OkEnvelopeSchema.safeParse(body);
      if (ok.success) {
        return {
          type: 'ok',
          answer: { response: ok.data.response, metadata: ok.data.metadata, text },
        };
      }
    }
    const fail = FailEnvelopeSchema.safeParse(body);
    const duoCode = fail.success ? codeNumber(fail.data.code) : undefined;
    // Duo's codes start with the HTTP status; a FAIL inside a 200 is treated by its code.
    const httpStatus =
      statusCode === 200 && duoCode !== undefined ? Math.floor(duoCode / 100) : statusCode;
    if (httpStatus === 200) {
      return {
        type: 'fail',
        error: badResponse(path, 'the body is not a Duo {stat, response} envelope', {
          httpStatus: 200,
        }),
        mayHaveApplied: 'Duo answered HTTP 200 with a body that is not a Duo answer',
      };
    }
    if (httpStatus === 429) return { type: 'rate_limited' };
    const error = errorFromHttp({
      path,
      method,
      httpStatus,
      ...(duoCode === undefined ? {} : { duoCode }),
      ...(fail.success && fail.data.message ? { duoMessage: fail.data.message } : {}),
      ...(fail.success && fail.data.message_detail
        ? { messageDetail: fail.data.message_detail }
        : {}),
      ...clockSkew(headers, this.#clock()),
      attempts,
    });
    return httpStatus >= 500 ? { type: 'retry', error } : { type: 'fail', error };
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}

/**
 * What is signed and sent for a method: GET and DELETE put the parameters in the query; a POST
 * sends them as a body — v5 a compact JSON object (its hash is signed, the params line is
 * empty), v2 a form body in canonical encoding (its parameters are signed).
 */
function signedMessage(
  method: DuoMethod,
  params: DuoParams,
  canonicalQuery: string,
  version: SignatureVersion,
): { signedParams: DuoParams; query: string; body?: string; contentType?: string } {
  if (method !== 'POST') return { signedParams: params, query: canonicalQuery };
  if (version === 5) {
    return {
      signedParams: [],
      query: '',
      body: JSON.stringify(Object.fromEntries(params)),
      contentType: 'application/json',
    };
  }
  return {
    signedParams: params,
    query: '',
    body: canonicalQuery,
    contentType: 'application/x-www-form-urlencoded',
  };
}

function createDispatcher(config: TransportConfig, endpoint: ApiEndpoint): Dispatcher {
  const connectMs = config.timeouts?.connectMs ?? 10_000;
  const readMs = config.timeouts?.readMs ?? 60_000;
  const ca = customCa(config);
  const tls = { timeout: connectMs, ...(ca ? { ca } : {}) };
  const pool = { headersTimeout: readMs, bodyTimeout: readMs, keepAliveTimeout: 30_000 };
  if (config.proxyUrl && !bypassesProxy(endpoint, config.noProxy)) {
    return new ProxyAgent({ uri: config.proxyUrl, requestTls: tls, proxyTls: tls, ...pool });
  }
  return new Agent({ connect: tls, ...pool });
}

/**
 * Whether a `NO_PROXY`-style list names the endpoint's host: `*` (every host), a host name (it
 * and its subdomains; a leading `.` or `*.` means the same), an IP address, each optionally with
 * `:port`. Comma or space separated. Address ranges (CIDR) are not understood.
 *
 * @example bypassesProxy(parseApiHost('api-1.duosecurity.com'), '.duosecurity.com') // true
 */
export function bypassesProxy(endpoint: ApiEndpoint, noProxy: string | undefined): boolean {
  if (noProxy === undefined) return false;
  const url = new URL(endpoint.origin);
  const hostname = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      if (entry === '*') return true;
      const match = /^(.*?)(?::(\d+))?$/.exec(entry.toLowerCase());
      const name = (match?.[1] ?? '').replace(/^\[|\]$/g, '').replace(/^\*?\./, '');
      if (name === '' || (match?.[2] !== undefined && Number(match[2]) !== port)) return false;
      return hostname === name || hostname.endsWith(`.${name}`);
    });
}

/**
 * Why a CA file cannot be used (unreadable, or no PEM certificate in it), or undefined when it
 * can. The file's content is never quoted.
 *
 * @example caFileProblem('/etc/ssl/corp-ca.pem') // undefined, or 'cannot be read (ENOENT)'
 */
export function caFileProblem(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : '';
    return `cannot be read (${typeof code === 'string' && code ? code : 'error'})`;
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    return 'holds no PEM certificate (a block starting -----BEGIN CERTIFICATE-----)';
  }
  return undefined;
}

/**
 * Why a text is not a usable proxy URL, or undefined when it is one. Never quotes the text (it
 * may carry a password).
 *
 * @example proxyUrlProblem('http://proxy.example.com:3128') // undefined
 */
export function proxyUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL (expected http://proxy.example.com:3128)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `must start with http:// or https:// (got ${url.protocol})`;
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    return 'must be a proxy address such as http://proxy.example.com:3128, without a path';
  }
  return undefined;
}

/** The custom CA plus the system roots (Node's `ca` option would replace them otherwise). */
function customCa(config: TransportConfig): string[] | undefined {
  const extra: (string | Buffer)[] = [];
  if (config.caFile) extra.push(readCaFile(config.caFile));
  if (config.ca !== undefined) {
    if (typeof config.ca === 'string' || Buffer.isBuffer(config.ca)) extra.push(config.ca);
    else extra.push(...config.ca);
  }
  if (extra.length === 0) return undefined;
  return [...rootCertificates, ...extra.map((pem) => pem.toString())];
}

function readCaFile(path: string): Buffer {
  const problem = caFileProblem(path);
  if (problem !== undefined) {
    throw new DuoError({
      kind: 'network',
      networkReason: 'tls',
      message: `The CA certificate file ${path} ${problem}.`,
      fix: 'Set DUO_INSIGHTS_CA_FILE (or the source’s CA file, sources configure --ca-file) to a readable PEM file with the CA certificate.',
    });
  }
  return readFileSync(path);
}

function proxyPasswordOf(proxyUrl: string): string | undefined {
  try {
    const password = new URL(proxyUrl).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function codeNumber(code: number | string | undefined): number | undefined {
  if (typeof code === 'number') return code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  return undefined;
}

/** Duo's clock minus ours, from the response Date header (whole seconds). */
function clockSkew(
  headers: Record<string, string | string[] | undefined>,
  now: number,
): { clockSkewSeconds?: number } {
  const header = headers.date;
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return {};
  const theirs = Date.parse(value);
  if (Number.isNaN(theirs)) return {};
  return { clockSkewSeconds: Math.round((theirs - now) / 1000) };
}
