/**
 * Token buckets per (integration key, endpoint family), in real time, answering 429/42901
 * without `Retry-After` as Duo does (reference/duo-admin-api.md §2.3).
 *
 * `'duo'` uses figures from Duo staff (duo_client_python#101, 2019): logs 2 requests/min (burst 2),
 * a page of objects 200/min (burst 50), a single object 300/min (burst 50), info 40/min (burst 5,
 * Duo's "get all objects" class). A partial map limits only the families it names.
 *
 * @example const limiter = createRateLimiter('duo'); limiter.take('DI…', 'logs_authentication')
 */
import { ENDPOINT_FAMILIES, type EndpointFamily } from './replies.js';

export interface BucketLimit {
  readonly perMinute: number;
  readonly burst: number;
}

export type RateLimitConfig = 'off' | 'duo' | Partial<Record<EndpointFamily, BucketLimit>>;

export const DUO_RATE_LIMITS: Readonly<Record<EndpointFamily, BucketLimit>> = {
  logs_authentication: { perMinute: 2, burst: 2 },
  logs_telephony: { perMinute: 2, burst: 2 },
  logs_administrator: { perMinute: 2, burst: 2 },
  logs_offline: { perMinute: 2, burst: 2 },
  logs_activity: { perMinute: 2, burst: 2 },
  logs_trust_monitor: { perMinute: 2, burst: 2 },
  objects_page: { perMinute: 200, burst: 50 },
  object: { perMinute: 300, burst: 50 },
  info: { perMinute: 40, burst: 5 },
};

export interface RateLimiter {
  /** Takes one token; false when the bucket is empty (answer 429). */
  take(ikey: string, family: EndpointFamily): boolean;
}

export function resolveRateLimits(
  config: RateLimitConfig,
): Partial<Record<EndpointFamily, BucketLimit>> {
  if (config === 'off') return {};
  if (config === 'duo') return DUO_RATE_LIMITS;
  for (const [family, limit] of Object.entries(config)) {
    if (!(ENDPOINT_FAMILIES as readonly string[]).includes(family)) {
      throw new RangeError(`unknown endpoint family for rate limits: ${family}`);
    }
    if (!(limit.perMinute > 0) || !(limit.burst >= 1)) {
      throw new RangeError(`rate limit of ${family} needs perMinute > 0 and burst >= 1`);
    }
  }
  return config;
}

export function createRateLimiter(
  config: RateLimitConfig,
  realClock: () => number = Date.now,
): RateLimiter {
  const limits = resolveRateLimits(config);
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(ikey, family) {
      const limit = limits[family];
      if (!limit) return true;
      const key = `${ikey}\u0000${family}`;
      const now = realClock();
      const bucket = buckets.get(key) ?? { tokens: limit.burst, at: now };
      bucket.tokens = Math.min(
        limit.burst,
        bucket.tokens + ((now - bucket.at) * limit.perMinute) / 60_000,
      );
      bucket.at = now;
      buckets.set(key, bucket);
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
      return true;
    },
  };
}
