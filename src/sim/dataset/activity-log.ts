/**
 * Activity log records (v2): user and admin actions on users, phones and credentials.
 *
 * @example const { activityRecord } = createActivityLog(tenant, users, picking, slots);
 */
import { at, choose, mix, unit } from './hash.js';
import { isoMicro, makeId } from './ids.js';
import type { Picking } from './picking.js';
import type { Slot, Slots } from './slots.js';
import type { Tenant } from './tenant.js';
import type { Users } from './users.js';

/** The functions createActivityLog returns, as the modules built on them receive them. */
export type ActivityLog = ReturnType<typeof createActivityLog>;

/** Builds activity records from their slots. */
export function createActivityLog(tenant: Tenant, users: Users, picking: Picking, slots: Slots) {
  const { seed, applications, admins } = tenant;
  const { username, userId } = users;
  const { pickUser, eventPlace } = picking;
  const { eventHash } = slots;

  const ACTIVITY_ACTIONS = [
    'phone_activate',
    'webauthncredential_create',
    'webauthncredential_delete',
    'user_update',
    'phone_create',
    'bypass_code_create',
    'user_enroll',
  ] as const;

  function activityRecord(slot: Slot): Record<string, unknown> {
    const e = eventHash('activity', slot.minute, slot.rank);
    const user = pickUser(e, slot.ts, 'any');
    const name = user >= 0 ? username(user) : 'unknown';
    const key = user >= 0 ? userId(user) : null;
    const app = choose(applications, mix(e, 4));
    const { place, ip } = eventPlace(user, mix(e, 5));
    const byAdmin = unit(mix(e, 6)) < 0.2;
    const admin = at(admins, mix(e, 7) % admins.length);
    const actor = byAdmin
      ? {
          details: JSON.stringify({ email: admin.email, role: admin.role }),
          key: admin.admin_id,
          name: admin.name,
          type: 'admin',
        }
      : { details: JSON.stringify({ email: `${name}@example.com` }), key, name, type: 'user' };
    return {
      access_device: {
        browser: 'Chrome',
        browser_version: '124.0.6367.91',
        epkey: null,
        ip: { address: ip },
        location: { city: place.city, country: place.country, state: place.state },
        os: 'Windows',
        os_version: '11',
      },
      action: { details: null, name: choose(ACTIVITY_ACTIONS, mix(e, 8)) },
      activity_id: slot.key,
      actor,
      akey: makeId('DA', seed, 0),
      application: { key: app.key, name: app.name, type: 'integration' },
      old_target: null,
      outcome: { result: unit(mix(e, 9)) < 0.95 ? 'SUCCESS' : 'FAILURE' },
      target: {
        details: JSON.stringify({ email: `${name}@example.com`, status: 'active' }),
        key,
        name,
        type: 'user',
      },
      ts: isoMicro(slot.ts, mix(e, 7) % 1000),
    };
  }

  return { activityRecord };
}
