import { describe, expect, it } from 'vitest';
import { DAY_MS, ms } from '../domain/time.js';
import { plannedWindows } from '../sync/activity-sync.js';
import { DEFAULT_CURSOR_SETTINGS, type StreamCursor } from '../sync/cursor.js';
import { progressShare, runStats } from './views.js';

const NOW = ms(Date.UTC(2026, 11, 1));
const settings = { ...DEFAULT_CURSOR_SETTINGS, now: NOW };

/** A stream whose 30-day backfill has read its newest `doneDays` days. */
function backfilling(doneDays: number): StreamCursor {
  return {
    version: 1,
    syncedUntil: NOW,
    backfill: { from: ms(NOW - 30 * DAY_MS), doneDownTo: ms(NOW - doneDays * DAY_MS) },
  };
}

describe('a run as answers show it', () => {
  it('gives a sync the share of its stream least far along; a finished backfill counts whole', () => {
    const progress = {
      authentication: {
        window: { purpose: 'backfill' },
        cursor: backfilling(10),
      },
      telephony: {
        window: { purpose: 'backfill' },
        cursor: { version: 1, syncedUntil: NOW },
      },
      windows: { done: 3, total: 4 },
      firstSync: true,
      warnings: [],
    };
    expect(progressShare({ kind: 'sync', progress })).toBeCloseTo(10 / 30);
    expect(
      progressShare({ kind: 'sync', progress: { telephony: progress.telephony, warnings: [] } }),
    ).toBe(1);
    // A stream still in its first 24 hours has no backfill yet: nothing to tell.
    expect(
      progressShare({
        kind: 'sync',
        progress: { telephony: { window: { purpose: 'recent' }, cursor: { version: 1 } } },
      }),
    ).toBeNull();
  });

  it('counts a sync’s pages, events and windows; an aggregation has none of them', () => {
    const counts = {
      authentication: { pages: 3, eventsNew: 2500, eventsUpdated: 2, rejected: 0, rateLimited: 1 },
      telephony: { pages: 1, eventsNew: 40, eventsUpdated: 0, rejected: 0, rateLimited: 0 },
    };
    expect(
      runStats({
        kind: 'sync',
        counts,
        progress: { windows: { done: 3, total: 4 }, firstSync: true, warnings: ['slow'] },
      }),
    ).toEqual({
      pages: 4,
      events: 2542,
      windows: { done: 3, total: 4 },
      firstSync: true,
      warnings: ['slow'],
    });
    expect(runStats({ kind: 'aggregation', counts: { accounts: 12 }, progress: null })).toEqual({
      pages: null,
      events: null,
      windows: null,
      firstSync: false,
      warnings: [],
    });
  });

  it('plans two windows for a stream never synced (its first day, then its backfill), one after', () => {
    expect(plannedWindows({ version: 1 }, settings)).toBe(2);
    expect(plannedWindows({ version: 1, syncedUntil: ms(NOW - DAY_MS) }, settings)).toBe(1);
    expect(plannedWindows(backfilling(10), settings)).toBe(1);
    const resuming: StreamCursor = {
      version: 1,
      syncedUntil: ms(NOW - DAY_MS),
      window: { min: ms(NOW - 2 * DAY_MS), max: ms(NOW - DAY_MS / 2), resume: 'next' },
    };
    expect(plannedWindows(resuming, settings)).toBe(2);
  });
});
