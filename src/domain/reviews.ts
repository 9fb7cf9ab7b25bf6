/**
 * Access-review campaigns: who reviews which access, the decisions they take and how a revoked
 * access is removed in Duo. A campaign fixes its items at creation (the account, the access, and
 * the figures the reviewer decides on), so its evidence stays true when accounts change later.
 *
 * @example const rule = decisionRule({ decision: 'keep', suggestion: 'revoke', comment: '' });
 *   if (rule) throw new InputError(rule); // "a keep against a revoke suggestion needs a comment"
 */
import type { AccessSuggestion } from './reports.js';
import type { EpochMs } from './time.js';

/** What a campaign reviews: memberships of entitlements, or every account of Duo sources. */
export type ReviewScope =
  | {
      /** Each member of each entitlement (Duo group or administrator role) is one item. */
      readonly kind: 'entitlements';
      readonly entitlementIds: readonly number[];
    }
  | {
      /** Each account (not deleted) of each source is one item; a revoke disables the user. */
      readonly kind: 'accounts';
      readonly sourceIds: readonly string[];
    };

/** Who reviews: each item's source owner, a governance group's members, or named identities. */
export type ReviewerChoice =
  | { readonly kind: 'source_owner' }
  | { readonly kind: 'governance_group'; readonly governanceGroupId: string }
  | { readonly kind: 'identities'; readonly identityIds: readonly string[] };

export type ReviewDecision = 'keep' | 'revoke';
export const REVIEW_DECISIONS = ['keep', 'revoke'] as const;

/**
 * `open`: reviewers decide; `signed_off`: decisions locked, nothing changed in Duo yet;
 * `remediating`: the revocations are being carried out; `remediated`: every step ended
 * (done, failed or manual) and the items were verified.
 */
export const CAMPAIGN_STATES = ['open', 'signed_off', 'remediating', 'remediated'] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

/**
 * How a revoke is carried out: `remove_from_group` (Duo group membership: DELETE
 * /admin/v1/users/{user_id}/groups/{group_id}), `disable_user` (an item of an accounts
 * campaign: POST /admin/v1/users/{user_id} status=disabled), `manual` (an administrator role,
 * or a credential without "Grant write resource": a person does it in the Duo Admin Panel).
 */
export const REMEDIATION_ACTIONS = ['remove_from_group', 'disable_user', 'manual'] as const;
export type RemediationAction = (typeof REMEDIATION_ACTIONS)[number];

/**
 * A remediation step's state: `pending` (not sent), `accepted` (Duo answered OK: never sent
 * again), `failed` (Duo refused, or retries ran out; the answer is kept), `uncertain` (no answer
 * after sending: verified by reading Duo before anything is sent again), `manual` (for a person).
 */
export const STEP_STATES = ['pending', 'accepted', 'failed', 'uncertain', 'manual'] as const;
export type StepState = (typeof STEP_STATES)[number];

/** What the aggregation after remediation found: the access gone, or still there. */
export const VERIFICATIONS = ['removed', 'still_present'] as const;
export type Verification = (typeof VERIFICATIONS)[number];

/** The figures an item was created with, as the reviewer saw them. */
export interface ReviewFigures {
  readonly accountStatus: string;
  readonly lastActivityMs: EpochMs | null;
  readonly lastSuccessMs: EpochMs | null;
  readonly daysActive90: number;
  readonly suggestion: AccessSuggestion;
  readonly reason: string;
}

/**
 * Whether a decision may be taken as given: a keep against a revoke suggestion needs a comment
 * (why the access stays although nothing suggests it is used). Null when allowed, else why not.
 */
export function decisionRule(input: {
  readonly decision: ReviewDecision;
  readonly suggestion: AccessSuggestion;
  readonly comment: string | null | undefined;
}): string | null {
  if (
    input.decision === 'keep' &&
    input.suggestion === 'revoke' &&
    (input.comment ?? '').trim() === ''
  )
    return 'a keep against a revoke suggestion needs a comment saying why the access stays';
  return null;
}

/** The longest comment a decision keeps. */
export const MAX_DECISION_COMMENT = 2000;
