import { describe, expect, it } from 'vitest';
import { DAY_MS } from './time.js';
import { suggestAccess } from './reports.js';

const NOW = 1_800_000_000_000;

describe('the access-review suggestion', () => {
  it('keeps someone active recently and says how often', () => {
    expect(
      suggestAccess({ status: 'active', lastActivityMs: NOW - DAY_MS, daysActive90: 12 }, NOW),
    ).toEqual({
      suggestion: 'keep',
      reason: 'active on 12 of the last 90 days, last active yesterday',
    });
  });

  it('suggests revoking a disabled account, one never used, and one idle for 90 days', () => {
    expect(
      suggestAccess({ status: 'disabled', lastActivityMs: NOW, daysActive90: 3 }, NOW).suggestion,
    ).toBe('revoke');
    expect(
      suggestAccess({ status: 'active', lastActivityMs: null, daysActive90: 0 }, NOW).reason,
    ).toMatch(/never/);
    expect(
      suggestAccess({ status: 'active', lastActivityMs: NOW - 100 * DAY_MS, daysActive90: 0 }, NOW)
        .reason,
    ).toBe('no Duo activity for 100 days');
  });
});
