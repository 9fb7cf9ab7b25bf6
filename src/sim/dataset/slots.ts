/**
 * The per-minute event slots and counts: how many events of each type a minute holds (rhythm,
 * weekly administrator burst, repeated v1 records), their instants and keys, the history cut, and
 * counts over ranges that are arithmetic where they can be (telephony memoised per day).
 *
 * @example const slots = createSlots(tenant); slots.slotsOf('authentication', minute);
 */
import { DAY_MS, MINUTE_MS } from '../../domain/time.js';
import type { LogType } from '../dataset-types.js';
import { isV1Log } from '../records.js';
import { authFactor, authShape } from './auth-shape.js';
import { hex8, mix, mix3, unit, uuidFrom } from './hash.js';
import { countWithMean, rhythm } from './rhythm.js';
import type { GeneratedType, Tenant } from './tenant.js';
import { ADMIN_BURST_MIN, ADMIN_BURST_SPREAD, WEEK_MINUTES } from './tenant.js';

export interface Slot {
  readonly ts: number;
  readonly key: string;
  /** Minute and rank of the event (for telephony: of its authentication event). */
  readonly minute: number;
  readonly rank: number;
}

/** Telephony follows its authentication event by 2 to 27 seconds. */
export const TELEPHONY_MAX_DELAY_MS = 27_000;

export function compareSlots(
  a: { ts: number; key: string },
  b: { ts: number; key: string },
): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** The functions createSlots returns, as the modules built on them receive them. */
export type Slots = ReturnType<typeof createSlots>;

/** Slot and count functions over minutes, honouring the history cut. */
export function createSlots(tenant: Tenant) {
  const { repeatedShare, historyStart, burstKey, burstEventKey, perDay, typeKey } = tenant;

  function minuteMean(type: GeneratedType, minute: number): number {
    return (perDay[type] / 1440) * rhythm(minute);
  }

  function burstSize(minute: number): number {
    const week = Math.floor(minute / WEEK_MINUTES);
    const h = mix(burstKey, week);
    // the weekly directory-sync burst starts at a business-hours minute of a weekday
    const offset = (1 + (h % 5)) * 1440 + 14 * 60 + (mix(h, 1) % 180);
    if (minute !== week * WEEK_MINUTES + offset) return 0;
    return ADMIN_BURST_MIN + (mix(h, 2) % ADMIN_BURST_SPREAD);
  }

  /** Events of the minute before the history cut is applied (administrator: bursts included). */
  function rawCount(type: GeneratedType, minute: number): number {
    const regular = countWithMean(
      minuteMean(type, minute),
      mix(typeKey[type] ^ 0x5bd1e995, minute),
    );
    return type === 'administrator' ? regular + burstSize(minute) : regular;
  }

  function authTs(minute: number, e: number): number {
    return minute * MINUTE_MS + Math.floor(unit(mix(e, 2)) * MINUTE_MS);
  }

  function telephonyTs(authAt: number, e: number): number {
    return authAt + 2000 + Math.floor(unit(mix(e, 20)) * (TELEPHONY_MAX_DELAY_MS - 2000));
  }

  const eventHash = (type: LogType, minute: number, rank: number): number =>
    mix3(typeKey[type], minute, rank);

  function generatedSlots(type: GeneratedType, minute: number): Slot[] {
    const n = rawCount(type, minute);
    const out: Slot[] = [];
    if (type === 'administrator') {
      const regular = n - burstSize(minute);
      let second = minute * 60;
      for (let rank = 0; rank < n; rank++) {
        if (rank < regular) {
          const e = eventHash(type, minute, rank);
          // admins act in quick succession: a third of events share the previous one's second
          if (rank === 0 || unit(mix(e, 3)) >= 0.35)
            second = minute * 60 + Math.floor(unit(mix(e, 2)) * 60);
          const key = hex8(mix(e, 11)) + hex8(mix(e, 12));
          pushWithCopies(out, { ts: second * 1000, key, minute, rank }, e);
        } else {
          const b = mix3(burstEventKey, minute, rank);
          const h = mix(burstKey, Math.floor(minute / WEEK_MINUTES));
          second =
            minute * 60 + (mix(h, 3) % 50) + Math.floor(((rank - regular) * 5) / (n - regular));
          const ts = second * 1000;
          if (ts >= historyStart)
            out.push({ ts, key: hex8(mix(b, 11)) + hex8(mix(b, 12)), minute, rank });
        }
      }
    } else {
      for (let rank = 0; rank < n; rank++) {
        const e = eventHash(type, minute, rank);
        const ts = authTs(minute, e);
        if (type === 'offline_enrollment') {
          const key = hex8(mix(e, 11)) + hex8(mix(e, 12));
          pushWithCopies(out, { ts: Math.floor(ts / 1000) * 1000, key, minute, rank }, e);
        } else if (ts >= historyStart) {
          out.push({ ts, key: uuidFrom(e, minute, rank), minute, rank });
        }
      }
    }
    return out.sort(compareSlots);
  }

  function telephonySlots(minute: number): Slot[] {
    const out: Slot[] = [];
    for (let authMinute = minute - 1; authMinute <= minute; authMinute++) {
      const n = rawCount('authentication', authMinute);
      for (let rank = 0; rank < n; rank++) {
        const e = eventHash('authentication', authMinute, rank);
        const shape = authShape(e);
        if (shape.factor !== 'phone_call' && shape.factor !== 'sms_passcode') continue;
        const at0 = authTs(authMinute, e);
        if (at0 < historyStart) continue;
        const ts = telephonyTs(at0, e);
        if (Math.floor(ts / MINUTE_MS) !== minute) continue;
        out.push({ ts, key: uuidFrom(mix(e, 0x7e1), authMinute, rank), minute: authMinute, rank });
      }
    }
    return out.sort(compareSlots);
  }

  function slotsOf(type: LogType, minute: number): Slot[] {
    return type === 'telephony' ? telephonySlots(minute) : generatedSlots(type, minute);
  }

  /** Count of a whole minute, without building keys where the arithmetic allows. */
  /** Count of a whole generated minute: arithmetic, unless the history cut falls inside it. */
  function minuteCount(type: GeneratedType, minute: number): number {
    if (minute * MINUTE_MS < historyStart || (repeatedShare > 0 && isV1Log(type)))
      return generatedSlots(type, minute).length;
    return rawCount(type, minute);
  }

  /**
   * How many byte-identical copies follow a regular v1 record (`repeatedRecords`): none, or 1
   * or 2, so that a repeated record appears 2 or 3 times in its second.
   */
  function copiesAfter(e: number): number {
    if (repeatedShare === 0 || unit(mix(e, 21)) >= repeatedShare) return 0;
    return 1 + (mix(e, 22) % 2);
  }

  /**
   * A v1 slot inside history, then its copies: same minute and rank (so the same record), keys
   * `<key>-<n>`.
   */
  function pushWithCopies(out: Slot[], slot: Slot, e: number): void {
    if (slot.ts < historyStart) return;
    out.push(slot);
    for (let copy = 1; copy <= copiesAfter(e); copy++)
      out.push({ ...slot, key: `${slot.key}-${copy}` });
  }

  /** Whole-day telephony counts, memoised: they are pure functions of the seed (≤ 4096 kept). */
  const telephonyDays = new Map<number, number>();

  /** Telephony in [from, to]; whole days come from the memo, the edges are counted directly. */
  function telephonyCount(from: number, to: number): number {
    const firstDay = Math.ceil(from / DAY_MS);
    const endDay = Math.floor((to + 1) / DAY_MS);
    if (endDay - firstDay < 1) return telephonyCountDirect(from, to);
    let total = 0;
    if (from < firstDay * DAY_MS) total += telephonyCountDirect(from, firstDay * DAY_MS - 1);
    for (let day = firstDay; day < endDay; day++) {
      let count = telephonyDays.get(day);
      if (count === undefined) {
        count = telephonyCountDirect(Math.max(day * DAY_MS, historyStart), (day + 1) * DAY_MS - 1);
        if (telephonyDays.size >= 4096) telephonyDays.clear();
        telephonyDays.set(day, count);
      }
      total += count;
    }
    if (endDay * DAY_MS <= to) total += telephonyCountDirect(endDay * DAY_MS, to);
    return total;
  }

  /** Telephony in [from, to]: one pass over the auth events that may lead to it, no records. */
  function telephonyCountDirect(from: number, to: number): number {
    if (to < from) return 0;
    let count = 0;
    const last = Math.floor(to / MINUTE_MS);
    for (
      let minute = Math.floor((from - TELEPHONY_MAX_DELAY_MS) / MINUTE_MS);
      minute <= last;
      minute++
    ) {
      const n = rawCount('authentication', minute);
      for (let rank = 0; rank < n; rank++) {
        const e = eventHash('authentication', minute, rank);
        const factor = authFactor(e);
        if (factor !== 'phone_call' && factor !== 'sms_passcode') continue;
        const at0 = authTs(minute, e);
        if (at0 < historyStart) continue;
        const ts = telephonyTs(at0, e);
        if (ts >= from && ts <= to) count++;
      }
    }
    return count;
  }

  function generatedCount(type: LogType, fromMs: number, toMs: number): number {
    const from = Math.max(fromMs, historyStart);
    if (toMs < from) return 0;
    if (type === 'telephony') return telephonyCount(from, toMs);
    const first = Math.floor(from / MINUTE_MS);
    const last = Math.floor(toMs / MINUTE_MS);
    const inRange = (s: Slot): boolean => s.ts >= from && s.ts <= toMs;
    if (first === last) return generatedSlots(type, first).filter(inRange).length;
    let total = 0;
    total +=
      from === first * MINUTE_MS
        ? minuteCount(type, first)
        : generatedSlots(type, first).filter(inRange).length;
    for (let minute = first + 1; minute < last; minute++) total += minuteCount(type, minute);
    total +=
      toMs === last * MINUTE_MS + MINUTE_MS - 1
        ? minuteCount(type, last)
        : generatedSlots(type, last).filter(inRange).length;
    return total;
  }

  return {
    minuteMean,
    burstSize,
    rawCount,
    authTs,
    telephonyTs,
    eventHash,
    generatedSlots,
    telephonySlots,
    slotsOf,
    minuteCount,
    copiesAfter,
    pushWithCopies,
    telephonyDays,
    telephonyCount,
    telephonyCountDirect,
    generatedCount,
  };
}
