/**
 * The simulator's clock: sim time = start + real elapsed × speed + every manual advance. Rate
 * limits, the `Date` skew check, the request log and `slow` faults use real time (a `RealClock`,
 * injected by tests to move it without waiting); visibility of events uses sim time.
 *
 * @example const clock = createSimClock({ start: ms(Date.now()), speed: 60 }); clock.now();
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ms, nowMs, type EpochMs } from '../domain/time.js';

/** Real time as the simulator reads and waits for it. */
export interface RealClock {
  /** Milliseconds since the epoch, as `Date.now()`. */
  readonly now: () => number;
  /** Resolves after `delayMs` of this clock; rejects when `signal` aborts. */
  readonly sleep: (delayMs: number, signal: AbortSignal) => Promise<void>;
}

/** The machine's clock (the default everywhere). */
export const SYSTEM_CLOCK: RealClock = {
  now: () => Date.now(),
  sleep: async (delayMs, signal) => {
    await delay(delayMs, undefined, { signal });
  },
};

export interface SimClock {
  /** Sim time now. */
  now(): EpochMs;
  /** Moves sim time forward (never back). */
  advance(deltaMs: number): EpochMs;
  describe(): SimClockState;
}

export interface SimClockState {
  readonly now: EpochMs;
  readonly start: EpochMs;
  readonly speed: number;
  readonly advancedMs: number;
  readonly realNow: EpochMs;
}

export function createSimClock(
  options: { start: EpochMs; speed: number },
  realClock: () => number = Date.now,
): SimClock {
  const realStart = realClock();
  let advancedMs = 0;
  const now = (): EpochMs =>
    ms(options.start + Math.floor((realClock() - realStart) * options.speed) + advancedMs);
  return {
    now,
    advance(deltaMs) {
      if (!Number.isSafeInteger(deltaMs) || deltaMs < 0) {
        throw new RangeError(`advanceMs must be a whole, non-negative number: ${deltaMs}`);
      }
      advancedMs += deltaMs;
      return now();
    },
    describe: () => ({
      now: now(),
      start: options.start,
      speed: options.speed,
      advancedMs,
      realNow: nowMs(realClock),
    }),
  };
}
