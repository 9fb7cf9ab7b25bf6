/**
 * Accounts are Duo users seen by a `duo` source (key: Duo `user_id`); entitlements are Duo
 * groups (key: `group_id`). Both come from aggregation snapshots; an account missing from a
 * complete snapshot is marked deleted, not removed.
 *
 * @example account.correlation === 'email' // linked to its identity by e-mail address
 */
import type { EpochMs } from './time.js';

/** How an account was linked to its identity, strongest first; `created` = identity made for it. */
export const CORRELATIONS = ['user_id', 'email', 'username', 'alias', 'created', 'manual'] as const;
export type Correlation = (typeof CORRELATIONS)[number];

export interface Account {
  readonly id: number;
  readonly sourceId: string;
  readonly duoUserId: string;
  readonly username: string;
  readonly realname: string | null;
  readonly email: string | null;
  /**
   * As Duo sends it (`active`, `bypass`, `disabled`, `locked out`, `pending deletion`), so a new
   * status is shown, not lost.
   */
  readonly status: string;
  readonly lockoutReason: string | null;
  readonly aliases: readonly string[];
  readonly isEnrolled: boolean | null;
  readonly lastLoginMs: EpochMs | null;
  readonly createdMs: EpochMs | null;
  readonly identityId: string | null;
  readonly correlation: Correlation | null;
  readonly deletedAt: EpochMs | null;
  readonly firstSeenAt: EpochMs;
  readonly lastSeenAt: EpochMs;
}

/** One user of an aggregation snapshot, already converted from Duo's wire shape. */
export interface AccountSnapshot {
  readonly duoUserId: string;
  readonly username: string;
  readonly realname?: string | null;
  readonly email?: string | null;
  readonly status: string;
  readonly lockoutReason?: string | null;
  readonly aliases?: readonly string[];
  readonly isEnrolled?: boolean | null;
  readonly lastLoginMs?: EpochMs | null;
  readonly createdMs?: EpochMs | null;
  /** The user's groups (Duo embeds them in /users); replaces the account's memberships. */
  readonly groups?: readonly { readonly duoGroupId: string; readonly name: string }[];
  /** The original Duo record. */
  readonly raw?: unknown;
}

export interface Entitlement {
  readonly id: number;
  readonly sourceId: string;
  readonly duoGroupId: string;
  readonly name: string;
  readonly description: string | null;
  readonly status: string | null;
  readonly deletedAt: EpochMs | null;
}

export interface EntitlementSnapshot {
  readonly duoGroupId: string;
  readonly name: string;
  readonly description?: string | null;
  readonly status?: string | null;
  readonly raw?: unknown;
}

/** The outcome of marking what a complete snapshot did not contain. */
export type DeletionOutcome =
  | { readonly kind: 'deleted'; readonly deleted: number }
  | {
      readonly kind: 'refused';
      readonly reason: 'empty_snapshot' | 'too_many';
      /** How many would have been deleted, and out of how many present. */
      readonly wouldDelete: number;
      readonly present: number;
    };
