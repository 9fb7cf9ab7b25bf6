/**
 * Hands out Duo clients: one rate governor per credential (integration key + API host), shared
 * by every stream, run and test of that credential in this process, so together they stay
 * inside Duo's limits. The API host must be a Duo host unless loopback hosts are allowed (demo,
 * tests, the simulator). The CA file and HTTPS proxy come from the configuration, and a source's
 * own settings win over them.
 *
 * @example const duo = connections.clientFor(credentials); … await duo.close();
 */
import type { SourceCredentials, SourceSettings } from '../domain/sources.js';
import {
  createDuoClient,
  parseApiHost,
  RateGovernor,
  type DuoClient,
  type EndpointFamily,
  type RateLimitBackoff,
  type RateLimits,
  type TransportTimeouts,
} from '../duo/index.js';

export interface DuoConnectionOptions {
  /** Allow `127.0.0.1`/`localhost`/`::1` hosts (the simulator). */
  readonly allowLoopbackHosts: boolean;
  /** `DUO_INSIGHTS_CA_FILE`: CA certificates trusted besides the system roots. */
  readonly caFile?: string;
  /** `HTTPS_PROXY`: the proxy Duo is reached through. */
  readonly proxyUrl?: string;
  /** `NO_PROXY`: hosts reached without the proxy. */
  readonly noProxy?: string;
  readonly rateLimits?: RateLimits;
  readonly rateLimitBackoff?: Partial<RateLimitBackoff>;
  /** Retries of 5xx and network errors before a page fails (default 3). */
  readonly transientRetries?: number;
}

export class ApiHostError extends Error {
  override readonly name = 'ApiHostError';
}

const DUO_HOST = /^api-[a-z0-9-]+\.(duosecurity|duofederal)\.com$/i;
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/i;

/**
 * Checks a user-entered API host: `api-XXXXXXXX.duosecurity.com` (or duofederal.com), on port
 * 443 only; loopback hosts, with any port, only when allowed. Throws ApiHostError with what to enter instead.
 */
export function checkApiHost(input: string, allowLoopbackHosts: boolean): void {
  let url: URL;
  try {
    url = new URL(parseApiHost(input).origin);
  } catch (error) {
    throw new ApiHostError(
      `"${input.slice(0, 100)}" is not an API hostname: copy it from the Admin API application in Duo (api-XXXXXXXX.duosecurity.com)`,
      { cause: error },
    );
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  if (DUO_HOST.test(hostname)) {
    // The URL parser drops the default port, so `url.port` is empty for 443.
    if (url.port === '') return;
    throw new ApiHostError(
      `${hostname}:${url.port}: Duo API hosts answer on port 443 only; enter the host name without a port (${hostname})`,
    );
  }
  if (LOOPBACK.test(hostname)) {
    if (allowLoopbackHosts) return;
    throw new ApiHostError(
      `${hostname} is a loopback host, allowed only in demo mode, in tests, or with DUO_INSIGHTS_ALLOW_LOOPBACK_DUO_HOSTS=true`,
    );
  }
  throw new ApiHostError(
    `${hostname} is not a Duo API hostname: it must look like api-XXXXXXXX.duosecurity.com (or .duofederal.com)`,
  );
}

export class DuoConnections {
  readonly #options: DuoConnectionOptions;
  readonly #governors = new Map<string, RateGovernor>();
  readonly #trustedHosts = new Set<string>();

  constructor(options: DuoConnectionOptions) {
    this.#options = options;
  }

  /**
   * Trusts one more API host for the life of this process: the in-process demo simulator (a
   * loopback host, accepted even when loopback hosts are not, and not paced: its limits are off).
   */
  trustHost(apiHost: string): void {
    this.#trustedHosts.add(parseApiHost(apiHost).host);
  }

  #isTrusted(apiHost: string): boolean {
    try {
      return this.#trustedHosts.has(parseApiHost(apiHost).host);
    } catch {
      return false;
    }
  }

  /**
   * A client for one credential; close it when done (the governor stays for the next one). A
   * source's `caFile` and `proxyUrl` settings, when set, replace the process-wide ones; a
   * source's own proxy is used even for hosts `NO_PROXY` names; a trusted host (the demo) is
   * reached without the process-wide proxy. `timeouts` override the transport's (a connection
   * test passes CONNECTION_TEST_TIMEOUTS).
   */
  clientFor(
    credentials: SourceCredentials,
    network: Partial<Pick<SourceSettings, 'caFile' | 'proxyUrl'>> = {},
    options: { readonly timeouts?: TransportTimeouts } = {},
  ): DuoClient {
    const trusted = this.#isTrusted(credentials.apiHost);
    checkApiHost(credentials.apiHost, this.#options.allowLoopbackHosts || trusted);
    const key = `${credentials.integrationKey}@${credentials.apiHost.toLowerCase()}`;
    let governor = this.#governors.get(key);
    if (!governor) {
      const rateLimits = trusted ? 'off' : this.#options.rateLimits;
      governor = new RateGovernor({
        ...(rateLimits === undefined ? {} : { rateLimits }),
        ...(this.#options.rateLimitBackoff === undefined
          ? {}
          : { backoff: this.#options.rateLimitBackoff }),
      });
      this.#governors.set(key, governor);
    }
    const caFile = network.caFile ?? this.#options.caFile;
    const ownProxy = network.proxyUrl ?? undefined;
    // The in-process demo simulator listens on this machine's loopback, which a proxy cannot reach.
    const proxyUrl = ownProxy ?? (trusted ? undefined : this.#options.proxyUrl);
    const noProxy = ownProxy === undefined ? this.#options.noProxy : undefined;
    return createDuoClient(
      {
        apiHost: credentials.apiHost,
        ikey: credentials.integrationKey,
        skey: credentials.secretKey,
        ...(caFile === undefined ? {} : { caFile }),
        ...(proxyUrl === undefined ? {} : { proxyUrl }),
        ...(noProxy === undefined ? {} : { noProxy }),
        ...(options.timeouts === undefined ? {} : { timeouts: options.timeouts }),
        ...(this.#options.transientRetries === undefined
          ? {}
          : { backoff: { transient: { retries: this.#options.transientRetries } } }),
      },
      { governor },
    );
  }

  /**
   * How long, in ms, a request of `family` with this credential would now wait for the rate
   * governor (0 when none was made yet): what a connection test is about to sit through.
   */
  rateLimitDelay(
    credentials: Pick<SourceCredentials, 'integrationKey' | 'apiHost'>,
    family: EndpointFamily,
  ): number {
    const key = `${credentials.integrationKey}@${credentials.apiHost.toLowerCase()}`;
    return this.#governors.get(key)?.delayFor(family) ?? 0;
  }

  close(): void {
    for (const governor of this.#governors.values()) governor.close();
    this.#governors.clear();
  }
}
