/**
 * Groups and memberships: every user is in 1 to 3 groups, computed both ways (a user's groups,
 * a group's members) from block arithmetic on the index, plus group names and objects.
 *
 * @example const groups = createGroups(tenant, users); groups.memberIndexes(0);
 */
import type { DuoGroup } from '../../duo/wire.js';
import { at, mix, unit } from './hash.js';
import { makeId } from './ids.js';
import { DEPARTMENTS, SITES } from './tables.js';
import type { Tenant } from './tenant.js';
import type { Users } from './users.js';

/** The functions createGroups returns, as the modules built on them receive them. */
export type Groups = ReturnType<typeof createGroups>;

/** The group functions: names, objects, a user's groups and a group's members. */
export function createGroups(tenant: Tenant, users: Users) {
  const { userCountTotal, groupKey, groupIdKey, groupTotal, thirdShift } = tenant;
  const { userHash, isDeleted } = users;

  function groupCountOf(i: number): number {
    const r = unit(mix(userHash(i), 11));
    return r < 0.5 ? 1 : r < 0.85 ? 2 : 3;
  }

  /** Offsets of a user's 2nd and 3rd groups from its first, by its block `q = floor(i / G)`. */
  function groupOffsets(q: number): [number, number] {
    const span = groupTotal - 1;
    return [1 + (q % span), 1 + ((q + thirdShift) % span)];
  }

  function groupIndexesOf(i: number): number[] {
    const q = Math.floor(i / groupTotal);
    const r = i % groupTotal;
    const [o2, o3] = groupOffsets(q);
    const count = groupCountOf(i);
    const out = [r];
    if (count >= 2) out.push((r + o2) % groupTotal);
    if (count >= 3) out.push((r + o3) % groupTotal);
    return out;
  }

  /** Members of group g in ascending user index: per block q, up to three candidates. */
  function memberIndexes(g: number): number[] {
    const out: number[] = [];
    const blocks = Math.ceil(userCountTotal / groupTotal);
    for (let q = 0; q < blocks; q++) {
      const base = q * groupTotal;
      const [o2, o3] = groupOffsets(q);
      const block: number[] = [base + g];
      const second = base + ((g - o2 + groupTotal) % groupTotal);
      if (groupCountOf(second) >= 2) block.push(second);
      const third = base + ((g - o3 + groupTotal) % groupTotal);
      if (groupCountOf(third) >= 3) block.push(third);
      block.sort((a, b) => a - b);
      for (const i of block) if (i < userCountTotal && !isDeleted(i)) out.push(i);
    }
    return out;
  }

  function groupName(g: number): string {
    const department = at(DEPARTMENTS, g % DEPARTMENTS.length);
    const site = Math.floor(g / DEPARTMENTS.length);
    if (site === 0) return department;
    const round = Math.floor((site - 1) / SITES.length);
    return `${department} - ${at(SITES, (site - 1) % SITES.length)}${round === 0 ? '' : ` ${round + 1}`}`;
  }

  function groupObject(g: number): DuoGroup {
    const h = mix(groupKey, g);
    const status =
      unit(mix(h, 1)) < 0.04 ? 'Disabled' : unit(mix(h, 1)) < 0.06 ? 'Bypass' : 'Active';
    const synced = unit(mix(h, 2)) < 0.5;
    return {
      desc: synced ? `Synced from Active Directory (corp.example.com)` : `${groupName(g)} staff`,
      group_id: makeId('DG', groupIdKey, g),
      mobile_otp_enabled: false,
      name: groupName(g),
      push_enabled: true,
      sms_enabled: unit(mix(h, 3)) < 0.7,
      status,
      voice_enabled: unit(mix(h, 4)) < 0.5,
    };
  }

  return { groupCountOf, groupOffsets, groupIndexesOf, memberIndexes, groupName, groupObject };
}
