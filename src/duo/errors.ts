/**
 * The closed set of failures of the Duo Admin API client: one `DuoError` class whose `kind` says
 * what went wrong, with a human `message` and a `fix` telling the user what to do. Secrets (the
 * secret key, the Authorization header, a proxy password) never appear in a message or a cause.
 *
 * @example if (err instanceof DuoError && err.kind === 'permission_missing') show(err.fix);
 */
import { causeChain } from '../domain/errors.js';

export const DUO_ERROR_KINDS = [
  'invalid_integration_key',
  'invalid_signature',
  'missing_credentials',
  'permission_missing',
  'not_found',
  'bad_request',
  'rate_limited',
  'server_error',
  'network',
  'bad_response',
  'uncertain_outcome',
] as const;
export type DuoErrorKind = (typeof DUO_ERROR_KINDS)[number];

/** Why a request never got an HTTP answer. */
export type NetworkReason = 'dns' | 'refused' | 'timeout' | 'tls' | 'reset' | 'other';

/** The Admin API permissions, as the Duo Admin Panel names them. */
export type DuoPermission =
  | 'Grant read log'
  | 'Grant read resource'
  | 'Grant read information'
  | 'Grant administrators'
  | 'Grant settings'
  | 'Grant write resource';

export interface DuoErrorDetails {
  readonly kind: DuoErrorKind;
  readonly message: string;
  readonly fix: string;
  /** The API path (no query string) the request was for. */
  readonly path?: string;
  readonly httpStatus?: number;
  /** Duo's five-digit code (`40103`), when the body carried one. */
  readonly duoCode?: number;
  readonly messageDetail?: string;
  readonly networkReason?: NetworkReason;
  /** Duo's clock minus ours, in seconds, when it matters (invalid_signature). */
  readonly clockSkewSeconds?: number;
  readonly permission?: DuoPermission;
  /** How many attempts were made before giving up. */
  readonly attempts?: number;
  readonly cause?: unknown;
}

/**
 * Every failure the Duo client reports. `kind` is a closed union; switch over it exhaustively.
 *
 * @example new DuoError({ kind: 'not_found', message: 'Duo has no user DU1', fix: 'Re-run the aggregation.' })
 */
export class DuoError extends Error {
  override readonly name = 'DuoError';
  readonly kind: DuoErrorKind;
  readonly fix: string;
  readonly path: string | undefined;
  readonly httpStatus: number | undefined;
  readonly duoCode: number | undefined;
  readonly messageDetail: string | undefined;
  readonly networkReason: NetworkReason | undefined;
  readonly clockSkewSeconds: number | undefined;
  readonly permission: DuoPermission | undefined;
  readonly attempts: number | undefined;

  constructor(details: DuoErrorDetails) {
    super(details.message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = details.kind;
    this.fix = details.fix;
    this.path = details.path;
    this.httpStatus = details.httpStatus;
    this.duoCode = details.duoCode;
    this.messageDetail = details.messageDetail;
    this.networkReason = details.networkReason;
    this.clockSkewSeconds = details.clockSkewSeconds;
    this.permission = details.permission;
    this.attempts = details.attempts;
  }

  /** A plain object for logs and API responses (no cause, no stack). */
  toJSON(): Record<string, unknown> {
    return {
      kind: this.kind,
      message: this.message,
      fix: this.fix,
      path: this.path,
      httpStatus: this.httpStatus,
      duoCode: this.duoCode,
      messageDetail: this.messageDetail,
      networkReason: this.networkReason,
      clockSkewSeconds: this.clockSkewSeconds,
      permission: this.permission,
      attempts: this.attempts,
    };
  }
}

/**
 * The permission an Admin API path needs (reference/duo-admin-api.md §6): a change (POST, PUT,
 * DELETE) of users or groups needs "Grant write resource".
 */
export function permissionFor(path: string, method = 'GET'): DuoPermission {
  if (method !== 'GET' && /^\/admin\/v\d+\/(users|groups)/.test(path))
    return 'Grant write resource';
  if (/^\/admin\/v\d+\/logs\//.test(path) || path.startsWith('/admin/v1/trust_monitor')) {
    return 'Grant read log';
  }
  if (path.startsWith('/admin/v1/info')) return 'Grant read information';
  if (path.startsWith('/admin/v1/admins')) return 'Grant administrators';
  if (path.startsWith('/admin/v1/settings')) return 'Grant settings';
  return 'Grant read resource';
}

/** Beyond this difference between Duo's clock and ours, a 40103 is blamed on the clock. */
export const CLOCK_SKEW_LIMIT_SECONDS = 60;

/** Within this difference the clocks agree: a 40103 then means the secret key is wrong. */
export const CLOCK_AGREES_SECONDS = 5;

export interface HttpFailure {
  readonly path: string;
  /** GET (default), POST or DELETE: a refused change names the write permission. */
  readonly method?: string;
  readonly httpStatus: number;
  /** Duo's FAIL body, when the response was one. */
  readonly duoCode?: number;
  readonly duoMessage?: string;
  readonly messageDetail?: string;
  /** Duo's clock minus ours, from the response `Date` header. */
  readonly clockSkewSeconds?: number;
  readonly attempts?: number;
}

/**
 * Maps an HTTP failure from Duo (status, and code/message when the body was a FAIL envelope) to
 * its DuoError. 429 and 5xx are only mapped here once the retries are spent.
 */
export function errorFromHttp(failure: HttpFailure): DuoError {
  const { path, httpStatus, duoCode } = failure;
  const said = describeDuoAnswer(failure);
  const base = {
    path,
    httpStatus,
    ...(duoCode === undefined ? {} : { duoCode }),
    ...(failure.messageDetail === undefined ? {} : { messageDetail: failure.messageDetail }),
    ...(failure.attempts === undefined ? {} : { attempts: failure.attempts }),
  };
  if (httpStatus === 401 || (duoCode !== undefined && Math.floor(duoCode / 100) === 401)) {
    if (duoCode === 40101) {
      return new DuoError({
        ...base,
        kind: 'missing_credentials',
        message: `Duo received no usable credentials for ${path} (${said}).`,
        fix: 'Enter the Integration key and the Secret key of the Admin API application, then test the connection again.',
      });
    }
    if (duoCode === 40102) {
      return new DuoError({
        ...base,
        kind: 'invalid_integration_key',
        message: `Duo does not know this integration key (${said}).`,
        fix: 'Copy the Integration key again from the Admin API application in the Duo Admin Panel (Applications), and check that the API hostname belongs to the same Duo account.',
      });
    }
    const skew = failure.clockSkewSeconds;
    if (skew !== undefined && Math.abs(skew) > CLOCK_SKEW_LIMIT_SECONDS) {
      return new DuoError({
        ...base,
        kind: 'invalid_signature',
        clockSkewSeconds: skew,
        message: `Duo rejected the request signature (${said}): clock skew of ${skew} s between Duo and this server.`,
        fix: "Synchronise this server's clock (NTP); Duo only accepts requests whose Date is close to its own time.",
      });
    }
    if (skew !== undefined && Math.abs(skew) <= CLOCK_AGREES_SECONDS) {
      return new DuoError({
        ...base,
        kind: 'invalid_signature',
        clockSkewSeconds: skew,
        message: `The secret key is wrong: Duo rejected the request signature (${said}), and the clocks of Duo and this server agree (${skew} s apart), so the clock is not the cause.`,
        fix: 'Copy the Secret key again from the Admin API application in the Duo Admin Panel: it must belong to the same application as the Integration key.',
      });
    }
    return new DuoError({
      ...base,
      kind: 'invalid_signature',
      ...(skew === undefined ? {} : { clockSkewSeconds: skew }),
      message: `Duo rejected the request signature (${said}).`,
      fix: 'Copy the Secret key again from the Admin API application in the Duo Admin Panel (it must belong to the same application as the Integration key), and check the API hostname.',
    });
  }
  if (httpStatus === 403) {
    const permission = permissionFor(path, failure.method);
    return new DuoError({
      ...base,
      kind: 'permission_missing',
      permission,
      message: `Duo refused access to ${path} (${said}): the Admin API application lacks the "${permission}" permission.`,
      fix: `In the Duo Admin Panel, open the Admin API application, tick "${permission}", save, and test the connection again. If the permission is already granted, check "Networks for API Access" allows this server and that your Duo plan includes this endpoint.`,
    });
  }
  if (httpStatus === 404) {
    return new DuoError({
      ...base,
      kind: 'not_found',
      message: `Duo has nothing at ${path} (${said}).`,
      fix: 'The object may have been deleted in Duo (re-run the aggregation), or the endpoint is not available on this Duo account or plan: that stream is marked failing and retried later while the others go on.',
    });
  }
  if (httpStatus === 400 && failure.method !== undefined && failure.method !== 'GET') {
    return new DuoError({
      ...base,
      kind: 'bad_request',
      message: `Duo refused the change at ${path} (${said}).`,
      fix: 'Duo did not apply it. Re-run the aggregation so duo-insights sees the object as Duo has it now, then try again; if it persists, report it as a duo-insights bug with this message.',
    });
  }
  if (httpStatus === 400) {
    return new DuoError({
      ...base,
      kind: 'bad_request',
      message: `Duo rejected the request parameters for ${path} (${said}).`,
      fix: 'A time window is out of Duo’s range: Duo keeps logs for 180 days, so keep the source’s first-sync backfill (backfillDays, sources create --backfill-days) at 180 or less. If it persists, report it as a duo-insights bug with this message.',
    });
  }
  if (httpStatus === 429) {
    return new DuoError({
      ...base,
      kind: 'rate_limited',
      message: `Duo kept answering 429 Too Many Requests for ${path}${attemptsText(failure.attempts)}.`,
      fix: 'Another tool may be using the same Admin API application’s rate budget; the next scheduled run will continue where this one stopped. Give each tool its own Admin API application, and keep DUO_INSIGHTS_DUO_RATE_LIMIT at duo (the default), which paces requests to Duo’s published limits.',
    });
  }
  if (httpStatus >= 500) {
    return new DuoError({
      ...base,
      kind: 'server_error',
      message: `Duo answered with a server error for ${path} (${said})${attemptsText(failure.attempts)}.`,
      fix: 'This is on Duo’s side (see status.duo.com); the stream will be retried later.',
    });
  }
  return new DuoError({
    ...base,
    kind: 'bad_response',
    message: `Duo answered ${path} with an unexpected HTTP status (${said}).`,
    fix: 'Check that the API hostname is a Duo API host and that no proxy (HTTPS_PROXY, or the source’s proxy) rewrites the traffic.',
  });
}

function describeDuoAnswer(failure: HttpFailure): string {
  const parts = [`HTTP ${failure.httpStatus}`];
  if (failure.duoCode !== undefined) parts.push(String(failure.duoCode));
  let text = parts.join(' ');
  if (failure.duoMessage) text += ` ${failure.duoMessage}`;
  if (failure.messageDetail) text += `: ${failure.messageDetail}`;
  return text;
}

function attemptsText(attempts: number | undefined): string {
  return attempts !== undefined && attempts > 1 ? ` after ${attempts} attempts` : '';
}

/**
 * A change sent to Duo whose answer was lost or cut after Duo may have applied it: it is never
 * sent again on its own; the caller verifies by reading the object back.
 *
 * @example throw uncertainOutcome('POST', '/admin/v1/users/DU1', 'the answer was cut off');
 */
export function uncertainOutcome(
  method: string,
  path: string,
  what: string,
  extra: { cause?: unknown; attempts?: number } = {},
): DuoError {
  return new DuoError({
    kind: 'uncertain_outcome',
    path,
    ...extra,
    message: `Duo may have applied this change (${method} ${path}): ${what}.`,
    fix: 'Verify in Duo (or re-run the aggregation) whether the change was made before trying it again; it was not sent twice.',
  });
}

export function badResponse(
  path: string,
  problem: string,
  extra: { httpStatus?: number; cause?: unknown; attempts?: number } = {},
): DuoError {
  return new DuoError({
    kind: 'bad_response',
    path,
    ...extra,
    message: `Duo's answer to ${path} is not what the Admin API documents: ${problem}.`,
    fix: 'Usually transient (a proxy or a cut connection); it is retried on the next run. If it persists, report it with this message.',
  });
}

const NETWORK_FIXES: Record<NetworkReason, string> = {
  dns: 'Check the API hostname (api-XXXXXXXX.duosecurity.com, from the Admin API application) and that this server can resolve it (DNS).',
  refused:
    'Check the API hostname and port, and that a firewall lets this server reach it on HTTPS; where outbound traffic must go through a proxy, set HTTPS_PROXY (or the source’s proxy, sources configure --proxy) and check that the proxy answers.',
  timeout:
    'Check that this server can reach the API host: a firewall may drop the traffic, or it must go through a proxy (HTTPS_PROXY, or the source’s proxy, sources configure --proxy).',
  tls: 'The server certificate is not trusted. If a TLS-inspecting proxy or a private CA signs it, set DUO_INSIGHTS_CA_FILE (or the source’s CA file, sources configure --ca-file) to that CA certificate (PEM); never turn verification off.',
  reset:
    'The connection was cut; usually transient. If it persists, check proxies (HTTPS_PROXY, NO_PROXY) and firewalls between this server and Duo.',
  other:
    'Check the network path between this server and the API host: DNS, firewall, and the proxy (HTTPS_PROXY or the source’s proxy, sources configure --proxy; NO_PROXY skips it).',
};

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UND_ERR_PRX_TLS',
]);

/** Classifies a low-level error (undici, node:net, node:tls, DNS) by what the user can fix. */
export function networkReasonOf(error: unknown): NetworkReason {
  for (const link of causeChain(error)) {
    const code = codeOf(link);
    if (code === undefined) continue;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return 'dns';
    if (code === 'ECONNREFUSED') return 'refused';
    if (
      code === 'UND_ERR_CONNECT_TIMEOUT' ||
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT' ||
      code === 'ETIMEDOUT'
    ) {
      return 'timeout';
    }
    if (TLS_CODES.has(code) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS')) {
      return 'tls';
    }
    if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return 'reset';
  }
  return 'other';
}

/**
 * Whether a failure happened before any byte reached the host: the name does not resolve, the
 * connection is refused, or connecting (TCP + TLS) timed out. Retrying at once rarely helps.
 */
export function isConnectFailure(error: unknown): boolean {
  const reason = networkReasonOf(error);
  if (reason === 'dns' || reason === 'refused') return true;
  for (const link of causeChain(error)) if (codeOf(link) === 'UND_ERR_CONNECT_TIMEOUT') return true;
  return false;
}

const NETWORK_WORDS: Record<NetworkReason, string> = {
  dns: 'the host name does not resolve',
  refused: 'the connection was refused',
  timeout: 'no answer in time',
  tls: 'the TLS certificate is not trusted or the handshake failed',
  reset: 'the connection was reset',
  other: 'a network error',
};

/** Maps a failure to reach Duo to a `network` DuoError; `cause` is a scrubbed copy. */
export function networkError(
  target: { path: string; host: string },
  error: unknown,
  scrub: (text: string) => string,
  attempts?: number,
): DuoError {
  const reason = networkReasonOf(error);
  const cause = scrubbedCopy(error, scrub);
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new DuoError({
    kind: 'network',
    networkReason: reason,
    path: target.path,
    ...(attempts === undefined ? {} : { attempts }),
    cause,
    message: `Cannot reach ${target.host} for ${target.path}: ${NETWORK_WORDS[reason]}${detail}${attemptsText(attempts)}.`,
    fix: NETWORK_FIXES[reason],
  });
}

/**
 * A plain Error carrying the message, code and cause chain of `error` with secrets scrubbed, so
 * that no library object (which may hold request options) is kept as a cause.
 */
export function scrubbedCopy(error: unknown, scrub: (text: string) => string, depth = 0): unknown {
  if (!(error instanceof Error)) {
    if (error === undefined) return undefined;
    // JSON.stringify returns undefined for functions and symbols, despite its declared type.
    const text = typeof error === 'string' ? error : (JSON.stringify(error) as string | undefined);
    return new Error(scrub(text ?? 'unknown error'));
  }
  const nested =
    depth < 4 && error.cause !== undefined
      ? scrubbedCopy(error.cause, scrub, depth + 1)
      : undefined;
  // An AggregateError (failed dual-stack connect) often has an empty message of its own.
  const inner = error instanceof AggregateError ? (error.errors as unknown[]) : [];
  const message =
    error.message ||
    inner.map((item) => (item instanceof Error ? item.message : '')).find(Boolean) ||
    error.name;
  const copy = new Error(scrub(message), nested === undefined ? undefined : { cause: nested });
  copy.name = error.name;
  const code = codeOf(error) ?? inner.map(codeOf).find((found) => found !== undefined);
  if (code !== undefined) Object.assign(copy, { code });
  copy.stack = `${copy.name}: ${copy.message}`;
  return copy;
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'string' ? code : undefined;
}
