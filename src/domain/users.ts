/**
 * People who sign in to duo-insights (not to be confused with identities, the people Duo knows):
 * local users with a role, their API tokens, and the audit trail of what they did.
 *
 * @example if (user.role === 'viewer') throw new ForbiddenError('viewers only read');
 */
import type { EpochMs } from './time.js';

/**
 * `admin` does everything; `source_manager` manages the sources whose owner is its identity or
 * whose governance group its identity belongs to; `viewer` reads.
 */
export const ROLES = ['admin', 'source_manager', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  /** The identity this user is (what makes a source manager an owner or group member). */
  readonly identityId: string | null;
  readonly disabled: boolean;
  /**
   * The password was generated or set by someone else (the first admin's, an admin's reset):
   * until the user changes it, the API answers only sign-out, `auth/me` and the change itself.
   */
  readonly mustChangePassword: boolean;
  readonly createdAt: EpochMs;
  readonly updatedAt: EpochMs;
}

export interface ApiToken {
  readonly id: string;
  readonly name: string;
  readonly userId: string;
  /** The first characters of the token, to recognise it (the token itself is shown once). */
  readonly prefix: string;
  readonly createdAt: EpochMs;
  /** To within 5 minutes: a use within 5 minutes of the last one recorded is not written. */
  readonly lastUsedAt: EpochMs | null;
  /** From this instant on the token authenticates nowhere; null: it never expires. */
  readonly expiresAt: EpochMs | null;
}

/** One thing a person did: who, what, to which object, when, from where. */
export interface AuditEntry {
  readonly id: number;
  readonly at: EpochMs;
  readonly actorUserId: string | null;
  /** Username (or `system`, `cli`) at the time. */
  readonly actor: string;
  /** e.g. `source.create`, `source.configure`, `source.test`, `source.sync`, `user.delete`. */
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string | null;
  readonly targetName: string | null;
  readonly details: unknown;
  readonly ip: string | null;
}
