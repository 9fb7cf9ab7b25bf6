/**
 * Who an event belongs to: a skewed pick among users who fit the event at its instant (active,
 * not yet dormant, with the right factor or status), and where the event comes from.
 *
 * @example const user = picking.pickUser(eventHash, ts, 'mobile');
 */
import type { AuthNeed } from './auth-shape.js';
import type { Devices } from './devices.js';
import { at, choose, mix, mix3, unit } from './hash.js';
import type { Place } from './tables.js';
import { ALL_PLACES, WORLD_PLACES } from './tables.js';
import type { Tenant } from './tenant.js';
import type { Users } from './users.js';

/** The functions createPicking returns, as the modules built on them receive them. */
export type Picking = ReturnType<typeof createPicking>;

/** Picks the user and the place of an event. */
export function createPicking(tenant: Tenant, users: Users, devices: Devices) {
  const { userCountTotal, pickKey } = tenant;
  const {
    baseStatus,
    activity,
    dormantSince,
    phoneCount,
    tokenCount,
    homePlace,
    homeIp,
    indexOfRank,
  } = users;
  const { phoneIsMobile } = devices;

  function activeAt(i: number, t: number): boolean {
    switch (activity(i)) {
      case 'never':
        return false;
      case 'dormant':
        return t < dormantSince(i);
      case 'active':
        return true;
    }
  }

  function fits(i: number, t: number, need: AuthNeed): boolean {
    const status = baseStatus(i);
    if (need === 'status_denied') {
      const blocked = status === 'disabled' || status === 'locked out';
      return blocked && (activity(i) !== 'dormant' || t < dormantSince(i));
    }
    if (!activeAt(i, t)) return false;
    if (need === 'bypass') return status === 'bypass';
    if (status !== 'active') return false;
    switch (need) {
      case 'any':
        return phoneCount(i) + tokenCount(i) > 0;
      case 'phone':
        return phoneCount(i) > 0;
      case 'mobile':
        return phoneCount(i) > 0 && phoneIsMobile(i, 0);
      case 'token':
        return tokenCount(i) > 0;
    }
  }

  /**
   * A user for an event at `t`: skewed (rank = N·u³, so a few users are very active and many
   * rare), retried by hash until one fits; the first candidate if none does.
   */
  function pickUser(e: number, t: number, need: AuthNeed): number {
    if (userCountTotal === 0) return -1;
    let first = 0;
    for (let attempt = 0; attempt < 96; attempt++) {
      const u = unit(mix3(pickKey, e, attempt));
      const i = indexOfRank(Math.floor(userCountTotal * u * u * u));
      if (attempt === 0) first = i;
      if (fits(i, t, need)) return i;
    }
    // rare needs (a hardware token, a disabled user) in small tenants: walk on from the first
    const steps = Math.min(userCountTotal, 4096);
    for (let k = 1; k < steps; k++) {
      const i = (first + k) % userCountTotal;
      if (fits(i, t, need)) return i;
    }
    for (let k = 0; k < steps; k++) {
      const i = (first + k) % userCountTotal;
      if (fits(i, t, 'any')) return i;
    }
    return -1;
  }

  function eventPlace(i: number, h: number): { place: Place; ip: string } {
    const r = unit(mix(h, 1));
    if (i < 0 || r >= 0.93) {
      const place = r >= 0.98 ? choose(WORLD_PLACES, mix(h, 2)) : choose(ALL_PLACES, mix(h, 2));
      const x = mix(h, 3);
      return {
        place,
        ip: `${at([41, 45, 89, 103, 185, 196], x % 6)}.${(x >>> 4) & 255}.${(x >>> 12) & 255}.${1 + ((x >>> 20) % 254)}`,
      };
    }
    return { place: homePlace(i), ip: homeIp(i) };
  }

  return { activeAt, fits, pickUser, eventPlace };
}
