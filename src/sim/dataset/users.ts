/**
 * A user's attributes, each a hash of its index: status and lockout reason, activity (active,
 * dormant since an instant, never), phone and token counts, home place and IP, names, username and
 * aliases (and back to the index), ids, position among present users, and activity rank.
 *
 * @example const users = createUsers(tenant); users.username(users.indexOfRank(0));
 */
import { DAY_MS } from '../../domain/time.js';
import { at, binarySearch, choose, mix, unit, weighted } from './hash.js';
import { idIndex, makeId } from './ids.js';
import type { Place } from './tables.js';
import {
  FIRST_INDEX,
  FIRST_NAMES,
  LAST_INDEX,
  LOCKOUT_REASONS,
  NAME_COMBOS,
  NAME_STEP_INVERSE,
  US_PLACES,
  WORLD_PLACES,
} from './tables.js';
import type { Tenant } from './tenant.js';

export type Status = 'active' | 'disabled' | 'locked out' | 'bypass' | 'pending deletion';
/** Whether a user authenticates: `never` logged in, `dormant` after some instant, or `active`. */
export type Activity = 'active' | 'dormant' | 'never';

/** The functions createUsers returns, as the modules built on them receive them. */
export type Users = ReturnType<typeof createUsers>;

/** The attribute functions of the tenant's users (index → value, and username → index). */
export function createUsers(tenant: Tenant) {
  const {
    userCountTotal,
    start,
    userKey,
    userIdKey,
    nameOffset,
    rankStep,
    rankOffset,
    rankStepInverse,
    deleted,
    options,
  } = tenant;

  const userHash = (i: number): number => mix(userKey, i);

  function baseStatus(i: number): Status {
    const r = unit(mix(userHash(i), 1));
    if (r < 0.85) return 'active';
    if (r < 0.9) return 'disabled';
    if (r < 0.94) return 'locked out';
    if (r < 0.97) return 'bypass';
    return 'pending deletion';
  }

  function baseLockoutReason(i: number): string | null {
    return baseStatus(i) === 'locked out' ? weighted(LOCKOUT_REASONS, mix(userHash(i), 2)) : null;
  }

  function activity(i: number): Activity {
    if (phoneCount(i) + tokenCount(i) === 0) return 'never'; // nothing to authenticate with
    const r = unit(mix(userHash(i), 3));
    switch (baseStatus(i)) {
      case 'active':
      case 'bypass':
        return r < 0.03 ? 'never' : r < 0.12 ? 'dormant' : 'active';
      case 'disabled':
        return r < 0.2 ? 'never' : r < 0.7 ? 'dormant' : 'active';
      case 'locked out':
        return baseLockoutReason(i) === 'Not enrolled' ? 'never' : r < 0.3 ? 'dormant' : 'active';
      case 'pending deletion':
        return r < 0.3 ? 'never' : 'dormant';
    }
  }

  /** Dormant users stop authenticating 91 to 360 days before `start`. */
  function dormantSince(i: number): number {
    return start - (91 + (mix(userHash(i), 4) % 270)) * DAY_MS - (mix(userHash(i), 5) % DAY_MS);
  }

  function phoneCount(i: number): number {
    if (baseLockoutReason(i) === 'Not enrolled') return 0;
    const r = unit(mix(userHash(i), 6));
    return r < 0.04 ? 0 : r < 0.86 ? 1 : 2;
  }

  function tokenCount(i: number): number {
    if (baseLockoutReason(i) === 'Not enrolled') return 0;
    const r = unit(mix(userHash(i), 7));
    return r < 0.03 || (phoneCount(i) === 0 && r < 0.5) ? 1 : 0;
  }

  function homePlace(i: number): Place {
    const h = userHash(i);
    return unit(mix(h, 8)) < 0.85 ? choose(US_PLACES, mix(h, 9)) : choose(WORLD_PLACES, mix(h, 9));
  }

  function homeIp(i: number): string {
    const h = mix(userHash(i), 10);
    return `${at([73, 98, 108, 162, 174, 24, 68, 99], h & 7)}.${(h >>> 3) & 255}.${(h >>> 11) & 255}.${1 + ((h >>> 19) % 254)}`;
  }

  const names = tenant.nameParts;

  function username(i: number): string {
    const n = names(i);
    return `${n.first}.${n.last}${n.suffix}`;
  }

  function usernameIndex(text: string): number | undefined {
    const match = /^([a-z]+)\.([a-z]+)([1-9]\d*)?$/.exec(text);
    if (!match) return undefined;
    const first = FIRST_INDEX.get(match[1] ?? '');
    const last = LAST_INDEX.get(match[2] ?? '');
    if (first === undefined || last === undefined) return undefined;
    const repetition = match[3] === undefined ? 0 : Number(match[3]) - 1;
    if (repetition < 1 && match[3] !== undefined) return undefined;
    const combo = last * FIRST_NAMES.length + first;
    const position =
      (((combo - nameOffset + NAME_COMBOS) % NAME_COMBOS) * NAME_STEP_INVERSE) % NAME_COMBOS;
    const index = repetition * NAME_COMBOS + position;
    return index < userCountTotal && username(index) === text ? index : undefined;
  }

  function aliasesOf(i: number): { alias1: string | null; alias2: string | null } {
    const n = names(i);
    const roll = unit(mix(userHash(i), 12));
    return {
      alias1: roll < 0.2 ? `${n.first}${n.last}${n.suffix}` : null,
      alias2: roll < 0.05 ? `${n.first}_${n.last}${n.suffix}` : null,
    };
  }

  const userId = (i: number): string => makeId('DU', userIdKey, i);
  const isDeleted = (i: number): boolean => binarySearch(deleted, i) >= 0;

  function presentIndexOfId(id: string): number | undefined {
    const i = idIndex(id, 'DU', userIdKey, userCountTotal);
    return i === undefined || isDeleted(i) ? undefined : i;
  }
  /** Seconds; null for users who never logged in. Close to (not exactly) their last auth event. */
  function lastLogin(i: number, createdSec: number): number | null {
    const h = mix(userHash(i), 18);
    switch (activity(i)) {
      case 'never':
        return null;
      case 'dormant':
        return Math.max(createdSec, Math.floor((dormantSince(i) - (h % DAY_MS)) / 1000));
      case 'active': {
        // the rarer the user (rank fraction x, picked with density x^(-2/3)/3), the older
        const x = (rankOf(i) + 0.5) / Math.max(1, userCountTotal);
        const perDay = options.authEventsPerDay / Math.max(1, userCountTotal) / (3 * x ** (2 / 3));
        const gapMs = Math.min(60 * DAY_MS, DAY_MS / Math.max(perDay, 1 / 60));
        return Math.max(createdSec, Math.floor((start - unit(h) * gapMs) / 1000));
      }
    }
  }

  function positionToIndex(position: number): number {
    if (
      !Number.isSafeInteger(position) ||
      position < 0 ||
      position >= userCountTotal - deleted.length
    )
      throw new RangeError(`no user at position ${position}`);
    let index = position;
    for (const d of deleted) {
      if (d <= index) index++;
      else break;
    }
    return index;
  }

  const indexOfRank = (rank: number): number => (rank * rankStep + rankOffset) % userCountTotal;
  const rankOf = (i: number): number =>
    (((i - rankOffset + userCountTotal) % userCountTotal) * rankStepInverse) % userCountTotal;

  return {
    userHash,
    baseStatus,
    baseLockoutReason,
    activity,
    dormantSince,
    phoneCount,
    tokenCount,
    homePlace,
    homeIp,
    names,
    username,
    usernameIndex,
    aliasesOf,
    userId,
    isDeleted,
    presentIndexOfId,
    lastLogin,
    positionToIndex,
    indexOfRank,
    rankOf,
  };
}
