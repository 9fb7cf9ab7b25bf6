/**
 * Administrator log records: admins' actions with Duo's JSON-string descriptions (some not JSON),
 * and the weekly directory-sync burst of user updates.
 *
 * @example const { adminRecord } = createAdministratorLog(tenant, users, groups, devices, slots);
 */
import type { Devices } from './devices.js';
import type { Groups } from './groups.js';
import { at, choose, mix, mix3, unit, weighted } from './hash.js';
import { isoSeconds } from './ids.js';
import type { Slot, Slots } from './slots.js';
import { CAPITALS } from './tables.js';
import type { Tenant } from './tenant.js';
import type { Users } from './users.js';

/** The functions createAdministratorLog returns, as the modules built on them receive them. */
export type AdministratorLog = ReturnType<typeof createAdministratorLog>;

/** Builds administrator records from their slots. */
export function createAdministratorLog(
  tenant: Tenant,
  users: Users,
  groups: Groups,
  devices: Devices,
  slots: Slots,
) {
  const {
    userCountTotal,
    burstKey,
    burstEventKey,
    groupTotal,
    userStride,
    typeKey,
    applications,
    admins,
  } = tenant;
  const { homeIp, names, username } = users;
  const { groupName } = groups;
  const { phoneNumber } = devices;
  const { burstSize, rawCount, eventHash } = slots;

  function adminDescription(action: string, user: number, h: number): string | null {
    const roll = unit(mix(h, 1));
    if (roll < 0.04) {
      // Duo's description is a JSON string; some records in the wild are not valid JSON
      return choose(
        [
          `{'status': 'Disabled', 'notes': ''}`,
          `{"notes": "Joe asked for their nickname to be displayed instead of`,
          'Updated user via Admin API',
        ],
        mix(h, 2),
      );
    }
    const name = user >= 0 ? username(user) : 'unknown';
    const n = user >= 0 ? names(user) : { first: 'unknown', last: 'user' };
    const realname = `${CAPITALS(n.first)} ${CAPITALS(n.last)}`;
    switch (action) {
      case 'admin_login':
        return JSON.stringify({
          ip_address: homeIp(Math.max(user, 0)),
          device: phoneNumber(Math.max(user, 0), 0),
          factor: 'push',
          primary_auth_method: 'Password',
        });
      case 'admin_login_error':
        return JSON.stringify({ ip_address: homeIp(Math.max(user, 0)), error: 'Invalid password' });
      case 'user_create':
        return JSON.stringify({
          email: `${name}@example.com`,
          realname,
          status: 'Active',
          username: name,
        });
      case 'user_update':
        return roll < 0.5
          ? JSON.stringify({
              status: choose(['Active', 'Disabled', 'Bypass', 'Locked Out'], mix(h, 3)),
            })
          : JSON.stringify({ notes: 'Asked for their nickname to be displayed.', realname });
      case 'user_delete':
        return JSON.stringify({ email: `${name}@example.com`, realname });
      case 'phone_create':
      case 'phone_update':
      case 'phone_delete':
        return JSON.stringify({
          number: phoneNumber(Math.max(user, 0), 0),
          platform: 'Apple iOS',
          type: 'Mobile',
        });
      case 'group_create':
      case 'group_update':
        return JSON.stringify({ desc: 'Synced from Active Directory', status: 'Active' });
      case 'integration_create':
      case 'integration_update':
        return JSON.stringify({
          adminapi_read_log: true,
          adminapi_read_resource: roll < 0.5,
          greeting: '',
        });
      case 'customer_update':
        return JSON.stringify({ helpdesk_bypass: 'limit', helpdesk_bypass_expiration: 60 });
      default:
        return null;
    }
  }

  const ADMIN_ACTIONS: readonly (readonly [string, number])[] = [
    ['admin_login', 30],
    ['user_update', 20],
    ['user_create', 6],
    ['user_delete', 3],
    ['phone_create', 5],
    ['phone_update', 3],
    ['phone_delete', 2],
    ['group_update', 5],
    ['group_create', 1],
    ['integration_update', 4],
    ['integration_create', 1],
    ['admin_login_error', 4],
    ['admin_update', 2],
    ['customer_update', 1],
    ['admin_self_activate', 1],
    ['activation_begin', 2],
    ['admin_activate_duo_push', 1],
  ];

  function adminRecord(slot: Slot): Record<string, unknown> {
    const regular = rawCount('administrator', slot.minute) - burstSize(slot.minute);
    const burst = slot.rank >= regular;
    const e = burst
      ? mix3(burstEventKey, slot.minute, slot.rank)
      : eventHash('administrator', slot.minute, slot.rank);
    const action = burst ? 'user_update' : weighted(ADMIN_ACTIONS, mix(e, 4));
    // distinct users and rotating admins within a minute: two v1 records of one second differ,
    // unless `repeatedRecords` adds identical copies (or a burst outnumbers the users)
    const base = mix(burst ? burstKey : typeKey.administrator, slot.minute);
    const user = userCountTotal === 0 ? -1 : (base + slot.rank * userStride) % userCountTotal;
    const admin = at(admins, (base + slot.rank) % admins.length);
    const object = action.startsWith('user_')
      ? user >= 0
        ? username(user)
        : null
      : action.startsWith('phone_') ||
          action.startsWith('activation_') ||
          action.endsWith('duo_push')
        ? user >= 0
          ? phoneNumber(user, 0)
          : null
        : action.startsWith('group_')
          ? groupName(mix(e, 7) % groupTotal)
          : action.startsWith('integration_')
            ? choose(applications, mix(e, 7)).name
            : action === 'customer_update'
              ? null
              : (admin.name ?? null);
    return {
      action,
      description: burst
        ? JSON.stringify({ status: 'Active', last_directory_sync: Math.floor(slot.ts / 1000) })
        : adminDescription(action, user, mix(e, 8)),
      isotimestamp: isoSeconds(slot.ts),
      object,
      timestamp: Math.floor(slot.ts / 1000),
      username: burst || unit(mix(e, 9)) < 0.05 ? '' : (admin.name ?? ''),
    };
  }

  return { adminDescription, adminRecord };
}
