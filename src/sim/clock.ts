/**
 * The simulator's clock: sim time = start + real elapsed × speed + every manual advance. Rate
 * limits and the `Date` skew check use real time; visibility of events uses sim time.
 *
 * @example const clock = createSimClock({ start: ms(Date.now()), speed: 60 }); clock.now();
 */
import { ms, nowMs, type EpochMs } from '../domain/time.js';

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
