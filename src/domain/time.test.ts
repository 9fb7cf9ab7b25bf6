import { describe, expect, it } from 'vitest';
import { msToSeconds, parseIsoMs, seconds, secondsToMs } from './time.js';

describe('time units', () => {
  it('converts seconds to milliseconds once', () => {
    expect(secondsToMs(seconds(1579878582))).toBe(1579878582000);
  });

  it('rounds milliseconds down to the containing second', () => {
    expect(msToSeconds((secondsToMs(seconds(10)) + 999) as never)).toBe(10);
  });

  it('parses Duo isotimestamps with microseconds the way next_offset truncates them', () => {
    expect(parseIsoMs('2020-08-17T13:43:58.335969+00:00')).toBe(1597671838335);
  });

  it('parses isotimestamps without a fraction and with other zones', () => {
    expect(parseIsoMs('2020-01-24T15:09:42+00:00')).toBe(1579878582000);
    expect(parseIsoMs('2020-01-24T16:09:42+0100')).toBe(1579878582000);
    expect(parseIsoMs('2020-01-24T15:09:42Z')).toBe(1579878582000);
  });

  it('rejects text that is not a timestamp', () => {
    expect(parseIsoMs('yesterday')).toBeUndefined();
    expect(parseIsoMs('2020-13-45T99:99:99+00:00')).toBeUndefined();
  });
});
