/**
 * The event stream of each log type: generated slots built into records, merged in (ts, key)
 * order with injected events, and counted up to a publication cut-off.
 *
 * @example for (const e of createEvents(tenant, slots, logs).events('activity', from, to)) send(e.record);
 */
import type { EpochMs } from '../../domain/time.js';
import { MINUTE_MS, ms } from '../../domain/time.js';
import type { LogType, SimEvent } from '../dataset-types.js';
import type { ActivityLog } from './activity-log.js';
import type { AdministratorLog } from './administrator-log.js';
import type { AuthenticationLog } from './authentication-log.js';
import { at } from './hash.js';
import type { OfflineEnrollmentLog } from './offline-enrollment-log.js';
import type { Slot, Slots } from './slots.js';
import { compareSlots } from './slots.js';
import type { Tenant } from './tenant.js';
import type { TrustMonitorLog } from './trust-monitor-log.js';

function lowerBound(list: readonly SimEvent[], ts: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at(list, mid).ts < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The functions createEvents returns, as the modules built on them receive them. */
export type Events = ReturnType<typeof createEvents>;

/** Streams, counts and injects events of every log type. */
export function createEvents(
  tenant: Tenant,
  slots: Slots,
  authenticationLog: AuthenticationLog,
  administratorLog: AdministratorLog,
  offlineEnrollmentLog: OfflineEnrollmentLog,
  activityLog: ActivityLog,
  trustMonitorLog: TrustMonitorLog,
) {
  const { historyStart, injected } = tenant;
  const { slotsOf, generatedCount } = slots;
  const { authRecord, telephonyRecord } = authenticationLog;
  const { adminRecord } = administratorLog;
  const { offlineRecord } = offlineEnrollmentLog;
  const { activityRecord } = activityLog;
  const { trustMonitorRecord } = trustMonitorLog;

  function buildEvent(type: LogType, slot: Slot): SimEvent {
    let record: Record<string, unknown>;
    switch (type) {
      case 'authentication':
        record = authRecord(slot.minute, slot.rank);
        break;
      case 'telephony':
        record = telephonyRecord(slot.minute, slot.rank);
        break;
      case 'administrator':
        record = adminRecord(slot);
        break;
      case 'offline_enrollment':
        record = offlineRecord(slot);
        break;
      case 'activity':
        record = activityRecord(slot);
        break;
      case 'trust_monitor':
        record = trustMonitorRecord(slot);
        break;
    }
    const ts = ms(slot.ts);
    return { type, ts, key: slot.key, publishedAt: ts, record };
  }

  function* events(type: LogType, fromMs: EpochMs, toMs: EpochMs): Generator<SimEvent> {
    const extra = injectedIn(type, fromMs, toMs);
    let k = 0;
    const from = Math.max(fromMs, historyStart);
    if (toMs >= from) {
      const last = Math.floor(toMs / MINUTE_MS);
      for (let minute = Math.floor(from / MINUTE_MS); minute <= last; minute++) {
        for (const slot of slotsOf(type, minute)) {
          if (slot.ts < from || slot.ts > toMs) continue;
          for (let next = extra[k]; next && compareSlots(next, slot) < 0; next = extra[++k])
            yield next;
          yield buildEvent(type, slot);
        }
      }
    }
    for (; k < extra.length; k++) yield at(extra, k);
  }

  function injectedIn(type: LogType, from: number, to: number): SimEvent[] {
    const list = injected.get(type);
    if (!list) return [];
    const out: SimEvent[] = [];
    for (let i = lowerBound(list, from); i < list.length && at(list, i).ts <= to; i++)
      out.push(at(list, i));
    return out;
  }

  function inject(added: readonly SimEvent[]): void {
    for (const event of added) {
      let list = injected.get(event.type);
      if (!list) {
        list = [];
        injected.set(event.type, list);
      }
      let i = lowerBound(list, event.ts);
      while (i < list.length && compareSlots(at(list, i), event) < 0) i++;
      const same = list[i];
      if (same && same.ts === event.ts && same.key === event.key) list[i] = event;
      else list.splice(i, 0, event);
    }
  }

  function count(type: LogType, from: EpochMs, to: EpochMs, visibleAt: EpochMs): number {
    let total = generatedCount(type, from, Math.min(to, visibleAt));
    for (const event of injectedIn(type, from, to)) if (event.publishedAt <= visibleAt) total++;
    return total;
  }

  return { buildEvent, events, injectedIn, inject, count };
}
