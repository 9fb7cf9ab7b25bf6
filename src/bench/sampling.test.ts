import { describe, expect, it } from 'vitest';
import { sampleLatency, summarise } from './sampling.js';

/** A clock that moves only when told: each query "takes" the time its subject says. */
function manualClock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('latency sampling', () => {
  it('gives nearest-rank percentiles', () => {
    const durations = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100 ms
    expect(summarise(durations)).toEqual({
      samples: 100,
      p50Ms: 50,
      p95Ms: 95,
      p99Ms: 99,
      meanMs: 50.5,
      maxMs: 100,
    });
    expect(summarise([7]).p99Ms).toBe(7);
  });

  it('warms up untimed, then times each subject in turn', async () => {
    const clock = manualClock();
    const asked: string[] = [];
    const cost: Record<string, number> = { fast: 1, slow: 9 };
    const sampled = await sampleLatency(
      { samples: 4, warmup: 2, budgetMs: 60_000 },
      ['fast', 'slow'],
      (subject) => {
        asked.push(subject);
        clock.advance(cost[subject] ?? 0);
        return Promise.resolve({ rows: subject.length });
      },
      clock.now,
    );
    expect(asked).toEqual(['fast', 'slow', 'fast', 'slow', 'fast', 'slow']);
    expect(sampled).toMatchObject({ samples: 4, p50Ms: 1, maxMs: 9, answered: { rows: 4 } });
  });

  it('stops a slow query at its time budget, but never below five samples', async () => {
    const clock = manualClock();
    const slow = () => {
      clock.advance(1000);
      return Promise.resolve({ rows: 1 });
    };
    const few = await sampleLatency(
      { samples: 100, warmup: 0, budgetMs: 2500 },
      [0],
      slow,
      clock.now,
    );
    expect(few.samples).toBe(5);
    const more = await sampleLatency(
      { samples: 100, warmup: 0, budgetMs: 7500 },
      [0],
      slow,
      clock.now,
    );
    expect(more.samples).toBe(8);
  });
});
