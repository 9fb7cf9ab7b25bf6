/**
 * Access-review campaigns: the campaign with its progress, its items (fixed at creation with
 * the figures the reviewer decides on), decisions, sign-off, remediation in Duo and the evidence.
 * Also the request bodies, shared by the server's validation and the console.
 *
 * @example { "id": "…", "name": "VPN Q4", "state": "open", "progress": { "decided": 12, "total": 40 }, … }
 */
import { z } from 'zod';
import {
  CAMPAIGN_STATES,
  MAX_DECISION_COMMENT,
  REMEDIATION_ACTIONS,
  REVIEW_DECISIONS,
  STEP_STATES,
  VERIFICATIONS,
} from '../../domain/reviews.js';
import { ACCOUNT_KINDS, ENTITLEMENT_KINDS } from './accounts.js';
import { EpochMs, Next } from './common.js';

export { CAMPAIGN_STATES, REMEDIATION_ACTIONS, REVIEW_DECISIONS, STEP_STATES, VERIFICATIONS };

export const ReviewScope = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('entitlements'),
    entitlementIds: z
      .array(z.number().int().positive())
      .min(1)
      .max(100)
      .describe('Duo groups or administrator roles; each member is one item'),
  }),
  z.object({
    kind: z.literal('accounts'),
    sourceIds: z
      .array(z.string().min(1))
      .min(1)
      .max(20)
      .describe('Duo sources; each account is one item, and a revoke disables the Duo user'),
  }),
]);
export type ReviewScope = z.infer<typeof ReviewScope>;

export const ReviewerChoice = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('source_owner') }),
  z.object({ kind: z.literal('governance_group'), governanceGroupId: z.string().min(1) }),
  z.object({
    kind: z.literal('identities'),
    identityIds: z.array(z.string().min(1)).min(1).max(50),
  }),
]);
export type ReviewerChoice = z.infer<typeof ReviewerChoice>;

/** `POST /api/v1/reviews`. */
export const NewCampaignBody = z.object({
  name: z.string().trim().min(1).max(200),
  scope: ReviewScope,
  reviewers: ReviewerChoice,
  dueMs: EpochMs.describe('the due date, epoch ms; in the future'),
});
export type NewCampaignBody = z.infer<typeof NewCampaignBody>;

/** Done of total for one reviewer (or the whole campaign). */
export const ReviewProgress = z.object({
  decided: z.number(),
  total: z.number(),
  keep: z.number(),
  revoke: z.number(),
});
export type ReviewProgress = z.infer<typeof ReviewProgress>;

export const ReviewerProgress = ReviewProgress.extend({
  identityId: z.string(),
  identityName: z.string().nullable(),
});
export type ReviewerProgress = z.infer<typeof ReviewerProgress>;

/** Remediation counts: steps by state, and what verification found. */
export const RemediationSummary = z.object({
  mode: z
    .enum(['duo', 'manual'])
    .nullable()
    .describe(
      'duo: revocations are made through the Admin API; manual: the credential lacks "Grant write resource" (or the access is an administrator role), export the list; null before sign-off',
    ),
  steps: z.number(),
  pending: z.number(),
  accepted: z.number(),
  failed: z.number(),
  uncertain: z.number(),
  manual: z.number(),
  removed: z.number().describe('verified gone after the source was aggregated again'),
  stillPresent: z.number().describe('verified still there: flagged for a person'),
  startedAt: EpochMs.nullable(),
  finishedAt: EpochMs.nullable(),
});
export type RemediationSummary = z.infer<typeof RemediationSummary>;

export const Campaign = z.object({
  id: z.string(),
  name: z.string(),
  state: z.enum(CAMPAIGN_STATES),
  scope: ReviewScope,
  reviewers: ReviewerChoice,
  sources: z.array(z.object({ id: z.string(), name: z.string() })),
  dueMs: EpochMs,
  overdue: z.boolean(),
  createdBy: z.string(),
  createdAt: EpochMs,
  signedOffBy: z.string().nullable(),
  signedOffAt: EpochMs.nullable(),
  progress: ReviewProgress,
  /** The signed-in person's own items (null when they review none). */
  mine: ReviewProgress.nullable(),
  byReviewer: z.array(ReviewerProgress),
  remediation: RemediationSummary,
  /** What the signed-in person may do now. */
  can: z.object({ decide: z.boolean(), signOff: z.boolean(), remediate: z.boolean() }),
});
export type Campaign = z.infer<typeof Campaign>;

export const CampaignList = z.object({ campaigns: z.array(Campaign) });
export type CampaignList = z.infer<typeof CampaignList>;

export const ReviewStep = z.object({
  action: z.enum(REMEDIATION_ACTIONS),
  state: z.enum(STEP_STATES),
  attempts: z.number(),
  request: z.string().nullable().describe('what is sent to Duo, e.g. DELETE /admin/v1/users/…'),
  answer: z.unknown().nullable().describe('Duo’s answer to the last attempt'),
  error: z.string().nullable(),
  startedAt: EpochMs.nullable(),
  finishedAt: EpochMs.nullable(),
  verification: z.enum(VERIFICATIONS).nullable(),
  verifiedAt: EpochMs.nullable(),
});
export type ReviewStep = z.infer<typeof ReviewStep>;

export const ReviewItem = z.object({
  id: z.number(),
  sourceId: z.string(),
  accountId: z.number(),
  accountKind: z.enum(ACCOUNT_KINDS),
  duoUserId: z.string(),
  username: z.string(),
  realname: z.string().nullable(),
  email: z.string().nullable(),
  identityId: z.string().nullable(),
  identityName: z.string().nullable(),
  entitlement: z
    .object({
      id: z.number(),
      kind: z.enum(ENTITLEMENT_KINDS),
      duoGroupId: z.string(),
      name: z.string(),
    })
    .nullable()
    .describe('null in an accounts campaign: the account itself is reviewed'),
  accountStatus: z.string().describe('the Duo status when the campaign was created'),
  lastActivityMs: EpochMs.nullable(),
  lastSuccessMs: EpochMs.nullable(),
  daysActive90: z.number(),
  suggestion: z.enum(REVIEW_DECISIONS),
  reason: z.string(),
  reviewerIds: z.array(z.string()),
  decision: z.enum(REVIEW_DECISIONS).nullable(),
  comment: z.string().nullable(),
  decidedBy: z.string().nullable(),
  decidedAt: EpochMs.nullable(),
  step: ReviewStep.nullable(),
});
export type ReviewItem = z.infer<typeof ReviewItem>;

export const ReviewItemList = z.object({
  items: z.array(ReviewItem),
  total: z.number().describe('items matching the filters'),
  next: Next,
});
export type ReviewItemList = z.infer<typeof ReviewItemList>;

/** `GET /api/v1/reviews/:id/items` and a bulk decision's `select`: which items. */
export const ReviewItemFilter = z.object({
  decision: z.enum(['keep', 'revoke', 'undecided']).optional(),
  suggestion: z.enum(REVIEW_DECISIONS).optional(),
  mine: z.boolean().optional().describe('only items the signed-in person reviews'),
  q: z.string().max(200).optional().describe('username, name, e-mail or identity contains'),
  entitlementId: z.number().int().positive().optional(),
  accountStatus: z.string().max(50).optional(),
  activeWithinDays: z
    .number()
    .int()
    .min(0)
    .max(3650)
    .optional()
    .describe('last activity within this many days'),
  inactiveForDays: z
    .number()
    .int()
    .min(0)
    .max(3650)
    .optional()
    .describe('no activity for at least this many days (or never)'),
});
export type ReviewItemFilter = z.infer<typeof ReviewItemFilter>;

export const REVIEW_ITEM_SORTS = [
  'username',
  'lastActivity',
  'daysActive90',
  'suggestion',
  'decision',
  'entitlement',
] as const;

/** `POST /api/v1/reviews/:id/decisions`: listed items, or every item a filter selects. */
export const DecisionsBody = z.union([
  z.object({
    items: z
      .array(
        z.object({
          itemId: z.number().int().positive(),
          decision: z.enum(REVIEW_DECISIONS),
          comment: z.string().max(MAX_DECISION_COMMENT).optional(),
        }),
      )
      .min(1)
      .max(1000),
  }),
  z.object({
    select: ReviewItemFilter,
    decision: z.enum(REVIEW_DECISIONS),
    comment: z.string().max(MAX_DECISION_COMMENT).optional(),
  }),
]);
export type DecisionsBody = z.infer<typeof DecisionsBody>;

export const DecisionsResult = z.object({
  decided: z.number().describe('items whose decision was recorded'),
  campaign: Campaign,
});
export type DecisionsResult = z.infer<typeof DecisionsResult>;

/** `POST /api/v1/reviews/:id/remediate`. */
export const RemediateBody = z.object({ dryRun: z.boolean().optional() });

/** One change a remediation makes (or, in a dry run, would make). */
export const PlannedChange = z.object({
  itemId: z.number(),
  username: z.string(),
  entitlementName: z.string().nullable(),
  action: z.enum(REMEDIATION_ACTIONS),
  request: z.string().nullable(),
  why: z.string().describe('why manual, when it is'),
});
export type PlannedChange = z.infer<typeof PlannedChange>;

export const RemediationAnswer = z.object({
  dryRun: z.boolean(),
  changes: z.array(PlannedChange),
  campaign: Campaign,
});
export type RemediationAnswer = z.infer<typeof RemediationAnswer>;

/** A decision as taken, for the evidence: every one, not only the last. */
export const EvidenceDecision = z.object({
  decision: z.enum(REVIEW_DECISIONS),
  comment: z.string().nullable(),
  decidedBy: z.string(),
  decidedAt: EpochMs,
});

export const EvidenceItem = ReviewItem.extend({ history: z.array(EvidenceDecision) });

export const Evidence = z.object({
  campaign: Campaign,
  generatedAt: EpochMs,
  items: z.array(EvidenceItem),
});
export type Evidence = z.infer<typeof Evidence>;
