/**
 * The full Duo user object (groups, phones, tokens, aliases, last login) and the lookups by
 * username, alias and group id that the endpoints answer from.
 *
 * @example const directory = createDirectory(tenant, users, groups, devices); directory.userObject(0);
 */
import type { DuoUser } from '../../duo/wire.js';
import type { Devices } from './devices.js';
import type { Groups } from './groups.js';
import { mix, unit, uuidFrom } from './hash.js';
import { idIndex } from './ids.js';
import { CAPITALS, FIRST_NAMES } from './tables.js';
import type { Tenant } from './tenant.js';
import type { Users } from './users.js';

/** The functions createDirectory returns, as the modules built on them receive them. */
export type Directory = ReturnType<typeof createDirectory>;

/** Full user objects and the lookups by username, alias and group id. */
export function createDirectory(tenant: Tenant, users: Users, groups: Groups, devices: Devices) {
  const { start, historyStart, groupIdKey, groupTotal, statusOverrides, removedMemberships } =
    tenant;
  const {
    userHash,
    baseStatus,
    baseLockoutReason,
    phoneCount,
    tokenCount,
    names,
    username,
    usernameIndex,
    aliasesOf,
    userId,
    isDeleted,
    lastLogin,
  } = users;
  const { groupIndexesOf, groupObject } = groups;
  const { phoneObject, tokenObject } = devices;

  function userObject(i: number): DuoUser {
    const h = userHash(i);
    const n = names(i);
    const name = username(i);
    const email = `${name}@example.com`;
    const override = statusOverrides.get(i);
    const status = override?.status ?? baseStatus(i);
    const lockoutReason = override ? override.lockoutReason : baseLockoutReason(i);
    const phones = Array.from({ length: phoneCount(i) }, (_, p) => phoneObject(i, p));
    const tokens = Array.from({ length: tokenCount(i) }, () => tokenObject(i));
    const { alias1, alias2 } = aliasesOf(i);
    const aliases: Record<string, string> = {};
    if (alias1 !== null) aliases.alias1 = alias1;
    if (alias2 !== null) aliases.alias2 = alias2;
    const synced = unit(mix(h, 13)) < 0.6;
    const createdSec = Math.floor(historyStart / 1000) - 86400 * (30 + (mix(h, 14) % 1100));
    return {
      user_id: userId(i),
      username: name,
      realname: `${CAPITALS(n.first)} ${CAPITALS(n.last)}`,
      email,
      firstname: CAPITALS(n.first),
      lastname: CAPITALS(n.last),
      status,
      lockout_reason: lockoutReason,
      notes: unit(mix(h, 15)) < 0.05 ? 'Contractor until end of quarter' : '',
      created: createdSec,
      last_login: lastLogin(i, createdSec),
      last_directory_sync: synced ? Math.floor(start / 1000) - (mix(h, 16) % 86400) : null,
      is_enrolled: phones.length + tokens.length > 0,
      external_id: synced ? uuidFrom(mix(h, 17)) : null,
      enable_auto_prompt: true,
      custom_attributes: {},
      alias1,
      alias2,
      alias3: null,
      alias4: null,
      aliases,
      groups: groupIndexesOf(i)
        .filter((g) => removedMemberships.get(i)?.has(g) !== true)
        .map((g) => groupObject(g)),
      phones,
      tokens,
      u2ftokens: [],
      webauthncredentials: [],
    };
  }

  /** Duo's `username` lookup also matches aliases, so this does too (alias1, then alias2). */
  function findUserByUsername(name: string): DuoUser | undefined {
    const i = usernameIndex(name) ?? aliasIndex(name);
    return i === undefined || isDeleted(i) ? undefined : userObject(i);
  }

  /** `johnsmith2` (alias1) or `john_smith2` (alias2), back to the user. */
  function aliasIndex(text: string): number | undefined {
    const underscore = /^([a-z]+)_([a-z]+)(\d*)$/.exec(text);
    if (underscore) {
      const i = usernameIndex(
        `${underscore[1] ?? ''}.${underscore[2] ?? ''}${underscore[3] ?? ''}`,
      );
      return i !== undefined && aliasesOf(i).alias2 === text ? i : undefined;
    }
    for (const first of FIRST_NAMES) {
      if (!text.startsWith(first)) continue;
      const rest = /^([a-z]+?)(\d*)$/.exec(text.slice(first.length));
      if (!rest) continue;
      const i = usernameIndex(`${first}.${rest[1] ?? ''}${rest[2] ?? ''}`);
      if (i !== undefined && aliasesOf(i).alias1 === text) return i;
    }
    return undefined;
  }

  function findGroupIndex(groupId: string): number | undefined {
    return idIndex(groupId, 'DG', groupIdKey, groupTotal);
  }

  return { userObject, findUserByUsername, aliasIndex, findGroupIndex };
}
