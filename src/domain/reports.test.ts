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

  it('keeps someone Duo saw sign in lately although no event of theirs is stored', () => {
    // No activity source, or an administrator (whose log names no Duo user): Duo's last login
    // or the administrator log says when, and no day holds stored events.
    expect(
      suggestAccess({ status: 'active', lastActivityMs: NOW - 3 * DAY_MS, daysActive90: 0 }, NOW),
    ).toEqual({
      suggestion: 'keep',
      reason:
        "last active 3 days ago (Duo's last login or the administrator log); no day with stored events in the last 90 days",
    });
  });
});
