/**
 * Accounts are Duo users (kind `user`, key: Duo `user_id`) and Duo administrators (kind
 * `administrator`, key: `admin_id`) seen by a `duo` source; entitlements are Duo groups (kind
 * `group`, key: `group_id`) and Duo's admin roles (kind `admin_role`, key: the role's name). Both come from aggregation snapshots; an account missing from a
 * complete snapshot is marked deleted, not removed.
 *
 * @example account.correlation === 'email' // linked to its identity by e-mail address
 */
import type { EpochMs } from './time.js';

/** How an account was linked to its identity, strongest first; `created` = identity made for it. */
export const CORRELATIONS = ['user_id', 'email', 'username', 'alias', 'created', 'manual'] as const;
export type Correlation = (typeof CORRELATIONS)[number];

/** What an account is in Duo. Duo's ids tell them apart too: `DU…` users, `DE…` admins. */
export const ACCOUNT_KINDS = ['user', 'administrator'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

/** What can be done to a Duo user from duo-insights, in Duo (needs "Grant write resource"). */
export const ACCOUNT_ACTIONS = ['disable', 'enable', 'unlock'] as const;
export type AccountAction = (typeof ACCOUNT_ACTIONS)[number];

export const ENTITLEMENT_KINDS = ['group', 'admin_role'] as const;
export type EntitlementKind = (typeof ENTITLEMENT_KINDS)[number];

/**
 * Duo's fixed administrator roles. An administrator's role is stored as Duo sends it, so a role
 * added later is an entitlement too; these are the ones every tenant has.
 */
export const DUO_ADMIN_ROLES = [
  'Owner',
  'Administrator',
  'Application Manager',
  'User Manager',
  'Security Analyst',
  'Help Desk',
  'Billing',
  'Phishing Manager',
  'Read-only',
] as const;

export interface Account {
  readonly id: number;
  readonly kind: AccountKind;
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
  /** An administrator's Duo role (`Owner`, `Help Desk`, …); null for a user. */
  readonly adminRole: string | null;
  /** An administrator's admin units as Duo sends them; empty for a user. */
  readonly adminUnits: readonly unknown[];
  /** Whether an administrator's admin units restrict what it manages; null for a user. */
  readonly restrictedByAdminUnits: boolean | null;
  readonly identityId: string | null;
  readonly correlation: Correlation | null;
  readonly deletedAt: EpochMs | null;
  readonly firstSeenAt: EpochMs;
  readonly lastSeenAt: EpochMs;
}

/** One user of an aggregation snapshot, already converted from Duo's wire shape. */
export interface AccountSnapshot {
  /** Default `user`. */
  readonly kind?: AccountKind;
  /** The Duo key: a user's `user_id`, an administrator's `admin_id`. */
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
  readonly adminRole?: string | null;
  readonly adminUnits?: readonly unknown[];
  readonly restrictedByAdminUnits?: boolean | null;
  /**
   * The user's groups (Duo embeds them in /users), or an administrator's role; replaces the
   * account's memberships.
   */
  readonly groups?: readonly {
    readonly duoGroupId: string;
    readonly name: string;
    /** Default `group`. */
    readonly kind?: EntitlementKind;
  }[];
  /** The original Duo record. */
  readonly raw?: unknown;
}

export interface Entitlement {
  readonly id: number;
  readonly kind: EntitlementKind;
  readonly sourceId: string;
  readonly duoGroupId: string;
  readonly name: string;
  readonly description: string | null;
  readonly status: string | null;
  readonly deletedAt: EpochMs | null;
}

export interface EntitlementSnapshot {
  /** Default `group`. */
  readonly kind?: EntitlementKind;
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
