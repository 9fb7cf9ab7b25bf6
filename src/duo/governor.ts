/**
 * The rate governor of one Duo credential: paces requests per endpoint family from a token bucket
 * (GCRA), backs off on 429 with exponential backoff and full jitter up to a total wait budget per
 * request, and counts what it did. One instance per credential, shared by every stream of it;
 * the sync engine creates it and closes it.
 *
 * @example const governor = new RateGovernor({ rateLimits: { logs_authentication: { perMinute: 2, burst: 1 } } });
 *   await governor.acquire('logs_authentication', signal); // resolves when a request may go
 */

import { ENDPOINT_FAMILIES, type EndpointFamily } from './wire.js';

export { ENDPOINT_FAMILIES, type EndpointFamily };

/** A token bucket: `perMinute` sustained, `burst` requests may go back to back. */
export interface FamilyRate {
  readonly perMinute: number;
  readonly burst: number;
}

/** Per-family rates; a family left out keeps its default; `'off'` paces nothing (benchmarks). */
export type RateLimits = 'off' | Partial<Record<EndpointFamily, FamilyRate | 'off'>>;

/**
 * Defaults from Duo's published figures (reference/duo-admin-api.md §2.3): log endpoints 2 per
 * minute each; a page of objects 200 per minute; a single object 300 per minute; info ("get all
 * objects") 40 per minute. Burst 1: requests are spaced evenly, never sent in clumps.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<EndpointFamily, FamilyRate>> = {
  logs_authentication: { perMinute: 2, burst: 1 },
  logs_telephony: { perMinute: 2, burst: 1 },
  logs_administrator: { perMinute: 2, burst: 1 },
  logs_offline: { perMinute: 2, burst: 1 },
  logs_activity: { perMinute: 2, burst: 1 },
  logs_trust_monitor: { perMinute: 2, burst: 1 },
  objects_page: { perMinute: 200, burst: 1 },
  object: { perMinute: 300, burst: 1 },
  info: { perMinute: 40, burst: 1 },
};

/** Backoff on 429 (Duo sends no Retry-After). */
export interface RateLimitBackoff {
  /** The first backoff step before jitter (default 1 s). */
  readonly initialMs: number;
  /** The largest single wait (default 60 s). */
  readonly maxDelayMs: number;
  /** Total backoff one request may wait before it fails as rate_limited (default 4 min). */
  readonly maxTotalWaitMs: number;
}

export const DEFAULT_RATE_LIMIT_BACKOFF: RateLimitBackoff = {
  initialMs: 1_000,
  maxDelayMs: 60_000,
  maxTotalWaitMs: 240_000,
};

export interface GovernorOptions {
  readonly rateLimits?: RateLimits;
  readonly backoff?: Partial<RateLimitBackoff>;
}

/** Injected time, for tests of the pure timing logic. */
export interface GovernorDeps {
  readonly clock?: () => number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Uniform in [0, 1). */
  readonly random?: () => number;
}

export interface FamilyStats {
  readonly requests: number;
  readonly rateLimited: number;
}

export interface GovernorStats {
  /** Requests let through. */
  readonly requests: number;
  /** 429 answers seen. */
  readonly rateLimited: number;
  /** Time spent waiting in `acquire` and `wait` (pacing, backoff, retries). */
  readonly waitedMs: number;
  /** Backoff chosen after 429s. */
  readonly backoffMs: number;
  readonly byFamily: Readonly<Record<EndpointFamily, FamilyStats>>;
}

/** Thrown (as the rejection) to pending waits when the governor is closed. */
export class GovernorClosedError extends Error {
  override readonly name = 'GovernorClosedError';
  constructor() {
    super('the rate governor was closed');
  }
}

export class RateGovernor {
  readonly #rates: Readonly<Record<EndpointFamily, FamilyRate | 'off'>>;
  readonly #backoff: RateLimitBackoff;
  readonly #clock: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #closed = new AbortController();
  /** GCRA theoretical arrival time per family. */
  readonly #tat = new Map<EndpointFamily, number>();
  /** No request of the family before this instant (after a 429). */
  readonly #blockedUntil = new Map<EndpointFamily, number>();
  readonly #counts = new Map<EndpointFamily, { requests: number; rateLimited: number }>();
  #waitedMs = 0;
  #backoffMs = 0;

  constructor(options: GovernorOptions = {}, deps: GovernorDeps = {}) {
    this.#rates = resolveRates(options.rateLimits);
    this.#backoff = { ...DEFAULT_RATE_LIMIT_BACKOFF, ...options.backoff };
    this.#clock = deps.clock ?? Date.now;
    this.#sleep = deps.sleep ?? sleep;
    this.#random = deps.random ?? Math.random;
    for (const family of ENDPOINT_FAMILIES)
      this.#counts.set(family, { requests: 0, rateLimited: 0 });
  }

  get backoff(): RateLimitBackoff {
    return this.#backoff;
  }

  /**
   * Waits until a request of `family` may be sent, then counts it. The slot is reserved before
   * sleeping, so concurrent callers are spaced, not released together.
   */
  async acquire(family: EndpointFamily, signal?: AbortSignal): Promise<void> {
    this.#throwIfClosed();
    signal?.throwIfAborted();
    const now = this.#clock();
    let allowAt = Math.max(now, this.#blockedUntil.get(family) ?? 0);
    const rate = this.#rates[family];
    if (rate !== 'off') {
      const interval = 60_000 / rate.perMinute;
      const tolerance = interval * (rate.burst - 1);
      const tat = Math.max(this.#tat.get(family) ?? now, now);
      allowAt = Math.max(allowAt, tat - tolerance);
      this.#tat.set(family, Math.max(tat, allowAt) + interval);
    }
    if (allowAt > now) await this.wait(allowAt - now, signal);
    const counts = this.#countsOf(family);
    counts.requests++;
  }

  /**
   * How long, in ms, a request of `family` sent now would wait in `acquire` (pacing and any
   * 429 backoff), without reserving a slot: 0 when it may go at once.
   */
  delayFor(family: EndpointFamily): number {
    const now = this.#clock();
    let allowAt = Math.max(now, this.#blockedUntil.get(family) ?? 0);
    const rate = this.#rates[family];
    if (rate !== 'off') {
      const interval = 60_000 / rate.perMinute;
      const tolerance = interval * (rate.burst - 1);
      allowAt = Math.max(allowAt, Math.max(this.#tat.get(family) ?? now, now) - tolerance);
    }
    return Math.max(0, allowAt - now);
  }

  /**
   * Records a 429 for `family` and decides the backoff: exponential from `initialMs`, capped at
   * `maxDelayMs`, full jitter, within what is left of `maxTotalWaitMs` for this request. Every
   * request of the family waits it out (in `acquire`). Returns the delay, or undefined when the
   * request has spent its budget and must fail.
   *
   * @param consecutive 1 for the request's first 429, 2 for the next, …
   * @param waitedMs backoff this request already waited
   * @param budgetMs this request's budget (default `maxTotalWaitMs`)
   */
  rateLimited(
    family: EndpointFamily,
    consecutive: number,
    waitedMs: number,
    budgetMs: number = this.#backoff.maxTotalWaitMs,
  ): number | undefined {
    this.#countsOf(family).rateLimited++;
    const remaining = budgetMs - waitedMs;
    if (remaining <= 0) return undefined;
    const step = Math.min(
      this.#backoff.maxDelayMs,
      this.#backoff.initialMs * 2 ** Math.max(0, consecutive - 1),
    );
    const delay = Math.min(remaining, Math.max(1, Math.round(this.#random() * step)));
    this.#backoffMs += delay;
    const until = this.#clock() + delay;
    this.#blockedUntil.set(family, Math.max(this.#blockedUntil.get(family) ?? 0, until));
    return delay;
  }

  /** Sleeps `ms`, honouring the caller's signal and the governor's close. */
  async wait(ms: number, signal?: AbortSignal): Promise<void> {
    this.#throwIfClosed();
    if (ms <= 0) return;
    const combined = signal ? AbortSignal.any([signal, this.#closed.signal]) : this.#closed.signal;
    const started = this.#clock();
    try {
      await this.#sleep(ms, combined);
    } finally {
      this.#waitedMs += Math.max(0, this.#clock() - started);
    }
  }

  stats(): GovernorStats {
    let requests = 0;
    let rateLimited = 0;
    const byFamily = {} as Record<EndpointFamily, FamilyStats>;
    for (const family of ENDPOINT_FAMILIES) {
      const counts = this.#countsOf(family);
      requests += counts.requests;
      rateLimited += counts.rateLimited;
      byFamily[family] = { ...counts };
    }
    return {
      requests,
      rateLimited,
      waitedMs: this.#waitedMs,
      backoffMs: this.#backoffMs,
      byFamily,
    };
  }

  /** Rejects every pending wait; later calls fail. */
  close(): void {
    if (!this.#closed.signal.aborted) this.#closed.abort(new GovernorClosedError());
  }

  #throwIfClosed(): void {
    if (this.#closed.signal.aborted) throw new GovernorClosedError();
  }

  #countsOf(family: EndpointFamily): { requests: number; rateLimited: number } {
    let counts = this.#counts.get(family);
    if (!counts) {
      counts = { requests: 0, rateLimited: 0 };
      this.#counts.set(family, counts);
    }
    return counts;
  }
}

function resolveRates(
  limits: RateLimits | undefined,
): Readonly<Record<EndpointFamily, FamilyRate | 'off'>> {
  const rates: Record<EndpointFamily, FamilyRate | 'off'> = { ...DEFAULT_RATE_LIMITS };
  if (limits === 'off') {
    for (const family of ENDPOINT_FAMILIES) rates[family] = 'off';
    return rates;
  }
  for (const family of ENDPOINT_FAMILIES) {
    const rate = limits?.[family];
    if (rate === undefined) continue;
    if (rate !== 'off' && (!(rate.perMinute > 0) || !(rate.burst >= 1))) {
      throw new RangeError(`rate limit of ${family}: perMinute must be > 0 and burst >= 1`);
    }
    rates[family] = rate;
  }
  return rates;
}

/** The real sleep: a timer, cancelled by the signal (rejects with its reason). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The reason a signal aborted, as an Error. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('aborted', { cause: reason });
}
