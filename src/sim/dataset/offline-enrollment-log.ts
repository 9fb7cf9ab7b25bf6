/**
 * Offline enrollment log records (Duo Authentication for Windows Logon provisioning).
 *
 * @example const { offlineRecord } = createOfflineEnrollmentLog(users, picking, slots);
 */
import { choose, hex8, mix, weighted } from './hash.js';
import { isoSeconds } from './ids.js';
import type { Picking } from './picking.js';
import type { Slot, Slots } from './slots.js';
import type { Users } from './users.js';

/** The functions createOfflineEnrollmentLog returns, as the modules built on them receive them. */
export type OfflineEnrollmentLog = ReturnType<typeof createOfflineEnrollmentLog>;

/** Builds offline enrollment records from their slots. */
export function createOfflineEnrollmentLog(users: Users, picking: Picking, slots: Slots) {
  const { username } = users;
  const { pickUser } = picking;
  const { eventHash } = slots;

  function offlineRecord(slot: Slot): Record<string, unknown> {
    const e = eventHash('offline_enrollment', slot.minute, slot.rank);
    const user = pickUser(e, slot.ts, 'any');
    const action = weighted(
      [
        ['o2fa_user_provisioned', 70],
        ['o2fa_user_reenrolled', 20],
        ['o2fa_user_deprovisioned', 10],
      ],
      mix(e, 4),
    );
    const windows = choose(
      ['10.0.19045; x64; Workstation', '10.0.22631; x64; Workstation', '6.3.9600; x64; Server'],
      mix(e, 5),
    );
    return {
      action,
      description: JSON.stringify({
        user_agent: `DuoCredProv/4.2.${mix(e, 6) % 3}.${400 + (mix(e, 7) % 100)} (Windows NT ${windows})`,
        hostname: `WKS-${hex8(mix(e, 8)).slice(0, 6).toUpperCase()}`,
        factor: choose(['duo_otp', 'duo_otp', 'security_key'], mix(e, 9)),
      }),
      isotimestamp: isoSeconds(slot.ts),
      object: 'Acme Laptop Windows Logon',
      timestamp: Math.floor(slot.ts / 1000),
      username: user >= 0 ? username(user) : '',
    };
  }

  return { offlineRecord };
}
