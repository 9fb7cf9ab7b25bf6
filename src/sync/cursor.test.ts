import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, MINUTE_MS, ms } from '../domain/time.js';
import {
  advanceWindow,
  backfillProgress,
  completeWindow,
  DEFAULT_CURSOR_SETTINGS,
  EMPTY_CURSOR,
  extendBackfill,
  parseCursor,
  planNextWindow,
  retentionFloor,
  type StreamCursor,
} from './cursor.js';

const now = ms(Date.UTC(2026, 10, 28, 12, 0, 0));
const settings = { ...DEFAULT_CURSOR_SETTINGS, now };
const end = now - 2 * MINUTE_MS;

describe('stream cursors', () => {
  it('starts a new stream with the last 24 hours, ending two minutes before now', () => {
    expect(planNextWindow(EMPTY_CURSOR, settings, 'recent')).toEqual({
      purpose: 'recent',
      min: end - DAY_MS,
      max: end,
    });
  });

  it('schedules a 30-day backfill after the first window, read as one window', () => {
    const first = planNextWindow(EMPTY_CURSOR, settings, 'recent');
    if (!first) throw new Error('expected a window');
    const after = completeWindow(EMPTY_CURSOR, first, settings);
    expect(after.syncedUntil).toBe(end);
    expect(after.backfill).toEqual({ from: end - 30 * DAY_MS, doneDownTo: end - DAY_MS });
    expect(planNextWindow(after, settings, 'recent')).toBeUndefined();
    const back = planNextWindow(after, settings, 'backfill');
    expect(back).toEqual({ purpose: 'backfill', min: end - 30 * DAY_MS, max: end - DAY_MS });
  });

  it('reads a 180-day backfill as one window that starts inside Duo’s retention', () => {
    const deep = { ...settings, backfillMs: 180 * DAY_MS };
    const first = planNextWindow(EMPTY_CURSOR, deep, 'recent');
    if (!first) throw new Error('expected a window');
    const back = planNextWindow(completeWindow(EMPTY_CURSOR, first, deep), deep, 'backfill');
    expect(back).toEqual({ purpose: 'backfill', min: retentionFloor(now), max: end - DAY_MS });
    // Duo's longest mintime..maxtime span is 180 days.
    if (!back) throw new Error('expected a backfill window');
    expect(back.max - back.min).toBeLessThan(180 * DAY_MS);
  });

  it('still walks the backfill in chunks when a smaller window size is set', () => {
    const daily = { ...settings, backfillChunkMs: DAY_MS };
    let cursor: StreamCursor = completeWindow(
      EMPTY_CURSOR,
      { purpose: 'recent', min: ms(end - DAY_MS), max: ms(end) },
      daily,
    );
    let windows = 0;
    for (
      let w = planNextWindow(cursor, daily, 'backfill');
      w;
      w = planNextWindow(cursor, daily, 'backfill')
    ) {
      cursor = completeWindow(cursor, w, daily);
      windows++;
    }
    expect(windows).toBe(29);
    expect(cursor.backfill).toBeUndefined();
  });

  it('re-reads the reconciliation window before the last synced instant on each sync', () => {
    const later = { ...settings, now: ms(now + DAY_MS) };
    const window = planNextWindow({ version: 1, syncedUntil: ms(end) }, later, 'recent');
    expect(window).toEqual({ purpose: 'recent', min: end - 72 * HOUR_MS, max: end + DAY_MS });
  });

  it('resumes an unfinished window exactly, with its saved next_offset', () => {
    const window = { purpose: 'recent' as const, min: ms(end - HOUR_MS), max: ms(end) };
    const cursor = advanceWindow({ version: 1, syncedUntil: ms(end - HOUR_MS) }, window, '123,abc');
    expect(planNextWindow(cursor, settings, 'recent')).toEqual({ ...window, resume: '123,abc' });
  });

  it('saves with a v2 page the records read so far and Duo’s total, and resumes with them', () => {
    const window = { purpose: 'recent' as const, min: ms(end - HOUR_MS), max: ms(end) };
    const cursor = advanceWindow({ version: 1 }, window, '123,abc', {
      min: window.min,
      read: 1000,
      total: 1500,
    });
    expect(planNextWindow(cursor, settings, 'recent')).toEqual({
      ...window,
      resume: '123,abc',
      read: 1000,
      total: 1500,
    });
  });

  it('drops the count of a resumed window whose start fell out of retention (it no longer matches Duo’s total)', () => {
    const old = ms(now - 180 * DAY_MS - HOUR_MS);
    const window = { purpose: 'recent' as const, min: old, max: ms(end) };
    const cursor = advanceWindow({ version: 1 }, window, '123,abc', {
      min: old,
      read: 1000,
      total: 1500,
    });
    expect(planNextWindow(cursor, settings, 'recent')).toEqual({
      purpose: 'recent',
      min: retentionFloor(now),
      max: end,
      resume: '123,abc',
    });
  });

  it('counts the backfill window read so far in the backfill’s progress', () => {
    const first = completeWindow(
      EMPTY_CURSOR,
      { purpose: 'recent', min: ms(end - DAY_MS), max: ms(end) },
      settings,
    );
    const back = planNextWindow(first, settings, 'backfill');
    if (!back) throw new Error('expected a backfill window');
    expect(backfillProgress(first)).toBeCloseTo(1 / 30);
    // 14 of the window's 29 days read (records come oldest first): with the first day, half.
    const halfway = ms(back.min + 14 * DAY_MS);
    const v2 = advanceWindow(first, back, `${String(halfway)},txid`, { min: back.min });
    expect(backfillProgress(v2)).toBeCloseTo(0.5);
    const v1 = advanceWindow(first, back, Math.floor(halfway / 1000));
    expect(backfillProgress(v1)).toBeCloseTo(0.5);
  });

  it('keeps an unfinished backfill window while a recent window is read', () => {
    const first = completeWindow(
      EMPTY_CURSOR,
      { purpose: 'recent', min: ms(end - DAY_MS), max: ms(end) },
      settings,
    );
    const back = planNextWindow(first, settings, 'backfill');
    if (!back) throw new Error('expected a backfill window');
    const halfway = advanceWindow(first, back, 1234);
    const later = { ...settings, now: ms(now + HOUR_MS) };
    const recent = planNextWindow(halfway, later, 'recent');
    expect(recent?.purpose).toBe('recent');
    if (!recent) throw new Error('expected a recent window');
    const afterRecent = completeWindow(halfway, recent, later);
    expect(planNextWindow(afterRecent, later, 'backfill')).toEqual({ ...back, resume: 1234 });
  });

  it('widens the backfill when more history is asked for after the first sync', () => {
    let cursor = completeWindow(
      EMPTY_CURSOR,
      { purpose: 'recent', min: ms(end - DAY_MS), max: ms(end) },
      { ...settings, backfillMs: DAY_MS },
    );
    expect(cursor.backfill).toBeUndefined();
    expect(cursor.coveredFrom).toBe(end - DAY_MS);
    cursor = extendBackfill(cursor, ms(end - 10 * DAY_MS));
    expect(cursor.backfill).toEqual({ from: end - 10 * DAY_MS, doneDownTo: end - DAY_MS });
    expect(extendBackfill(cursor, ms(end - 5 * DAY_MS))).toBe(cursor);
  });

  it('never asks for more than Duo keeps (180 days)', () => {
    const old = { version: 1 as const, syncedUntil: ms(now - 200 * DAY_MS) };
    const parsed = parseCursor(old, settings);
    expect(parsed.warning).toMatch(/180 days/);
    expect(planNextWindow(parsed.cursor, settings, 'recent')?.min).toBe(retentionFloor(now));
  });

  it('falls back to the reconciliation window with a warning when the cursor is corrupt', () => {
    for (const bad of ['{not json', { version: 7 }, { version: 1, syncedUntil: 'soon' }]) {
      const parsed = parseCursor(bad, settings);
      expect(parsed.warning).toBeDefined();
      expect(parsed.cursor.syncedUntil).toBe(now - 72 * HOUR_MS);
    }
  });

  it('refuses a cursor from the future', () => {
    expect(parseCursor({ version: 1, syncedUntil: now + DAY_MS }, settings).warning).toMatch(
      /future/,
    );
  });

  it('reads a stored JSON string cursor', () => {
    const cursor = { version: 1, syncedUntil: end };
    expect(parseCursor(JSON.stringify(cursor), settings)).toEqual({ cursor });
  });
});
