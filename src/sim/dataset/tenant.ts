/**
 * The tenant's fixed parameters, computed once from the options: the seed and its per-purpose
 * keys, the history cut (`historyStart`, `days` before the live clock's `start`), group and rank
 * arithmetic, the daily volume of each log type, the applications and administrators tables, and
 * the overlay of changes (deleted users, status overrides, removed group memberships, injected events).
 *
 * @example const t = createTenant({ seed: 'demo', users: 1000, days: 30, start, authEventsPerDay: 5000 });
 */
import { DAY_MS, ms } from '../../domain/time.js';
import type { DuoAdmin } from '../../duo/wire.js';
import type { DatasetOptions, LogType, SimEvent } from '../dataset-types.js';
import { at, choose, coprimeMultiplier, hashText, mix, modInverse } from './hash.js';
import { makeId } from './ids.js';
import {
  ADMIN_ROLES,
  APPLICATION_NAMES,
  CAPITALS,
  FIRST_NAMES,
  LAST_NAMES,
  NAME_COMBOS,
  NAME_STEP,
} from './tables.js';

export const WEEK_MINUTES = 7 * 1440;
export const ADMIN_BURST_MIN = 1000;
export const ADMIN_BURST_SPREAD = 800;
export const ADMIN_BURSTS_PER_DAY = (ADMIN_BURST_MIN + ADMIN_BURST_SPREAD / 2) / 7;

export const SALT = {
  user: 0x1001,
  userId: 0x1002,
  group: 0x2001,
  groupId: 0x2002,
  phone: 0x3001,
  token: 0x3002,
  app: 0x4001,
  admin: 0x5001,
  authentication: 0x6001,
  administrator: 0x6002,
  telephony: 0x6003,
  offline_enrollment: 0x6004,
  activity: 0x6005,
  trust_monitor: 0x6008,
  burst: 0x6006,
  burstEvent: 0x6007,
  pick: 0x7001,
} as const;

export type GeneratedType = Exclude<LogType, 'telephony'>;

/** The functions createTenant returns, as the modules built on them receive them. */
export type Tenant = ReturnType<typeof createTenant>;

/** Validates `options` and computes the fixed parameters; throws a RangeError naming a bad option. */
export function createTenant(options: DatasetOptions) {
  if (!Number.isSafeInteger(options.users) || options.users < 0)
    throw new RangeError(`users must be a whole number >= 0, got ${options.users}`);
  if (!(options.days >= 0)) throw new RangeError(`days must be >= 0, got ${options.days}`);
  if (!(options.authEventsPerDay >= 0))
    throw new RangeError(`authEventsPerDay must be >= 0, got ${options.authEventsPerDay}`);
  const repeatedShare = options.repeatedRecords ?? 0;
  if (!(repeatedShare >= 0 && repeatedShare <= 1))
    throw new RangeError(`repeatedRecords must be a share from 0 to 1, got ${repeatedShare}`);

  const seed = hashText(options.seed);
  const salt = (value: number): number => mix(seed, value);
  const userCountTotal = options.users;
  const start = options.start;
  const historyStart = ms(Math.round(start - options.days * DAY_MS));

  const userKey = salt(SALT.user);
  const userIdKey = salt(SALT.userId);
  const groupKey = salt(SALT.group);
  const groupIdKey = salt(SALT.groupId);
  const phoneKey = salt(SALT.phone);
  const tokenKey = salt(SALT.token);
  const pickKey = salt(SALT.pick);
  const burstKey = salt(SALT.burst);
  const burstEventKey = salt(SALT.burstEvent);
  const nameOffset = mix(seed, 77) % NAME_COMBOS;

  const groupTotal = Math.max(3, Math.round(userCountTotal / 40));
  const thirdShift = Math.max(1, Math.floor((groupTotal - 1) / 2));

  /** Users ranked by activity are a permutation of indexes: rank r → (a·r + b) mod N. */
  const rankStep = coprimeMultiplier(Math.max(1, userCountTotal), 1 + (mix(seed, 91) % 1_000_003));
  const rankOffset = mix(seed, 92) % Math.max(1, userCountTotal);
  const rankStepInverse = modInverse(rankStep, Math.max(1, userCountTotal));
  const userStride = coprimeMultiplier(Math.max(1, userCountTotal), 7919);

  const perDay: Record<GeneratedType, number> = {
    authentication: options.authEventsPerDay,
    administrator: Math.max(
      options.authEventsPerDay * 0.01 - ADMIN_BURSTS_PER_DAY,
      options.authEventsPerDay * 0.0025,
    ),
    offline_enrollment: options.authEventsPerDay * 0.002,
    activity: options.authEventsPerDay * 0.05,
    // a handful a day, whatever the tenant's size: Trust Monitor surfaces only the outliers
    trust_monitor:
      options.authEventsPerDay > 0 && userCountTotal > 0
        ? Math.min(8, Math.max(2, options.authEventsPerDay * 0.002))
        : 0,
  };
  const typeKey: Record<LogType, number> = {
    authentication: salt(SALT.authentication),
    administrator: salt(SALT.administrator),
    telephony: salt(SALT.telephony),
    offline_enrollment: salt(SALT.offline_enrollment),
    activity: salt(SALT.activity),
    trust_monitor: salt(SALT.trust_monitor),
  };

  const applications = Array.from({ length: 10 + (mix(seed, 5) % 11) }, (_, i) => ({
    key: makeId('DI', salt(SALT.app), i),
    name: at(APPLICATION_NAMES, i),
  }));
  /** A user's first and last name by index (with `suffix` for the repetitions past every pair). */
  function nameParts(i: number): { first: string; last: string; suffix: string } {
    const combo = ((((i % NAME_COMBOS) * NAME_STEP) % NAME_COMBOS) + nameOffset) % NAME_COMBOS;
    const repetition = Math.floor(i / NAME_COMBOS);
    return {
      first: at(FIRST_NAMES, combo % FIRST_NAMES.length),
      last: at(LAST_NAMES, Math.floor(combo / FIRST_NAMES.length)),
      suffix: repetition === 0 ? '' : String(repetition + 1),
    };
  }
  const admins = createAdmins(salt(SALT.admin), mix(seed, 6), start, userCountTotal, nameParts);

  // overlay
  const deleted: number[] = []; // ascending user indexes
  const statusOverrides = new Map<number, { status: string; lockoutReason: string | null }>();
  /** Memberships removed through the Admin API: user index → removed group indexes. */
  const removedMemberships = new Map<number, Set<number>>();
  const injected = new Map<LogType, SimEvent[]>();

  return {
    options,
    repeatedShare,
    seed,
    salt,
    userCountTotal,
    start,
    historyStart,
    userKey,
    userIdKey,
    groupKey,
    groupIdKey,
    phoneKey,
    tokenKey,
    pickKey,
    burstKey,
    burstEventKey,
    nameOffset,
    nameParts,
    groupTotal,
    thirdShift,
    rankStep,
    rankOffset,
    rankStepInverse,
    userStride,
    perDay,
    typeKey,
    applications,
    admins,
    deleted,
    statusOverrides,
    removedMemberships,
    injected,
  };
}

/**
 * The tenant's Duo administrators, as `GET /admin/v1/admins` sends them: always an Owner, two
 * Administrators, a Help Desk, a Read-only (never signed in) and a disabled User Manager, then
 * 0–2 more (the last of them pending activation). The second and the fourth are people who are
 * also Duo users (the user's name and e-mail, users 0 and 3), as when staff administer Duo with
 * their own mailbox; the others use IT mailboxes no user has. The Help Desk one works only within
 * its admin units.
 */
function createAdmins(
  adminKey: number,
  sizeHash: number,
  start: number,
  userCount: number,
  nameParts: (i: number) => { first: string; last: string; suffix: string },
): DuoAdmin[] {
  const fixedRoles = ['Owner', 'Administrator', 'Administrator', 'Help Desk', 'Read-only'];
  const total = 6 + (sizeHash % 3);
  const startSeconds = Math.floor(start / 1000);
  return Array.from({ length: total }, (_, i): DuoAdmin => {
    const h = mix(adminKey, i);
    const sharedUser = i === 1 ? 0 : i === 3 ? 3 : undefined;
    const person =
      sharedUser !== undefined && sharedUser < userCount
        ? nameParts(sharedUser)
        : {
            first: choose(FIRST_NAMES, mix(h, 1)),
            last: choose(LAST_NAMES, mix(h, 2)),
            suffix: '',
          };
    // The others have an IT mailbox, which no user has: who shares a user's address is known.
    const mailbox =
      sharedUser !== undefined && sharedUser < userCount
        ? `${person.first}.${person.last}${person.suffix}@example.com`
        : `${person.first}.${person.last}@it.example.com`;
    const role =
      i < fixedRoles.length
        ? (fixedRoles[i] ?? 'Administrator')
        : i === 5
          ? 'User Manager'
          : choose(ADMIN_ROLES, mix(h, 3));
    const pending = i === total - 1 && i > 5;
    const status = i === 5 ? 'Disabled' : pending ? 'Pending Activation' : 'Active';
    const lastLogin =
      role === 'Read-only' || pending
        ? null
        : i === 5
          ? startSeconds - 200 * 86400 - (mix(h, 4) % 86400)
          : startSeconds - (mix(h, 4) % (7 * 86400));
    const restricted = role === 'Help Desk';
    return {
      admin_id: makeId('DE', adminKey, i),
      name: `${CAPITALS(person.first)} ${CAPITALS(person.last)}`,
      email: mailbox,
      phone: `+1555${String(1000000 + (mix(h, 5) % 9000000))}`,
      role,
      status,
      last_login: lastLogin,
      created: startSeconds - 400 * 86400 + (mix(h, 6) % (300 * 86400)),
      restricted_by_admin_units: restricted,
      admin_units: restricted ? [makeId('DU', mix(adminKey, 99), i)] : [],
      last_directory_sync: null,
      password_change_required: false,
    };
  });
}
