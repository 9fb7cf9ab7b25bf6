/**
 * Faults on demand, set through `POST /_sim/faults`: each names a kind, a path glob (`*` matches
 * anything; default every Duo endpoint) and fires `count` times or with a `probability` per
 * matching request (both: at most `count` times). Without either it fires once. With `after`
 * it lets that many matching requests through first (e.g. fail a window's second page).
 *
 * @example faults.add({ kind: '5xx', path: '/admin/v2/logs/*', count: 2, status: 503 })
 */
import { z } from 'zod';

export const FAULT_KINDS = [
  '5xx',
  'slow',
  'hang',
  'reset',
  'truncate',
  'bad_record',
  'rate_limit',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const FaultSpecSchema = z.strictObject({
  kind: z.enum(FAULT_KINDS),
  /** Glob over the request path, e.g. `/admin/v2/logs/*`; `*` matches any characters. */
  path: z.string().min(1).default('*'),
  /** Only requests signed with this integration key. */
  ikey: z.string().optional(),
  count: z.number().int().positive().optional(),
  probability: z.number().min(0).max(1).optional(),
  /** Matching requests let through before the fault starts to fire (default 0). */
  after: z.number().int().nonnegative().optional(),
  /** `5xx`: 500, 502 or 503 (default 503). */
  status: z.union([z.literal(500), z.literal(502), z.literal(503)]).optional(),
  /** `5xx`: a Duo FAIL body (default) or an HTML page as a load balancer sends. */
  body: z.enum(['json', 'html']).optional(),
  /** `slow`: delay before the headers, ms (default 2000). */
  delayMs: z.number().int().nonnegative().optional(),
});
export type FaultSpec = z.output<typeof FaultSpecSchema>;
/** A fault as written by hand (`path` optional). */
export type FaultInput = z.input<typeof FaultSpecSchema>;

export interface Fault extends FaultSpec {
  readonly id: number;
  /** How many more times it fires (undefined: unlimited, by probability). */
  remaining?: number;
  /** How many more matching requests pass before it fires. */
  passing: number;
}

export interface FaultBook {
  add(spec: FaultSpec): Fault;
  clear(): void;
  list(): readonly Fault[];
  /** The first fault of `kind` matching this request that fires now (consumed when counted). */
  take(kind: FaultKind, path: string, ikey: string | undefined): Fault | undefined;
}

export function createFaultBook(random: () => number): FaultBook {
  let faults: Fault[] = [];
  const patterns = new Map<string, RegExp>();
  let nextId = 1;
  const matches = (glob: string, path: string): boolean => {
    let pattern = patterns.get(glob);
    if (!pattern) {
      const source = glob
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*');
      pattern = new RegExp(`^${source}$`);
      patterns.set(glob, pattern);
    }
    return pattern.test(path);
  };
  return {
    add(spec) {
      const remaining = spec.count ?? (spec.probability === undefined ? 1 : undefined);
      const passing = spec.after ?? 0;
      const fault: Fault =
        remaining === undefined
          ? { ...spec, id: nextId++, passing }
          : { ...spec, id: nextId++, passing, remaining };
      faults.push(fault);
      return fault;
    },
    clear() {
      faults = [];
    },
    list: () => faults,
    take(kind, path, ikey) {
      for (const fault of faults) {
        if (fault.kind !== kind || !matches(fault.path, path)) continue;
        if (fault.ikey !== undefined && fault.ikey !== ikey) continue;
        if (fault.passing > 0) {
          fault.passing -= 1;
          continue;
        }
        if (fault.probability !== undefined && random() >= fault.probability) continue;
        if (fault.remaining !== undefined) {
          fault.remaining -= 1;
          if (fault.remaining <= 0) faults = faults.filter((f) => f !== fault);
        }
        return fault;
      }
      return undefined;
    },
  };
}

/** A small seeded PRNG (mulberry32) so probabilistic faults repeat with the seed. */
export function seededRandom(seed: string): () => number {
  let state = 0x9e3779b9;
  for (let i = 0; i < seed.length; i++) state = Math.imul(state ^ seed.charCodeAt(i), 0x5bd1e995);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
