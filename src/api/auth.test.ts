import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './auth.js';

const MINUTE = 60_000;

describe('LoginThrottle', () => {
  it('refuses a sixth try of one username from one address until the oldest failure leaves the window', () => {
    const throttle = new LoginThrottle();
    for (let i = 0; i < 5; i++)
      expect(throttle.reserve('alice', '192.0.2.1', i * MINUTE).allowed).toBe(true);
    const refused = throttle.reserve('Alice', '192.0.2.1', 5 * MINUTE);
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 600 });
    expect(throttle.reserve('alice', '192.0.2.1', 15 * MINUTE).allowed).toBe(true);
  });

  it('slows a much-failed username down, doubling to the cap, without refusing it', () => {
    const throttle = new LoginThrottle({ slowDownAfter: 2, slowDownMs: 100, maxSlowDownMs: 350 });
    const delays = Array.from({ length: 6 }, (_, i) => {
      const attempt = throttle.reserve('alice', `192.0.2.${i}`, 0);
      return attempt.allowed ? attempt.delayMs : -1;
    });
    expect(delays).toEqual([0, 0, 100, 200, 350, 350]);
  });

  it('takes back a successful attempt and forgets the failures of that username from that address', () => {
    const throttle = new LoginThrottle({ perAddress: 5 });
    for (let i = 0; i < 4; i++) throttle.reserve('alice', '192.0.2.1', 0);
    const right = throttle.reserve('alice', '192.0.2.1', 0);
    if (right.allowed) right.succeeded();
    // 4 failures still count for the address; alice's own count from there starts again.
    expect(throttle.reserve('bob', '192.0.2.1', 0).allowed).toBe(true);
    expect(throttle.reserve('carol', '192.0.2.1', 0).allowed).toBe(false);
  });
});
