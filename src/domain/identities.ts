/**
 * Identities are people: they own sources, belong to governance groups and have accounts.
 *
 * @example const owner: Identity = await getIdentity(db, source.ownerIdentityId);
 */
import type { EpochMs } from './time.js';

export interface Identity {
  readonly id: string;
  readonly displayName: string;
  readonly email: string | null;
  readonly username: string | null;
  readonly createdAt: EpochMs;
  readonly updatedAt: EpochMs;
}

export interface NewIdentity {
  readonly displayName: string;
  readonly email?: string | null;
  readonly username?: string | null;
}
