import { describe, expect, it } from 'vitest';
import { GovernorClosedError, RateGovernor, sleep } from './governor.js';
import type { GovernorOptions } from './governor.js';

/**
 * A virtual clock: sleepers wake in order of their wake time, time jumps to it at once, and every
 * sleep is recorded. Wakes are run from setImmediate so concurrent callers all get to sleep first.
 */
function virtualTime(random = 0.5) {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const sleepers: { wake: number; resolve: () => void }[] = [];
  const wakeNext = (): void => {
    setImmediate(() => {
      sleepers.sort((a, b) => a.wake - b.wake);
      const next = sleepers.shift();
      if (!next) return;
      now = Math.max(now, next.wake);
      next.resolve();
      if (sleepers.length > 0) wakeNext();
    });
  };
  return {
    sleeps,
    now: () => now,
    deps: {
      clock: () => now,
      random: () => random,
      sleep: (ms: number, signal: AbortSignal) => {
        signal.throwIfAborted();
        sleeps.push(ms);
        return new Promise<void>((resolve) => {
          sleepers.push({ wake: now + ms, resolve });
          wakeNext();
        });
      },
    },
  };
}

function governorWith(options: GovernorOptions, random = 0.5) {
  const time = virtualTime(random);
  return { time, governor: new RateGovernor(options, time.deps) };
}

describe('RateGovernor pacing', () => {
  it('tells how long the next request of a family would wait, without taking its slot', async () => {
    const { time, governor } = governorWith({});
    expect(governor.delayFor('logs_authentication')).toBe(0);
    await governor.acquire('logs_authentication');
    expect(governor.delayFor('logs_authentication')).toBe(30_000);
    expect(governor.delayFor('logs_authentication')).toBe(30_000);
    expect(governor.delayFor('objects_page')).toBe(0);
    await governor.acquire('logs_authentication');
    expect(time.now()).toBe(1_000_000 + 30_000);
    expect(governor.delayFor('logs_authentication')).toBe(30_000);
    expect(governor.delayFor('info')).toBe(0);
  });

  it('lets the first log request go at once and spaces the next ones 30 s apart (2 per minute)', async () => {
    const { time, governor } = governorWith({});
    const sentAt: number[] = [];
    for (let i = 0; i < 4; i++) {
      await governor.acquire('logs_authentication');
      sentAt.push(time.now());
    }
    expect(sentAt.map((at) => at - (sentAt[0] ?? 0))).toEqual([0, 30_000, 60_000, 90_000]);
  });

  it('does not sleep at all when work resumes after the interval has already passed', async () => {
    const { time, governor } = governorWith({});
    await governor.acquire('logs_authentication');
    await time.deps.sleep(45_000, new AbortController().signal); // the caller was busy storing
    time.sleeps.length = 0;
    await governor.acquire('logs_authentication');
    expect(time.sleeps).toEqual([]);
  });

  it('paces each endpoint family on its own budget', async () => {
    const { time, governor } = governorWith({});
    await governor.acquire('logs_authentication');
    await governor.acquire('logs_telephony');
    await governor.acquire('objects_page');
    expect(time.sleeps).toEqual([]);
  });

  it('lets a burst through back to back, then paces at the sustained rate', async () => {
    const { time, governor } = governorWith({
      rateLimits: { objects_page: { perMinute: 60, burst: 3 } },
    });
    const sentAt: number[] = [];
    for (let i = 0; i < 5; i++) {
      await governor.acquire('objects_page');
      sentAt.push(time.now() - 1_000_000);
    }
    expect(sentAt).toEqual([0, 0, 0, 1_000, 2_000]);
  });

  it('spaces concurrent streams of one credential instead of releasing them together', async () => {
    const { time, governor } = governorWith({
      rateLimits: { logs_activity: { perMinute: 6, burst: 1 } },
    });
    const sentAt: number[] = [];
    await Promise.all(
      [0, 1, 2].map(async () => {
        await governor.acquire('logs_activity');
        sentAt.push(time.now() - 1_000_000);
      }),
    );
    expect(sentAt.sort((a, b) => a - b)).toEqual([0, 10_000, 20_000]);
  });

  it('paces nothing when rate limits are off', async () => {
    const { time, governor } = governorWith({ rateLimits: 'off' });
    for (let i = 0; i < 10; i++) await governor.acquire('logs_authentication');
    expect(time.sleeps).toEqual([]);
    expect(governor.stats().requests).toBe(10);
  });

  it('refuses a nonsensical rate', () => {
    expect(() => new RateGovernor({ rateLimits: { info: { perMinute: 0, burst: 1 } } })).toThrow(
      /perMinute must be > 0/,
    );
  });
});

describe('RateGovernor backoff on 429', () => {
  it('backs off exponentially with full jitter, capped per wait', () => {
    const { governor } = governorWith(
      { rateLimits: 'off', backoff: { initialMs: 1_000, maxDelayMs: 8_000 } },
      1 - Number.EPSILON,
    );
    const delays = [1, 2, 3, 4, 5, 6].map((n) => governor.rateLimited('object', n, 0));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  });

  it('draws each wait anywhere between zero and the exponential step (full jitter)', () => {
    const { governor } = governorWith({ backoff: { initialMs: 1_000 } }, 0.25);
    expect(governor.rateLimited('object', 3, 0)).toBe(1_000); // 0.25 × 4 s
  });

  it('holds back every request of the family until the backoff has passed', async () => {
    const { time, governor } = governorWith({ rateLimits: 'off' }, 0.5);
    const delay = governor.rateLimited('logs_authentication', 3, 0); // 0.5 × 4 s
    expect(delay).toBe(2_000);
    await governor.acquire('logs_authentication');
    expect(time.sleeps).toEqual([2_000]);
    await governor.acquire('logs_telephony');
    expect(time.sleeps).toEqual([2_000]);
  });

  it('gives up once the request has waited its whole budget, never waiting past it', () => {
    const { governor } = governorWith(
      { backoff: { initialMs: 1_000, maxDelayMs: 60_000, maxTotalWaitMs: 240_000 } },
      1 - Number.EPSILON,
    );
    let waited = 0;
    let consecutive = 0;
    for (;;) {
      consecutive++;
      const delay = governor.rateLimited('logs_authentication', consecutive, waited);
      if (delay === undefined) break;
      waited += delay;
    }
    expect(waited).toBe(240_000);
    expect(consecutive).toBeGreaterThan(7); // longer than the official clients' 63 s ladder
    expect(governor.stats().rateLimited).toBe(consecutive);
  });

  it('reports its 429 count and the time it waited', async () => {
    const { governor } = governorWith({ rateLimits: 'off' }, 0.5);
    governor.rateLimited('logs_telephony', 1, 0);
    await governor.acquire('logs_telephony');
    const stats = governor.stats();
    expect(stats.rateLimited).toBe(1);
    expect(stats.byFamily.logs_telephony).toEqual({ requests: 1, rateLimited: 1 });
    expect(stats.backoffMs).toBe(500);
    expect(stats.waitedMs).toBe(500);
  });
});

describe('RateGovernor cancellation', () => {
  it('stops waiting as soon as the caller aborts', async () => {
    const governor = new RateGovernor({});
    await governor.acquire('logs_authentication');
    const controller = new AbortController();
    const waiting = governor.acquire('logs_authentication', controller.signal); // 30 s ahead
    const started = Date.now();
    setTimeout(() => {
      controller.abort(new Error('sync cancelled'));
    }, 20);
    await expect(waiting).rejects.toThrow('sync cancelled');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('rejects pending waits when closed, and refuses new ones', async () => {
    const governor = new RateGovernor({});
    await governor.acquire('logs_administrator');
    const waiting = governor.acquire('logs_administrator');
    governor.close();
    await expect(waiting).rejects.toBeInstanceOf(GovernorClosedError);
    await expect(governor.acquire('object')).rejects.toBeInstanceOf(GovernorClosedError);
  });

  it('sleep rejects at once with the reason of an already aborted signal', async () => {
    await expect(sleep(60_000, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });
});
