/**
 * The simulator's bounded request log (a ring buffer): what clients asked and what they got, so
 * tests can assert on pacing, parameters and retries.
 *
 * @example log.record({ method: 'GET', path: '/admin/v1/users', ... }); log.entries();
 */
import type { EpochMs } from '../domain/time.js';

export interface RequestLogEntry {
  readonly method: string;
  readonly path: string;
  /** The raw query string as sent, without `?`. */
  readonly query: string;
  /**
   * Query parameters decoded as form data (`+` is a space), in order, repeats kept; for an
   * authenticated POST, its body's parameters (form or JSON).
   */
  readonly params: readonly (readonly [string, string])[];
  /** HTTP status answered; 0 when the connection was reset or left hanging. */
  readonly status: number;
  /** Duo `code` of a failure, when there was one. */
  readonly code?: number;
  /** The integration key the request claimed, when it carried one. */
  readonly ikey?: string;
  /** The fault injected into this request, when one was. */
  readonly fault?: string;
  /** Real time the request arrived. */
  readonly at: EpochMs;
  /** Sim time the request arrived. */
  readonly simAt: EpochMs;
}

export interface RequestLog {
  record(entry: RequestLogEntry): void;
  /** Oldest first. */
  entries(): RequestLogEntry[];
  clear(): void;
}

export function createRequestLog(capacity = 10_000): RequestLog {
  const ring: (RequestLogEntry | undefined)[] = new Array<RequestLogEntry | undefined>(capacity);
  let next = 0;
  let size = 0;
  return {
    record(entry) {
      ring[next] = entry;
      next = (next + 1) % capacity;
      size = Math.min(size + 1, capacity);
    },
    entries() {
      const out: RequestLogEntry[] = [];
      for (let i = 0; i < size; i++) {
        const entry = ring[(next - size + i + capacity) % capacity];
        if (entry) out.push(entry);
      }
      return out;
    },
    clear() {
      ring.fill(undefined);
      next = 0;
      size = 0;
    },
  };
}
