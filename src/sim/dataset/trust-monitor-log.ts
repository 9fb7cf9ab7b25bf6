/**
 * Trust Monitor events: what Duo surfaces for a security team to triage. An `auth` event surfaces
 * a real denied or fraud authentication of the tenant (its record, as the authentication log
 * serves it, is the event's `surfaced_auth`), a few minutes to a couple of hours after it; a
 * `bypass_status` event says an administrator put a user in bypass. Some events are already
 * triaged (`processed`), the rest `new`.
 *
 * @example const { trustMonitorRecord } = createTrustMonitorLog(tenant, users, picking, slots, authLog);
 */
import { authShape } from './auth-shape.js';
import type { AuthenticationLog } from './authentication-log.js';
import { at, choose, mix, unit } from './hash.js';
import type { Picking } from './picking.js';
import type { Slot, Slots } from './slots.js';
import type { Tenant } from './tenant.js';
import type { Users } from './users.js';

/** How far back (minutes) an `auth` event looks for the denied authentication it surfaces. */
const SURFACE_LOOKBACK_MINUTES = 24 * 60;

const EXPLANATIONS = [
  ['NEW_COUNTRY_CODE', 'has not logged in from this country recently'],
  ['NEW_DEVICE', 'has not used this device recently'],
  ['NEW_NETBLOCK', 'has not logged in from this network recently'],
  ['GEO_IMPOSSIBLE_TRAVEL', 'logged in from two places too far apart for the time between them'],
  ['USER_MARKED_FRAUD', 'marked this push request as fraudulent'],
] as const;

const PRIORITY_REASONS = [
  { type: 'country', label: 'CN' },
  { type: 'country', label: 'RU' },
  { type: 'factor', label: 'bypass_code' },
  { type: 'user_marked_fraud', label: 'Marked as fraud' },
] as const;

/** The functions createTrustMonitorLog returns, as the modules built on them receive them. */
export type TrustMonitorLog = ReturnType<typeof createTrustMonitorLog>;

/** Builds Trust Monitor events from their slots. */
export function createTrustMonitorLog(
  tenant: Tenant,
  users: Users,
  picking: Picking,
  slots: Slots,
  authenticationLog: AuthenticationLog,
) {
  const { historyStart, admins } = tenant;
  const { userId, username } = users;
  const { pickUser } = picking;
  const { eventHash, generatedSlots } = slots;
  const { authRecord } = authenticationLog;

  /**
   * The latest denied or fraud authentication (with a known user) before `minute`, starting a
   * hash-chosen few minutes back so that events of one hour surface different ones.
   */
  function deniedAuthBefore(e: number, minute: number): Record<string, unknown> | undefined {
    const first = minute - 1 - (mix(e, 1) % 20);
    const floor = Math.max(Math.floor(historyStart / 60_000), minute - SURFACE_LOOKBACK_MINUTES);
    for (let m = first; m >= floor; m--) {
      const candidates = generatedSlots('authentication', m);
      for (let i = candidates.length - 1; i >= 0; i--) {
        const slot = at(candidates, i);
        const shape = authShape(eventHash('authentication', slot.minute, slot.rank));
        if (shape.result === 'success') continue;
        const record = authRecord(slot.minute, slot.rank);
        const user = record.user as { key?: string | null } | undefined;
        if (typeof user?.key === 'string') return record;
      }
    }
    return undefined;
  }

  function trustMonitorRecord(slot: Slot): Record<string, unknown> {
    const e = eventHash('trust_monitor', slot.minute, slot.rank);
    const surfaced = unit(mix(e, 2)) < 0.75 ? deniedAuthBefore(e, slot.minute) : undefined;
    const processed = unit(mix(e, 3)) < 0.4;
    const priority = unit(mix(e, 4)) < 0.3;
    const common = {
      sv4_id: slot.key,
      surfaced_timestamp: slot.ts,
      state: processed ? 'processed' : 'new',
      state_updated_timestamp: processed ? slot.ts + (mix(e, 5) % 3_600_000) : slot.ts,
      triage_event_uri: `https://admin-sim.duosecurity.com/trust-monitor?sv4_id=${slot.key}`,
      triaged_as_interesting: processed && unit(mix(e, 6)) < 0.5,
      priority_event: priority,
      priority_reasons: priority ? [choose(PRIORITY_REASONS, mix(e, 7))] : [],
    };
    if (surfaced !== undefined) {
      const user = surfaced.user as { name?: string };
      const [first, second] = [choose(EXPLANATIONS, mix(e, 8)), choose(EXPLANATIONS, mix(e, 9))];
      const explanations = (first === second ? [first] : [first, second]).map(([type, text]) => ({
        type,
        summary: `${user.name ?? 'The user'} ${text}.`,
      }));
      return {
        ...common,
        type: 'auth',
        explanations,
        from_common_netblock: unit(mix(e, 10)) < 0.3,
        from_new_user: unit(mix(e, 11)) < 0.1,
        low_risk_ip: unit(mix(e, 12)) < 0.2,
        surfaced_auth: surfaced,
      };
    }
    const index = Math.max(0, pickUser(e, slot.ts, 'any'));
    const admin = choose(admins, mix(e, 13));
    return {
      ...common,
      type: 'bypass_status',
      explanations: [{ type: 'BYPASS_STATUS_ENABLED', summary: 'A user was put in bypass.' }],
      bypass_status_enabled: slot.ts - (mix(e, 14) % 600_000),
      enabled_by: { key: admin.admin_id, name: admin.name ?? admin.email ?? admin.admin_id },
      enabled_for: { key: userId(index), name: username(index) },
    };
  }

  return { trustMonitorRecord };
}
