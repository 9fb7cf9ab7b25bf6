/**
 * Access-review campaigns, as use cases every front door calls: create a campaign (its items
 * fixed with the access-review figures), list and show campaigns with their progress, page
 * through items, decide (one by one or a whole selection), sign off, and the evidence (JSON or
 * CSV). The one rule set of who may do what lives here (`accessTo`):
 * - create, sign off, remediate: admins, the command line, and a source manager who manages
 *   every source of the campaign;
 * - see a campaign: those, and any user whose identity reviews at least one of its items (a
 *   reviewer sees only their own items; anyone else gets a 404);
 * - decide an item: its reviewers, and admins (and the command line) for any item; nobody
 *   decides an item whose identity is their own.
 *
 * @example const campaign = await createCampaign(deps, actor, { name: 'VPN Q4', scope, reviewers, dueMs });
 *   await decideReviewItems(deps, actor, campaign.id, { select: { suggestion: 'revoke' }, decision: 'revoke' });
 */
import { z } from 'zod';
import type { AccountKind, EntitlementKind } from '../domain/accounts.js';
import { dayOf } from '../domain/activity.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../domain/errors.js';
import { suggestAccess } from '../domain/reports.js';
import {
  decisionRule,
  type CampaignState,
  type RemediationAction,
  type ReviewDecision,
  type ReviewerChoice,
  type ReviewScope,
  type StepState,
  type Verification,
} from '../domain/reviews.js';
import type { Source } from '../domain/sources.js';
import { ms, type EpochMs } from '../domain/time.js';
import type { Db } from '../store/dialect.js';
import { findEntitlement } from '../store/entitlements.js';
import { findGovernanceGroup, listGovernanceGroupMembers } from '../store/governance-groups.js';
import type { Readers } from '../store/readers.js';
import { assertReferencesExist } from '../store/references.js';
import { reviewCandidateRows } from '../store/reports.js';
import {
  campaignIdsReviewedBy,
  campaignProgress,
  countReviewItems,
  findReviewCampaign,
  findReviewItems,
  insertCampaign,
  listReviewCampaigns,
  listReviewItemRows,
  recordDecisions,
  remediationCounts,
  reviewerProgress,
  reviewEvidenceRows,
  reviewsInCampaign,
  signOffReviewCampaign,
  type CampaignRecord,
  type DecisionGroup,
  type ItemReviewers,
  type NewReviewItem,
  type ProgressCounts,
  type ReviewItemRecord,
  type ReviewItemSelection,
  type ReviewItemSort,
} from '../store/reviews.js';
import { newId } from '../store/columns.js';
import { findSource } from '../store/sources.js';
import { InputError } from '../sync/sources.js';
import { actorName, recordAction, type Actor } from './actor.js';
import { csvTime, type CsvColumn } from './csv.js';
import { decodeCursor, encodeCursor } from './cursors.js';
import { mayManageSource } from './sources.js';

/** What the review use cases need: the database, the heavy-read pool and the clock. */
export interface ReviewDeps {
  readonly db: Db;
  readonly readers: Readers;
  readonly clock: () => number;
}

/** A new campaign (the API's `NewCampaignBody`, checked there). */
export interface NewCampaignBody {
  readonly name: string;
  readonly scope: ReviewScope;
  readonly reviewers: ReviewerChoice;
  readonly dueMs: number;
}

/** Which items: the filters of `GET …/items` and of a bulk decision. */
export interface ReviewItemFilter {
  readonly decision?: 'keep' | 'revoke' | 'undecided' | undefined;
  readonly suggestion?: ReviewDecision | undefined;
  readonly mine?: boolean | undefined;
  readonly q?: string | undefined;
  readonly entitlementId?: number | undefined;
  readonly accountStatus?: string | undefined;
  readonly activeWithinDays?: number | undefined;
  readonly inactiveForDays?: number | undefined;
}

export type { ReviewItemSort };

/** `POST …/decisions`: listed items, or every item a filter selects. */
export type DecisionsBody =
  | {
      readonly items: readonly {
        readonly itemId: number;
        readonly decision: ReviewDecision;
        readonly comment?: string | undefined;
      }[];
    }
  | {
      readonly select: ReviewItemFilter;
      readonly decision: ReviewDecision;
      readonly comment?: string | undefined;
    };

export type ProgressView = ProgressCounts;

/** A campaign as every answer shows it (the contract's `Campaign`). */
export interface CampaignView {
  readonly id: string;
  readonly name: string;
  readonly state: CampaignState;
  readonly scope:
    | { readonly kind: 'entitlements'; entitlementIds: number[] }
    | { readonly kind: 'accounts'; sourceIds: string[] };
  readonly reviewers:
    | { readonly kind: 'source_owner' }
    | { readonly kind: 'governance_group'; readonly governanceGroupId: string }
    | { readonly kind: 'identities'; identityIds: string[] };
  readonly sources: { readonly id: string; readonly name: string }[];
  readonly dueMs: EpochMs;
  readonly overdue: boolean;
  readonly createdBy: string;
  readonly createdAt: EpochMs;
  readonly signedOffBy: string | null;
  readonly signedOffAt: EpochMs | null;
  readonly progress: ProgressView;
  readonly mine: ProgressView | null;
  readonly byReviewer: (ProgressView & {
    readonly identityId: string;
    readonly identityName: string | null;
  })[];
  readonly remediation: {
    readonly mode: 'duo' | 'manual' | null;
    readonly steps: number;
    readonly pending: number;
    readonly accepted: number;
    readonly failed: number;
    readonly uncertain: number;
    readonly manual: number;
    readonly removed: number;
    readonly stillPresent: number;
    readonly startedAt: EpochMs | null;
    readonly finishedAt: EpochMs | null;
  };
  readonly can: {
    readonly decide: boolean;
    readonly signOff: boolean;
    readonly remediate: boolean;
  };
}

/** An item as answers show it (the contract's `ReviewItem`). */
export interface ReviewItemView {
  readonly id: number;
  readonly sourceId: string;
  readonly accountId: number;
  readonly accountKind: AccountKind;
  readonly duoUserId: string;
  readonly username: string;
  readonly realname: string | null;
  readonly email: string | null;
  readonly identityId: string | null;
  readonly identityName: string | null;
  readonly entitlement: {
    readonly id: number;
    readonly kind: EntitlementKind;
    readonly duoGroupId: string;
    readonly name: string;
  } | null;
  readonly accountStatus: string;
  readonly lastActivityMs: EpochMs | null;
  readonly lastSuccessMs: EpochMs | null;
  readonly daysActive90: number;
  readonly suggestion: ReviewDecision;
  readonly reason: string;
  readonly reviewerIds: string[];
  readonly decision: ReviewDecision | null;
  readonly comment: string | null;
  readonly decidedBy: string | null;
  readonly decidedAt: EpochMs | null;
  readonly step: {
    readonly action: RemediationAction;
    readonly state: StepState;
    readonly attempts: number;
    readonly request: string | null;
    readonly answer: unknown;
    readonly error: string | null;
    readonly startedAt: EpochMs | null;
    readonly finishedAt: EpochMs | null;
    readonly verification: Verification | null;
    readonly verifiedAt: EpochMs | null;
  } | null;
}

export interface EvidenceItemView extends ReviewItemView {
  readonly history: {
    readonly decision: ReviewDecision;
    readonly comment: string | null;
    readonly decidedBy: string;
    readonly decidedAt: EpochMs;
  }[];
}

/** The evidence of a campaign (the contract's `Evidence`). */
export interface EvidenceView {
  readonly campaign: CampaignView;
  readonly generatedAt: EpochMs;
  readonly items: EvidenceItemView[];
}

/** Items on one page unless the caller says otherwise, and the most a page holds. */
export const DEFAULT_REVIEW_ITEM_PAGE = 100;
export const MAX_REVIEW_ITEM_PAGE = 1000;

// ---- who may: the one rule set -------------------------------------------------------------------

/** What the actor may do with one campaign. */
interface CampaignAccess {
  /** Create-level rights: sign off, remediate, see every item and the evidence. */
  readonly manage: boolean;
  /** May decide any item (admins, the command line). */
  readonly decideAny: boolean;
  /** The actor's identity (null for the command line or a user without one). */
  readonly identityId: string | null;
  /** Whether the actor's identity reviews at least one item. */
  readonly reviewer: boolean;
}

function refuseScheduler(actor: Actor): void {
  if (actor.kind === 'scheduler')
    throw new ForbiddenError('the scheduler does not take part in access reviews');
  if (actor.kind === 'user' && actor.user.disabled)
    throw new ForbiddenError(`user ${actor.user.username} is disabled`);
}

function isAdmin(actor: Actor): boolean {
  return actor.kind === 'cli' || (actor.kind === 'user' && actor.user.role === 'admin');
}

function identityOf(actor: Actor): string | null {
  return actor.kind === 'user' ? actor.user.identityId : null;
}

/** Whether the actor manages every one of the sources (none: admins only). */
async function managesEvery(db: Db, actor: Actor, sourceIds: readonly string[]): Promise<boolean> {
  if (isAdmin(actor)) return true;
  if (actor.kind !== 'user' || actor.user.role !== 'source_manager') return false;
  if (sourceIds.length === 0) return false;
  for (const id of sourceIds) {
    const source = await findSource(db, id);
    if (!source || !(await mayManageSource(db, actor, source))) return false;
  }
  return true;
}

async function accessTo(db: Db, actor: Actor, campaign: CampaignRecord): Promise<CampaignAccess> {
  refuseScheduler(actor);
  const manage = await managesEvery(
    db,
    actor,
    campaign.sources.map((s) => s.id),
  );
  const identityId = identityOf(actor);
  const reviewer = identityId !== null && (await reviewsInCampaign(db, campaign.id, identityId));
  return { manage, decideAny: isAdmin(actor), identityId, reviewer };
}

/** The campaign and what the actor may do with it; a campaign they may not see is not found. */
async function visibleCampaign(
  db: Db,
  actor: Actor,
  campaignId: string,
): Promise<{ campaign: CampaignRecord; access: CampaignAccess }> {
  refuseScheduler(actor);
  const campaign = await findReviewCampaign(db, campaignId);
  if (!campaign) throw new NotFoundError('review campaign', campaignId);
  const access = await accessTo(db, actor, campaign);
  if (!access.manage && !access.reviewer) throw new NotFoundError('review campaign', campaignId);
  return { campaign, access };
}

function mayNotRun(): ForbiddenError {
  return new ForbiddenError(
    'only an admin, or a source manager who manages every source of the campaign, may do this',
  );
}

/**
 * The campaign, once the actor may run it (sign off, remediate): for `core/review-remediation.ts`.
 * A campaign the actor may not see is not found; one they only review is forbidden.
 */
export async function assertMayRunCampaign(
  db: Db,
  actor: Actor,
  campaignId: string,
): Promise<CampaignRecord> {
  const { campaign, access } = await visibleCampaign(db, actor, campaignId);
  if (!access.manage) throw mayNotRun();
  return campaign;
}

// ---- views ----------------------------------------------------------------------------------------

async function campaignView(
  deps: ReviewDeps,
  campaign: CampaignRecord,
  access: CampaignAccess,
  progress?: ProgressCounts,
): Promise<CampaignView> {
  const total =
    progress ?? (await campaignProgress(deps.db, [campaign.id])).get(campaign.id) ?? undefined;
  const counts = total ?? { decided: 0, total: 0, keep: 0, revoke: 0 };
  const byReviewer = await reviewerProgress(deps.db, campaign.id);
  const own = byReviewer.find((r) => r.identityId === access.identityId);
  const remediation = await remediationCounts(deps.db, campaign.id);
  const open = campaign.state === 'open';
  return {
    id: campaign.id,
    name: campaign.name,
    state: campaign.state,
    scope:
      campaign.scope.kind === 'entitlements'
        ? { kind: 'entitlements', entitlementIds: [...campaign.scope.entitlementIds] }
        : { kind: 'accounts', sourceIds: [...campaign.scope.sourceIds] },
    reviewers:
      campaign.reviewers.kind === 'identities'
        ? { kind: 'identities', identityIds: [...campaign.reviewers.identityIds] }
        : campaign.reviewers,
    sources: campaign.sources.map((s) => ({ id: s.id, name: s.name })),
    dueMs: campaign.dueMs,
    overdue: open && deps.clock() > campaign.dueMs,
    createdBy: campaign.createdBy,
    createdAt: campaign.createdAt,
    signedOffBy: campaign.signedOffBy,
    signedOffAt: campaign.signedOffAt,
    progress: counts,
    mine:
      own === undefined
        ? null
        : { decided: own.decided, total: own.total, keep: own.keep, revoke: own.revoke },
    byReviewer,
    remediation: {
      mode: campaign.remediationMode,
      ...remediation,
      startedAt: campaign.remediationStartedAt,
      finishedAt: campaign.remediatedAt,
    },
    can: {
      decide: open && (access.decideAny || access.reviewer),
      signOff: open && access.manage && counts.decided === counts.total,
      remediate: access.manage && campaign.state === 'signed_off',
    },
  };
}

function itemView(item: ReviewItemRecord): ReviewItemView {
  return {
    id: item.id,
    sourceId: item.sourceId,
    accountId: item.accountId,
    accountKind: item.accountKind,
    duoUserId: item.duoUserId,
    username: item.username,
    realname: item.realname,
    email: item.email,
    identityId: item.identityId,
    identityName: item.identityName,
    entitlement:
      item.entitlement === null
        ? null
        : { ...item.entitlement, kind: item.entitlement.kind as EntitlementKind },
    accountStatus: item.accountStatus,
    lastActivityMs: item.lastActivityMs,
    lastSuccessMs: item.lastSuccessMs,
    daysActive90: item.daysActive90,
    suggestion: item.suggestion,
    reason: item.reason,
    reviewerIds: [...item.reviewerIds],
    decision: item.decision,
    comment: item.comment,
    decidedBy: item.decidedBy,
    decidedAt: item.decidedAt,
    step: item.step,
  };
}

// ---- create ---------------------------------------------------------------------------------------

function inputError(field: string, message: string): InputError {
  return new InputError(`${field}: ${message}`, [{ field, message }]);
}

/** The sources a scope covers, checked: each entitlement exists, each source is a Duo source. */
async function scopeSources(db: Db, scope: ReviewScope): Promise<Source[]> {
  const ids: string[] = [];
  switch (scope.kind) {
    case 'entitlements':
      for (const [i, id] of scope.entitlementIds.entries()) {
        const entitlement = await findEntitlement(db, id);
        if (!entitlement || entitlement.deletedAt !== null)
          throw inputError(
            `scope.entitlementIds.${String(i)}`,
            `no entitlement has the id ${String(id)}`,
          );
        ids.push(entitlement.sourceId);
      }
      break;
    case 'accounts':
      for (const [i, id] of scope.sourceIds.entries()) {
        const source = await findSource(db, id);
        if (!source)
          throw inputError(`scope.sourceIds.${String(i)}`, `no source has the id "${id}"`);
        if (source.type !== 'duo')
          throw inputError(
            `scope.sourceIds.${String(i)}`,
            `"${source.name}" is a ${source.type} source; an accounts campaign reviews the accounts of Duo sources (type duo)`,
          );
        ids.push(id);
      }
      break;
  }
  const sources: Source[] = [];
  for (const id of new Set(ids)) {
    const source = await findSource(db, id);
    if (source) sources.push(source);
  }
  return sources.sort((a, b) => a.name.localeCompare(b.name));
}

async function itemReviewers(db: Db, choice: ReviewerChoice): Promise<ItemReviewers> {
  switch (choice.kind) {
    case 'source_owner':
      return { kind: 'source_owner' };
    case 'governance_group': {
      const group = await findGovernanceGroup(db, choice.governanceGroupId);
      if (!group)
        throw inputError(
          'reviewers.governanceGroupId',
          `no governance group has the id "${choice.governanceGroupId}"`,
        );
      const members = await listGovernanceGroupMembers(db, group.id);
      if (members.length === 0)
        throw inputError(
          'reviewers.governanceGroupId',
          `the governance group "${group.name}" has no members to review`,
        );
      return { kind: 'identities', identityIds: members.map((m) => m.id) };
    }
    case 'identities':
      await assertReferencesExist(
        db,
        choice.identityIds.map((id, i) => ({
          field: `reviewers.identityIds.${String(i)}`,
          table: 'identities' as const,
          id,
        })),
      );
      return { kind: 'identities', identityIds: [...new Set(choice.identityIds)] };
  }
}

/** The items of a scope with their figures, as the access-review report gives them. */
async function scopeItems(db: Db, scope: ReviewScope, now: number): Promise<NewReviewItem[]> {
  const sinceDay = dayOf(ms(Math.floor(now))) - 89;
  const queries =
    scope.kind === 'entitlements'
      ? [...new Set(scope.entitlementIds)].map((entitlementId) => ({ entitlementId, sinceDay }))
      : [{ sourceIds: [...new Set(scope.sourceIds)], sinceDay }];
  const items: NewReviewItem[] = [];
  for (const query of queries)
    for (const row of await reviewCandidateRows(db, query)) {
      const { suggestion, reason } = suggestAccess(
        { status: row.status, lastActivityMs: row.lastActivityMs, daysActive90: row.daysActive },
        now,
      );
      items.push({
        sourceId: row.sourceId,
        accountId: row.accountId,
        accountKind: row.kind,
        duoUserId: row.duoUserId,
        username: row.username,
        realname: row.realname,
        email: row.email,
        identityId: row.identityId,
        identityName: row.identityName,
        entitlement: row.entitlement,
        accountStatus: row.status,
        lastActivityMs: row.lastActivityMs,
        lastSuccessMs: row.lastSuccessMs,
        daysActive90: row.daysActive,
        suggestion,
        reason,
      });
    }
  return items;
}

/**
 * Creates a campaign: its items (each member of each entitlement, or each Duo user of each
 * source) fixed with the figures the reviewer decides on, and their reviewers. Audited as
 * `review.create`.
 */
export async function createCampaign(
  deps: ReviewDeps,
  actor: Actor,
  input: NewCampaignBody,
): Promise<CampaignView> {
  refuseScheduler(actor);
  if (!isAdmin(actor) && !(actor.kind === 'user' && actor.user.role === 'source_manager'))
    throw new ForbiddenError(
      `creating a review campaign needs the role admin or source_manager; you are ${actor.kind === 'user' ? actor.user.role : 'unknown'}`,
    );
  const now = deps.clock();
  if (input.dueMs <= now) throw inputError('dueMs', 'must be in the future');
  const sources = await scopeSources(deps.db, input.scope);
  if (
    !(await managesEvery(
      deps.db,
      actor,
      sources.map((s) => s.id),
    ))
  )
    throw new ForbiddenError(
      'you may create a campaign only over sources you manage (you own them or belong to their governance group)',
    );
  const reviewers = await itemReviewers(deps.db, input.reviewers);
  const items = await scopeItems(deps.db, input.scope, now);
  if (items.length === 0)
    throw inputError(
      'scope',
      input.scope.kind === 'entitlements'
        ? 'the entitlements have no members: there is nothing to review'
        : 'the sources have no Duo users: there is nothing to review',
    );
  const id = newId();
  await insertCampaign(
    deps.db,
    {
      id,
      name: input.name.trim(),
      scope: input.scope,
      reviewers: input.reviewers,
      dueMs: ms(input.dueMs),
      createdBy: actorName(actor),
      createdByUserId: actor.kind === 'user' ? actor.user.id : null,
      createdAt: ms(Math.floor(now)),
      sources: sources.map((s) => ({ id: s.id, name: s.name })),
    },
    items,
    reviewers,
  );
  await recordAction(deps.db, actor, 'review.create', {
    type: 'review_campaign',
    id,
    name: input.name.trim(),
    details: { scope: input.scope.kind, reviewers: input.reviewers.kind, items: items.length },
  });
  return getCampaign(deps, actor, id);
}

// ---- read -----------------------------------------------------------------------------------------

/** The campaigns the actor may see, newest first; `mine`: those in which they review items. */
export async function listCampaigns(
  deps: ReviewDeps,
  actor: Actor,
  filter: { readonly state?: CampaignState | undefined; readonly mine?: boolean | undefined } = {},
): Promise<CampaignView[]> {
  refuseScheduler(actor);
  const campaigns = await listReviewCampaigns(
    deps.db,
    filter.state === undefined ? {} : { state: filter.state },
  );
  const identityId = identityOf(actor);
  const reviewed =
    identityId === null ? new Set<string>() : await campaignIdsReviewedBy(deps.db, identityId);
  const progress = await campaignProgress(
    deps.db,
    campaigns.map((c) => c.id),
  );
  const out: CampaignView[] = [];
  for (const campaign of campaigns) {
    const reviewer = reviewed.has(campaign.id);
    if (filter.mine === true && !reviewer) continue;
    const manage = await managesEvery(
      deps.db,
      actor,
      campaign.sources.map((s) => s.id),
    );
    if (!manage && !reviewer) continue;
    out.push(
      await campaignView(
        deps,
        campaign,
        { manage, decideAny: isAdmin(actor), identityId, reviewer },
        progress.get(campaign.id),
      ),
    );
  }
  return out;
}

/** One campaign with its progress; not found when the actor may not see it. */
export async function getCampaign(
  deps: ReviewDeps,
  actor: Actor,
  campaignId: string,
): Promise<CampaignView> {
  const { campaign, access } = await visibleCampaign(deps.db, actor, campaignId);
  return campaignView(deps, campaign, access);
}

const PageCursor = z.object({ o: z.number().int().min(0) });

/** The selection of a filter, for this actor: a reviewer's own items unless they manage it. */
function selectionOf(
  filter: ReviewItemFilter,
  access: CampaignAccess,
  now: number,
  restrictToOwn: boolean,
): ReviewItemSelection | undefined {
  const own = filter.mine === true || restrictToOwn;
  if (own && access.identityId === null) return undefined;
  return {
    nowMs: now,
    ...(filter.decision === undefined ? {} : { decision: filter.decision }),
    ...(filter.suggestion === undefined ? {} : { suggestion: filter.suggestion }),
    ...(filter.q === undefined ? {} : { q: filter.q }),
    ...(filter.entitlementId === undefined ? {} : { entitlementId: filter.entitlementId }),
    ...(filter.accountStatus === undefined ? {} : { accountStatus: filter.accountStatus }),
    ...(filter.activeWithinDays === undefined ? {} : { activeWithinDays: filter.activeWithinDays }),
    ...(filter.inactiveForDays === undefined ? {} : { inactiveForDays: filter.inactiveForDays }),
    ...(own && access.identityId !== null ? { reviewerIdentityId: access.identityId } : {}),
  };
}

/**
 * A page of a campaign's items matching the filter (a reviewer sees only the items they review),
 * sorted (default by username), with how many match and the cursor of the next page.
 */
export async function listReviewItems(
  deps: ReviewDeps,
  actor: Actor,
  campaignId: string,
  query: ReviewItemFilter & {
    readonly sort?: ReviewItemSort | undefined;
    readonly order?: 'asc' | 'desc' | undefined;
    readonly limit?: number | undefined;
    readonly cursor?: string | undefined;
  },
): Promise<{ items: ReviewItemView[]; total: number; next: string | null }> {
  const { access } = await visibleCampaign(deps.db, actor, campaignId);
  const offset = decodeCursor(PageCursor, query.cursor)?.o ?? 0;
  const limit = Math.min(
    Math.max(query.limit ?? DEFAULT_REVIEW_ITEM_PAGE, 1),
    MAX_REVIEW_ITEM_PAGE,
  );
  const selection = selectionOf(query, access, deps.clock(), !access.manage);
  if (selection === undefined) return { items: [], total: 0, next: null };
  const page = await listReviewItemRows(deps.db, {
    campaignId,
    selection,
    sort: query.sort ?? 'username',
    order: query.order ?? 'asc',
    limit,
    offset,
  });
  const end = offset + page.items.length;
  return {
    items: page.items.map(itemView),
    total: page.total,
    next: page.items.length === limit && end < page.total ? encodeCursor({ o: end }) : null,
  };
}

/** Every item matching the filter, page after page: the CSV of `GET …/items?format=csv`. */
export async function* reviewItemPages(
  deps: ReviewDeps,
  actor: Actor,
  campaignId: string,
  query: ReviewItemFilter & {
    readonly sort?: ReviewItemSort | undefined;
    readonly order?: 'asc' | 'desc' | undefined;
  },
): AsyncGenerator<ReviewItemView[]> {
  let cursor: string | undefined;
  for (;;) {
    const page = await listReviewItems(deps, actor, campaignId, {
      ...query,
      limit: MAX_REVIEW_ITEM_PAGE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    yield page.items;
    if (page.next === null) return;
    cursor = page.next;
  }
}

// ---- decide and sign off --------------------------------------------------------------------------

function signedOff(): ConflictError {
  return new ConflictError('the campaign is signed off: its decisions can no longer change');
}

function cleanComment(comment: string | undefined): string | null {
  const text = (comment ?? '').trim();
  return text === '' ? null : text;
}

/**
 * Records decisions: the listed items, or every item the filter selects that the actor may
 * decide (a reviewer's own items, never one whose identity is theirs). A keep against a revoke
 * suggestion needs a comment. Decisions change until sign-off; each change is kept. Audited once
 * as `review.decide` with the counts.
 */
export async function decideReviewItems(
  deps: ReviewDeps,
  actor: Actor,
  campaignId: string,
  body: DecisionsBody,
): Promise<{ decided: number; campaign: CampaignView }> {
  const { campaign, access } = await visibleCampaign(deps.db, actor, campaignId);
  if (campaign.state !== 'open') throw signedOff();
  if (!access.decideAny && !access.reviewer)
    throw new ForbiddenError('you review no item of this campaign');
  const now = deps.clock();
  const groups: DecisionGroup[] = [];
  const counts = { keep: 0, revoke: 0 };
  if ('items' in body) {
    const ids = body.items.map((i) => i.itemId);
    const found = new Map(
      (await findReviewItems(deps.db, campaignId, ids)).map((item) => [item.id, item]),
    );
    const problems: { field: string; message: string }[] = [];
    const byChoice = new Map<
      string,
      { decision: ReviewDecision; comment: string | null; ids: number[] }
    >();
    for (const [i, choice] of body.items.entries()) {
      const item = found.get(choice.itemId);
      if (!item) {
        problems.push({
          field: `items.${String(i)}.itemId`,
          message: `no item of this campaign has the id ${String(choice.itemId)}`,
        });
        continue;
      }
      if (access.identityId !== null && item.identityId === access.identityId)
        throw new ForbiddenError(
          `no self-review: item ${String(item.id)} (${item.username}) is your own access; another reviewer or an admin decides it`,
        );
      if (
        !access.decideAny &&
        (access.identityId === null || !item.reviewerIds.includes(access.identityId))
      )
        throw new ForbiddenError(
          `you are not a reviewer of item ${String(item.id)} (${item.username})`,
        );
      const comment = cleanComment(choice.comment);
      const rule = decisionRule({
        decision: choice.decision,
        suggestion: item.suggestion,
        comment,
      });
      if (rule !== null) {
        problems.push({ field: `items.${String(i)}.comment`, message: rule });
        continue;
      }
      const key = JSON.stringify([choice.decision, comment]);
      const group = byChoice.get(key) ?? { decision: choice.decision, comment, ids: [] };
      group.ids.push(item.id);
      byChoice.set(key, group);
    }
    if (problems.length > 0)
      throw new InputError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
    for (const g of byChoice.values()) {
      groups.push({
        selection: { itemIds: [...new Set(g.ids)], nowMs: now },
        decision: g.decision,
        comment: g.comment,
      });
    }
  } else {
    const base = selectionOf(body.select, access, now, !access.decideAny);
    if (base === undefined)
      return { decided: 0, campaign: await campaignView(deps, campaign, access) };
    const selection: ReviewItemSelection = {
      ...base,
      ...(access.identityId === null ? {} : { notIdentityId: access.identityId }),
    };
    const comment = cleanComment(body.comment);
    if (
      decisionRule({ decision: body.decision, suggestion: 'revoke', comment }) !== null &&
      body.decision === 'keep'
    ) {
      const { suggestedRevoke } = await countReviewItems(deps.db, campaignId, selection);
      if (suggestedRevoke > 0)
        throw inputError(
          'comment',
          `${String(suggestedRevoke)} of the selected items ${suggestedRevoke === 1 ? 'has' : 'have'} a revoke suggestion: a keep against a revoke suggestion needs a comment saying why the access stays`,
        );
    }
    groups.push({ selection, decision: body.decision, comment });
  }
  const decided = await recordDecisions(deps.db, {
    campaignId,
    groups,
    decidedBy: actorName(actor),
    decidedByUserId: actor.kind === 'user' ? actor.user.id : null,
    at: now,
  }).catch((error: unknown) => {
    if (error instanceof ConflictError) throw signedOff();
    throw error;
  });
  for (const g of groups)
    if ('items' in body) counts[g.decision] += g.selection.itemIds?.length ?? 0;
    else counts[g.decision] += decided;
  await recordAction(deps.db, actor, 'review.decide', {
    type: 'review_campaign',
    id: campaign.id,
    name: campaign.name,
    details: { decided, keep: counts.keep, revoke: counts.revoke, bulk: !('items' in body) },
  });
  return { decided, campaign: await campaignView(deps, campaign, access) };
}

/**
 * Whether the source's last Test Connection found the credential may write ("Grant write
 * resource", recorded on the source as `writeGranted`): then revocations go through the Admin
 * API. Not tested, or not granted: a person makes them.
 */
export function writeGranted(source: Source): boolean {
  return (source as Source & { readonly writeGranted?: boolean | null }).writeGranted === true;
}

/**
 * Signs a campaign off once every item is decided: decisions are locked and the remediation
 * mode set (`duo` when every source's credential may write, else `manual`). Audited as
 * `review.sign_off`.
 */
export async function signOffCampaign(
  deps: ReviewDeps,
  actor: Actor,
  campaignId: string,
): Promise<CampaignView> {
  const campaign = await assertMayRunCampaign(deps.db, actor, campaignId);
  if (campaign.state !== 'open') throw signedOff();
  let mode: 'duo' | 'manual' = 'duo';
  for (const { id } of campaign.sources) {
    const source = await findSource(deps.db, id);
    if (!source || !writeGranted(source)) mode = 'manual';
  }
  const { undecided } = await signOffReviewCampaign(deps.db, {
    campaignId,
    by: actorName(actor),
    byUserId: actor.kind === 'user' ? actor.user.id : null,
    at: deps.clock(),
    mode,
  }).catch((error: unknown) => {
    if (error instanceof ConflictError) throw signedOff();
    throw error;
  });
  if (undecided > 0)
    throw new ConflictError(
      `${String(undecided)} ${undecided === 1 ? 'item is' : 'items are'} undecided: every item needs a decision before sign-off`,
    );
  await recordAction(deps.db, actor, 'review.sign_off', {
    type: 'review_campaign',
    id: campaign.id,
    name: campaign.name,
    details: { mode },
  });
  return getCampaign(deps, actor, campaignId);
}

// ---- evidence -------------------------------------------------------------------------------------

/**
 * The evidence of a campaign: the campaign and every item with every decision taken (oldest
 * first) and its remediation step. For those who may run the campaign. It reads the campaign's
 * own records only, so it stays the same when the accounts change or are deleted.
 */
export async function campaignEvidence(
  deps: ReviewDeps,
  actor: Actor,
  campaignId: string,
): Promise<EvidenceView> {
  const { campaign, access } = await visibleCampaign(deps.db, actor, campaignId);
  if (!access.manage) throw mayNotRun();
  const { items, decisions } = await reviewEvidenceRows(deps.db, campaignId);
  return {
    campaign: await campaignView(deps, campaign, access),
    generatedAt: ms(Math.floor(deps.clock())),
    items: items.map((item) => ({
      ...itemView(item),
      history: (decisions.get(item.id) ?? []).map((d) => ({
        decision: d.decision,
        comment: d.comment,
        decidedBy: d.decidedBy,
        decidedAt: d.decidedAt,
      })),
    })),
  };
}

/** One CSV row of the evidence: an item with its campaign's and source's names. */
export interface EvidenceCsvRow extends EvidenceItemView {
  readonly campaignName: string;
  readonly sourceName: string;
}

/** The evidence's rows for `EVIDENCE_COLUMNS`: one per item. */
export function evidenceCsvRows(evidence: EvidenceView): EvidenceCsvRow[] {
  const names = new Map(evidence.campaign.sources.map((s) => [s.id, s.name]));
  return evidence.items.map((item) => ({
    ...item,
    campaignName: evidence.campaign.name,
    sourceName: names.get(item.sourceId) ?? item.sourceId,
  }));
}

/** The file name of a campaign's evidence: its name, safe in any file system. */
export function evidenceFileName(campaign: Pick<CampaignView, 'name'>): string {
  const safe = campaign.name.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '');
  return `review-evidence-${safe === '' ? 'campaign' : safe.slice(0, 80)}`;
}

const itemColumns = <T extends ReviewItemView>(): CsvColumn<T>[] => [
  { header: 'username', value: (r) => r.username },
  { header: 'realname', value: (r) => r.realname },
  { header: 'email', value: (r) => r.email },
  { header: 'identity', value: (r) => r.identityName },
  { header: 'entitlement', value: (r) => r.entitlement?.name ?? null },
  { header: 'status', value: (r) => r.accountStatus },
  { header: 'last_activity', value: (r) => csvTime(r.lastActivityMs) },
  { header: 'last_success', value: (r) => csvTime(r.lastSuccessMs) },
  { header: 'days_active_90', value: (r) => r.daysActive90 },
  { header: 'suggestion', value: (r) => r.suggestion },
  { header: 'reason', value: (r) => r.reason },
  { header: 'decision', value: (r) => r.decision },
  { header: 'comment', value: (r) => r.comment },
  { header: 'decided_by', value: (r) => r.decidedBy },
  { header: 'decided_at', value: (r) => csvTime(r.decidedAt) },
];

/** The CSV of `GET …/items?format=csv`: one row per matching item. */
export const REVIEW_ITEM_COLUMNS: readonly CsvColumn<ReviewItemView>[] = [
  ...itemColumns<ReviewItemView>(),
  { header: 'duo_user_id', value: (r) => r.duoUserId },
];

/**
 * The evidence CSV: one row per item with its latest decision, how many decisions were taken
 * and each of them (`history`: oldest first), the remediation step and its verification.
 */
export const EVIDENCE_COLUMNS: readonly CsvColumn<EvidenceCsvRow>[] = [
  { header: 'campaign', value: (r) => r.campaignName },
  { header: 'source', value: (r) => r.sourceName },
  ...itemColumns<EvidenceCsvRow>(),
  { header: 'decisions', value: (r) => r.history.length },
  { header: 'remediation_action', value: (r) => r.step?.action ?? null },
  { header: 'step_state', value: (r) => r.step?.state ?? null },
  {
    header: 'duo_answer',
    value: (r) =>
      r.step === null || r.step.answer === null || r.step.answer === undefined
        ? null
        : JSON.stringify(r.step.answer),
  },
  { header: 'verification', value: (r) => r.step?.verification ?? null },
  { header: 'verified_at', value: (r) => csvTime(r.step?.verifiedAt ?? null) },
  {
    header: 'history',
    value: (r) =>
      r.history
        .map(
          (d) =>
            `${csvTime(d.decidedAt)} ${d.decidedBy}: ${d.decision}${d.comment === null ? '' : ` (${d.comment})`}`,
        )
        .join('; '),
  },
];
