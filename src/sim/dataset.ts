/**
 * The simulator's deterministic Duo tenant. Every user, group and event is a pure function of the
 * seed and an index (a user's position, a group's position, an event's minute and rank in it),
 * computed with a 32-bit hash on demand; only small tables and the overlay (deleted users, status
 * overrides, removed memberships, injected events) live in memory. 100k users and 10M events cost a few kilobytes.
 * This file assembles the parts in `dataset/` and answers the contract of `dataset-types.ts`.
 *
 * @example const ds = createDataset({ seed: 'demo', users: 1000, days: 30, start, authEventsPerDay: 5000 });
 */
import type { DuoGroupMember, DuoUser } from '../duo/wire.js';
import { createActivityLog } from './dataset/activity-log.js';
import { createAdministratorLog } from './dataset/administrator-log.js';
import { createAuthenticationLog } from './dataset/authentication-log.js';
import { createDevices } from './dataset/devices.js';
import { createDirectory } from './dataset/directory.js';
import { createEvents } from './dataset/events.js';
import { createGroups } from './dataset/groups.js';
import { insertionPoint } from './dataset/hash.js';
import { createOfflineEnrollmentLog } from './dataset/offline-enrollment-log.js';
import { createPicking } from './dataset/picking.js';
import { createSlots } from './dataset/slots.js';
import { ADMIN_BURSTS_PER_DAY, createTenant } from './dataset/tenant.js';
import { createTrustMonitorLog } from './dataset/trust-monitor-log.js';
import { createUsers } from './dataset/users.js';
import type { Dataset, DatasetOptions, LogType } from './dataset-types.js';

/** The contract plus a few conveniences the server and tests may use. */
export interface SimDataset extends Dataset {
  /** Looks a present user up by email (case-insensitive). */
  findUserByEmail(email: string): DuoUser | undefined;
  /** Mean events per day of `type` (administrator: the weekly directory-sync burst included). */
  meanPerDay(type: Exclude<LogType, 'telephony'>): number;
}

/**
 * Builds the tenant described by `options`; only small tables are computed up front.
 *
 * @example createDataset({ seed: 'x', users: 100_000, days: 180, start, authEventsPerDay: 55_000 })
 */
export function createDataset(options: DatasetOptions): SimDataset {
  const tenant = createTenant(options);
  const users = createUsers(tenant);
  const devices = createDevices(tenant);
  const groups = createGroups(tenant, users);
  const directory = createDirectory(tenant, users, groups, devices);
  const picking = createPicking(tenant, users, devices);
  const slots = createSlots(tenant);
  const authenticationLog = createAuthenticationLog(tenant, users, groups, devices, picking, slots);
  const { events, count, inject } = createEvents(
    tenant,
    slots,
    authenticationLog,
    createAdministratorLog(tenant, users, groups, devices, slots),
    createOfflineEnrollmentLog(users, picking, slots),
    createActivityLog(tenant, users, picking, slots),
    createTrustMonitorLog(tenant, users, picking, slots, authenticationLog),
  );
  const {
    historyStart,
    userCountTotal,
    groupTotal,
    admins,
    deleted,
    statusOverrides,
    removedMemberships,
    perDay,
  } = tenant;
  const { userId, username, positionToIndex, presentIndexOfId } = users;
  const { groupObject, memberIndexes } = groups;
  const { userObject, findUserByUsername, findGroupIndex } = directory;

  return {
    options,
    historyStart,
    userCount: () => userCountTotal - deleted.length,
    userAt: (position) => userObject(positionToIndex(position)),
    findUser: (id) => {
      const i = presentIndexOfId(id);
      return i === undefined ? undefined : userObject(i);
    },
    findUserByUsername,
    findUserByEmail: (email) => {
      const match = /^(.+)@example\.com$/i.exec(email);
      return match ? findUserByUsername((match[1] ?? '').toLowerCase()) : undefined;
    },
    groupCount: () => groupTotal,
    groupAt: (position) => {
      if (!Number.isSafeInteger(position) || position < 0 || position >= groupTotal)
        throw new RangeError(`no group at position ${position}`);
      return groupObject(position);
    },
    findGroup: (id) => {
      const g = findGroupIndex(id);
      return g === undefined ? undefined : groupObject(g);
    },
    groupMembers: (groupId, offset, limit) => {
      const g = findGroupIndex(groupId);
      if (g === undefined) return undefined;
      const all = memberIndexes(g).filter((i) => removedMemberships.get(i)?.has(g) !== true);
      const members: DuoGroupMember[] = all
        .slice(Math.max(0, offset), Math.max(0, offset) + Math.max(0, limit))
        .map((i) => ({ user_id: userId(i), username: username(i) }));
      return { members, total: all.length };
    },
    admins: () => admins.map((admin) => ({ ...admin })),
    events,
    count,
    inject,
    deleteUser: (id) => {
      const i = presentIndexOfId(id);
      if (i === undefined) return false;
      deleted.splice(insertionPoint(deleted, i), 0, i);
      statusOverrides.delete(i);
      return true;
    },
    setUserStatus: (id, status, lockoutReason) => {
      const i = presentIndexOfId(id);
      if (i === undefined) return false;
      statusOverrides.set(i, {
        status,
        lockoutReason:
          lockoutReason !== undefined
            ? lockoutReason
            : status === 'locked out'
              ? 'Admin disabled'
              : null,
      });
      return true;
    },
    removeUserFromGroup: (id, groupId) => {
      const i = presentIndexOfId(id);
      const g = findGroupIndex(groupId);
      if (i === undefined || g === undefined) return false;
      const removed = removedMemberships.get(i) ?? new Set<number>();
      removed.add(g);
      removedMemberships.set(i, removed);
      return true;
    },
    meanPerDay: (type) =>
      type === 'administrator' ? perDay.administrator + ADMIN_BURSTS_PER_DAY : perDay[type],
  };
}
