/**
 * Access-review campaigns: the campaign with its sources, its items (fixed at creation, written
 * in canonical batches; on PostgreSQL one `unnest` statement per 4,096 items), who reviews each
 * item (one `insert … select` per reviewer, never a row at a time), the progress counted in SQL,
 * filtered and sorted pages of items, decisions (the items' current decision and every decision
 * in `review_decisions`, both written in one transaction by set-based statements), sign-off and
 * the evidence reads (items, every decision, every step) of one campaign.
 *
 * @example await insertCampaign(db, campaign, items, { kind: 'identities', identityIds: [id] });
 *   const page = await listReviewItemRows(db, { campaignId, selection: {}, sort: 'username', … });
 */
import { sql, type ExpressionBuilder, type Expression, type SqlBool } from 'kysely';
import type { AccountKind } from '../domain/accounts.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import type { AccessSuggestion } from '../domain/reports.js';
import type {
  CampaignState,
  RemediationAction,
  ReviewDecision,
  ReviewerChoice,
  ReviewScope,
  StepState,
  Verification,
} from '../domain/reviews.js';
import { DAY_MS, type EpochMs } from '../domain/time.js';
import { pick, runBatches, type BatchStatement } from './batch.js';
import { epochMs, epochMsOrNull, fromJson, toJson } from './columns.js';
import { dialectOf, type Db } from './dialect.js';
import type { Database, ReviewItemsTable } from './schema.js';

/** A campaign as stored, with the sources it covers. */
export interface CampaignRecord {
  readonly id: string;
  readonly name: string;
  readonly scope: ReviewScope;
  readonly reviewers: ReviewerChoice;
  readonly dueMs: EpochMs;
  readonly state: CampaignState;
  readonly remediationMode: 'duo' | 'manual' | null;
  readonly createdBy: string;
  readonly createdByUserId: string | null;
  readonly createdAt: EpochMs;
  readonly signedOffBy: string | null;
  readonly signedOffByUserId: string | null;
  readonly signedOffAt: EpochMs | null;
  readonly remediationStartedAt: EpochMs | null;
  readonly remediatedAt: EpochMs | null;
  readonly sources: readonly { readonly id: string; readonly name: string }[];
}

export interface NewCampaignRecord {
  readonly id: string;
  readonly name: string;
  readonly scope: ReviewScope;
  readonly reviewers: ReviewerChoice;
  readonly dueMs: EpochMs;
  readonly createdBy: string;
  readonly createdByUserId: string | null;
  readonly createdAt: EpochMs;
  readonly sources: readonly { readonly id: string; readonly name: string }[];
}

/** One item as created: the account, the access and the figures the reviewer decides on. */
export interface NewReviewItem {
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
    readonly kind: string;
    readonly duoGroupId: string;
    readonly name: string;
  } | null;
  readonly accountStatus: string;
  readonly lastActivityMs: EpochMs | null;
  readonly lastSuccessMs: EpochMs | null;
  readonly daysActive90: number;
  readonly suggestion: AccessSuggestion;
  readonly reason: string;
}

/**
 * Who reviews the items: each item's source owner (the owner when the campaign is created), or
 * the same identities for every item (named ones, or a governance group's members).
 */
export type ItemReviewers =
  | { readonly kind: 'source_owner' }
  | { readonly kind: 'identities'; readonly identityIds: readonly string[] };

/** A remediation step as the evidence and the item pages show it. */
export interface ReviewStepRecord {
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
}

/** An item as stored, with its reviewers and its remediation step (null before one exists). */
export interface ReviewItemRecord {
  readonly id: number;
  readonly campaignId: string;
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
    readonly kind: string;
    readonly duoGroupId: string;
    readonly name: string;
  } | null;
  readonly accountStatus: string;
  readonly lastActivityMs: EpochMs | null;
  readonly lastSuccessMs: EpochMs | null;
  readonly daysActive90: number;
  readonly suggestion: AccessSuggestion;
  readonly reason: string;
  readonly reviewerIds: readonly string[];
  readonly decision: ReviewDecision | null;
  readonly comment: string | null;
  readonly decidedBy: string | null;
  readonly decidedAt: EpochMs | null;
  readonly step: ReviewStepRecord | null;
}

/** A decision as taken, in order: the evidence keeps every one. */
export interface ReviewDecisionRecord {
  readonly itemId: number;
  readonly decision: ReviewDecision;
  readonly comment: string | null;
  readonly decidedBy: string;
  readonly decidedAt: EpochMs;
}

/** Which items of a campaign: the filters of a page or of a bulk decision. */
export interface ReviewItemSelection {
  readonly itemIds?: readonly number[];
  readonly decision?: 'keep' | 'revoke' | 'undecided';
  readonly suggestion?: AccessSuggestion;
  /** Only items this identity reviews (`mine`, or a reviewer's own items). */
  readonly reviewerIdentityId?: string;
  /** Leaves out items whose identity is this one (nobody decides their own access). */
  readonly notIdentityId?: string;
  readonly q?: string;
  readonly entitlementId?: number;
  readonly accountStatus?: string;
  readonly activeWithinDays?: number;
  readonly inactiveForDays?: number;
  /** "Now" for the day filters. */
  readonly nowMs: number;
}

export const REVIEW_ITEM_SORT_COLUMNS = {
  username: 'i.username',
  lastActivity: 'i.last_activity_ms',
  daysActive90: 'i.days_active_90',
  suggestion: 'i.suggestion',
  decision: 'i.decision',
  entitlement: 'i.entitlement_name',
} as const;
export type ReviewItemSort = keyof typeof REVIEW_ITEM_SORT_COLUMNS;

// ---- create ---------------------------------------------------------------------------------------

interface ItemInsertRow {
  campaign_id: string;
  source_id: string;
  account_id: number;
  account_kind: string;
  duo_user_id: string;
  username: string;
  realname: string | null;
  email: string | null;
  identity_id: string | null;
  identity_name: string | null;
  entitlement_id: number | null;
  entitlement_kind: string | null;
  duo_group_id: string | null;
  entitlement_name: string | null;
  account_status: string;
  last_activity_ms: number | null;
  last_success_ms: number | null;
  days_active_90: number;
  suggestion: string;
  reason: string;
}

const ITEM_COLUMNS = [
  'campaign_id',
  'source_id',
  'account_id',
  'account_kind',
  'duo_user_id',
  'username',
  'realname',
  'email',
  'identity_id',
  'identity_name',
  'entitlement_id',
  'entitlement_kind',
  'duo_group_id',
  'entitlement_name',
  'account_status',
  'last_activity_ms',
  'last_success_ms',
  'days_active_90',
  'suggestion',
  'reason',
] as const;

const insertItems: BatchStatement<ItemInsertRow, unknown> = {
  name: 'insert review_items',
  columns: ITEM_COLUMNS,
  arrayTypes: {
    campaign_id: 'text',
    source_id: 'text',
    account_id: 'bigint',
    account_kind: 'text',
    duo_user_id: 'text',
    username: 'text',
    realname: 'text',
    email: 'text',
    identity_id: 'text',
    identity_name: 'text',
    entitlement_id: 'bigint',
    entitlement_kind: 'text',
    duo_group_id: 'text',
    entitlement_name: 'text',
    account_status: 'text',
    last_activity_ms: 'bigint',
    last_success_ms: 'bigint',
    days_active_90: 'bigint',
    suggestion: 'text',
    reason: 'text',
  },
  build: (db, rows) => db.insertInto('review_items').values(rows.map((r) => pick(r, ITEM_COLUMNS))),
};

/**
 * Writes a campaign, its sources, its items and who reviews each, in one transaction: the items
 * in canonical batches, the reviewers by one `insert … select` per reviewer (or one for the
 * source owners).
 */
export async function insertCampaign(
  db: Db,
  campaign: NewCampaignRecord,
  items: readonly NewReviewItem[],
  reviewers: ItemReviewers,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('review_campaigns')
      .values({
        id: campaign.id,
        name: campaign.name,
        scope: toJson(campaign.scope),
        reviewers: toJson(campaign.reviewers),
        due_ms: campaign.dueMs,
        state: 'open',
        remediation_mode: null,
        created_by: campaign.createdBy,
        created_by_user_id: campaign.createdByUserId,
        created_at: campaign.createdAt,
      })
      .execute();
    if (campaign.sources.length > 0)
      await trx
        .insertInto('review_campaign_sources')
        .values(
          campaign.sources.map((s) => ({
            campaign_id: campaign.id,
            source_id: s.id,
            source_name: s.name,
          })),
        )
        .execute();
    await runBatches(
      trx,
      insertItems,
      items.map((item) => ({
        campaign_id: campaign.id,
        source_id: item.sourceId,
        account_id: item.accountId,
        account_kind: item.accountKind,
        duo_user_id: item.duoUserId,
        username: item.username,
        realname: item.realname,
        email: item.email,
        identity_id: item.identityId,
        identity_name: item.identityName,
        entitlement_id: item.entitlement?.id ?? null,
        entitlement_kind: item.entitlement?.kind ?? null,
        duo_group_id: item.entitlement?.duoGroupId ?? null,
        entitlement_name: item.entitlement?.name ?? null,
        account_status: item.accountStatus,
        last_activity_ms: item.lastActivityMs,
        last_success_ms: item.lastSuccessMs,
        days_active_90: item.daysActive90,
        suggestion: item.suggestion,
        reason: item.reason,
      })),
    );
    switch (reviewers.kind) {
      case 'source_owner':
        await trx
          .insertInto('review_item_reviewers')
          .columns(['item_id', 'identity_id', 'campaign_id'])
          .expression(
            trx
              .selectFrom('review_items as i')
              .innerJoin('sources as s', 's.id', 'i.source_id')
              .select(['i.id', 's.owner_identity_id', 'i.campaign_id'])
              .where('i.campaign_id', '=', campaign.id),
          )
          .execute();
        return;
      case 'identities':
        for (const identityId of new Set(reviewers.identityIds))
          await trx
            .insertInto('review_item_reviewers')
            .columns(['item_id', 'identity_id', 'campaign_id'])
            .expression(
              trx
                .selectFrom('review_items as i')
                .select([
                  'i.id',
                  sql<string>`cast(${identityId} as text)`.as('identity_id'),
                  'i.campaign_id',
                ])
                .where('i.campaign_id', '=', campaign.id),
            )
            .execute();
        return;
    }
  });
}

// ---- campaigns ------------------------------------------------------------------------------------

type CampaignRow = Awaited<ReturnType<ReturnType<typeof selectCampaigns>['execute']>>[number];

function selectCampaigns(db: Db) {
  return db.selectFrom('review_campaigns').selectAll().orderBy('created_at', 'desc').orderBy('id');
}

async function withSources(db: Db, rows: readonly CampaignRow[]): Promise<CampaignRecord[]> {
  if (rows.length === 0) return [];
  const sources = await db
    .selectFrom('review_campaign_sources')
    .selectAll()
    .where(
      'campaign_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('source_name')
    .orderBy('source_id')
    .execute();
  const of = new Map<string, { id: string; name: string }[]>();
  for (const s of sources) {
    const list = of.get(s.campaign_id) ?? [];
    list.push({ id: s.source_id, name: s.source_name });
    of.set(s.campaign_id, list);
  }
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    scope: fromJson(r.scope) as ReviewScope,
    reviewers: fromJson(r.reviewers) as ReviewerChoice,
    dueMs: epochMs(r.due_ms),
    state: r.state as CampaignState,
    remediationMode: r.remediation_mode as 'duo' | 'manual' | null,
    createdBy: r.created_by,
    createdByUserId: r.created_by_user_id,
    createdAt: epochMs(r.created_at),
    signedOffBy: r.signed_off_by,
    signedOffByUserId: r.signed_off_by_user_id,
    signedOffAt: epochMsOrNull(r.signed_off_at),
    remediationStartedAt: epochMsOrNull(r.remediation_started_at),
    remediatedAt: epochMsOrNull(r.remediated_at),
    sources: of.get(r.id) ?? [],
  }));
}

export async function findReviewCampaign(db: Db, id: string): Promise<CampaignRecord | undefined> {
  const rows = await selectCampaigns(db).where('id', '=', id).execute();
  const [found] = await withSources(db, rows);
  return found;
}

export async function getReviewCampaign(db: Db, id: string): Promise<CampaignRecord> {
  const found = await findReviewCampaign(db, id);
  if (!found) throw new NotFoundError('review campaign', id);
  return found;
}

/** Every campaign, newest first (optionally in one state). */
export async function listReviewCampaigns(
  db: Db,
  filter: { readonly state?: CampaignState } = {},
): Promise<CampaignRecord[]> {
  let q = selectCampaigns(db);
  if (filter.state !== undefined) q = q.where('state', '=', filter.state);
  return withSources(db, await q.execute());
}

/** The campaigns in which the identity reviews at least one item. */
export async function campaignIdsReviewedBy(db: Db, identityId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('review_item_reviewers')
    .select('campaign_id')
    .distinct()
    .where('identity_id', '=', identityId)
    .execute();
  return new Set(rows.map((r) => r.campaign_id));
}

/** Whether the identity reviews at least one item of the campaign. */
export async function reviewsInCampaign(
  db: Db,
  campaignId: string,
  identityId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('review_item_reviewers')
    .select('item_id')
    .where('identity_id', '=', identityId)
    .where('campaign_id', '=', campaignId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Done of total, and how many kept and revoked. */
export interface ProgressCounts {
  readonly decided: number;
  readonly total: number;
  readonly keep: number;
  readonly revoke: number;
}

const NO_PROGRESS: ProgressCounts = { decided: 0, total: 0, keep: 0, revoke: 0 };

function progressOf(r: {
  total: number | string | null;
  decided: number | string | null;
  keep: number | string | null;
  revoke: number | string | null;
}): ProgressCounts {
  return {
    total: Number(r.total ?? 0),
    decided: Number(r.decided ?? 0),
    keep: Number(r.keep ?? 0),
    revoke: Number(r.revoke ?? 0),
  };
}

function progressColumns(eb: ExpressionBuilder<Database & { i: ReviewItemsTable }, 'i'>) {
  return [
    eb.fn.countAll<number>().as('total'),
    eb.fn.count<number>('i.decision').as('decided'),
    eb.fn.sum<number>(eb.case().when('i.decision', '=', 'keep').then(1).else(0).end()).as('keep'),
    eb.fn
      .sum<number>(eb.case().when('i.decision', '=', 'revoke').then(1).else(0).end())
      .as('revoke'),
  ] as const;
}

/** Each campaign's progress, counted in one statement. */
export async function campaignProgress(
  db: Db,
  campaignIds: readonly string[],
): Promise<Map<string, ProgressCounts>> {
  const out = new Map<string, ProgressCounts>();
  if (campaignIds.length === 0) return out;
  const rows = await db
    .selectFrom('review_items as i')
    .select((eb) => ['i.campaign_id', ...progressColumns(eb)])
    .where('i.campaign_id', 'in', campaignIds)
    .groupBy('i.campaign_id')
    .execute();
  for (const r of rows) out.set(r.campaign_id, progressOf(r));
  for (const id of campaignIds) if (!out.has(id)) out.set(id, NO_PROGRESS);
  return out;
}

export interface ReviewerProgressCounts extends ProgressCounts {
  readonly identityId: string;
  readonly identityName: string | null;
}

/** Each reviewer's progress in a campaign (their items, decided by anyone), by name. */
export async function reviewerProgress(
  db: Db,
  campaignId: string,
): Promise<ReviewerProgressCounts[]> {
  const rows = await db
    .selectFrom('review_item_reviewers as r')
    .innerJoin('review_items as i', 'i.id', 'r.item_id')
    .leftJoin('identities as p', 'p.id', 'r.identity_id')
    .select((eb) => [
      'r.identity_id',
      eb.fn.max('p.display_name').as('identity_name'),
      ...progressColumns(
        eb as unknown as ExpressionBuilder<Database & { i: ReviewItemsTable }, 'i'>,
      ),
    ])
    .where('r.campaign_id', '=', campaignId)
    .groupBy('r.identity_id')
    .execute();
  return rows
    .map((r) => ({
      identityId: r.identity_id,
      identityName: r.identity_name,
      ...progressOf(r),
    }))
    .sort((a, b) => (a.identityName ?? a.identityId).localeCompare(b.identityName ?? b.identityId));
}

export interface RemediationCounts {
  readonly steps: number;
  readonly pending: number;
  readonly accepted: number;
  readonly failed: number;
  readonly uncertain: number;
  readonly manual: number;
  readonly removed: number;
  readonly stillPresent: number;
}

/** A campaign's remediation steps counted by state and by what verification found. */
export async function remediationCounts(db: Db, campaignId: string): Promise<RemediationCounts> {
  const count = (column: 'state' | 'verification', value: string) =>
    sql<number>`sum(case when ${sql.ref(column)} = ${value} then 1 else 0 end)`;
  const row = await db
    .selectFrom('review_steps')
    .select((eb) => [
      eb.fn.countAll<number>().as('steps'),
      count('state', 'pending').as('pending'),
      count('state', 'accepted').as('accepted'),
      count('state', 'failed').as('failed'),
      count('state', 'uncertain').as('uncertain'),
      count('state', 'manual').as('manual'),
      count('verification', 'removed').as('removed'),
      count('verification', 'still_present').as('still_present'),
    ])
    .where('campaign_id', '=', campaignId)
    .executeTakeFirst();
  const n = (v: number | string | null | undefined) => Number(v ?? 0);
  return {
    steps: n(row?.steps),
    pending: n(row?.pending),
    accepted: n(row?.accepted),
    failed: n(row?.failed),
    uncertain: n(row?.uncertain),
    manual: n(row?.manual),
    removed: n(row?.removed),
    stillPresent: n(row?.still_present),
  };
}

// ---- items ----------------------------------------------------------------------------------------

type ItemScope = Database & { i: ReviewItemsTable };

function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The selection as one condition on `review_items as i`. */
function selectionWhere(
  eb: ExpressionBuilder<ItemScope, 'i'>,
  campaignId: string,
  s: ReviewItemSelection,
  db: Db,
): Expression<SqlBool> {
  const parts: Expression<SqlBool>[] = [eb('i.campaign_id', '=', campaignId)];
  if (s.itemIds !== undefined) parts.push(dialectOf(db).idIn('i.id', s.itemIds));
  if (s.decision === 'undecided') parts.push(eb('i.decision', 'is', null));
  else if (s.decision !== undefined) parts.push(eb('i.decision', '=', s.decision));
  if (s.suggestion !== undefined) parts.push(eb('i.suggestion', '=', s.suggestion));
  if (s.entitlementId !== undefined) parts.push(eb('i.entitlement_id', '=', s.entitlementId));
  if (s.accountStatus !== undefined) parts.push(eb('i.account_status', '=', s.accountStatus));
  if (s.activeWithinDays !== undefined)
    parts.push(eb('i.last_activity_ms', '>=', s.nowMs - s.activeWithinDays * DAY_MS));
  if (s.inactiveForDays !== undefined) {
    const before = s.nowMs - s.inactiveForDays * DAY_MS;
    parts.push(
      eb.or([eb('i.last_activity_ms', 'is', null), eb('i.last_activity_ms', '<=', before)]),
    );
  }
  if (s.q !== undefined && s.q.trim() !== '') {
    const pattern = likePattern(s.q.trim());
    const like = (column: string) =>
      sql<SqlBool>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
    parts.push(
      eb.or([like('i.username'), like('i.realname'), like('i.email'), like('i.identity_name')]),
    );
  }
  if (s.reviewerIdentityId !== undefined) {
    const reviewer = s.reviewerIdentityId;
    parts.push(
      eb.exists(
        eb
          .selectFrom('review_item_reviewers as r')
          .select('r.item_id')
          .whereRef('r.item_id', '=', 'i.id')
          .where('r.identity_id', '=', reviewer),
      ),
    );
  }
  if (s.notIdentityId !== undefined)
    parts.push(
      eb.or([eb('i.identity_id', 'is', null), eb('i.identity_id', '!=', s.notIdentityId)]),
    );
  return eb.and(parts);
}

type ItemRow = Awaited<ReturnType<ReturnType<typeof itemQuery>['execute']>>[number];

function toItem(r: ItemRow, reviewerIds: readonly string[]): ReviewItemRecord {
  return {
    id: r.id,
    campaignId: r.campaign_id,
    sourceId: r.source_id,
    accountId: r.account_id,
    accountKind: r.account_kind as AccountKind,
    duoUserId: r.duo_user_id,
    username: r.username,
    realname: r.realname,
    email: r.email,
    identityId: r.identity_id,
    identityName: r.identity_name,
    entitlement:
      r.entitlement_id === null
        ? null
        : {
            id: r.entitlement_id,
            kind: r.entitlement_kind ?? 'group',
            duoGroupId: r.duo_group_id ?? '',
            name: r.entitlement_name ?? '',
          },
    accountStatus: r.account_status,
    lastActivityMs: epochMsOrNull(r.last_activity_ms),
    lastSuccessMs: epochMsOrNull(r.last_success_ms),
    daysActive90: r.days_active_90,
    suggestion: r.suggestion as AccessSuggestion,
    reason: r.reason,
    reviewerIds,
    decision: r.decision as ReviewDecision | null,
    comment: r.decision_comment,
    decidedBy: r.decided_by,
    decidedAt: epochMsOrNull(r.decided_at),
    step:
      r.step_action === null || r.step_state === null
        ? null
        : {
            action: r.step_action as RemediationAction,
            state: r.step_state as StepState,
            attempts: r.step_attempts ?? 0,
            request: r.step_request,
            answer: fromJson(r.step_answer),
            error: r.step_error,
            startedAt: epochMsOrNull(r.step_started_at),
            finishedAt: epochMsOrNull(r.step_finished_at),
            verification: r.step_verification as Verification | null,
            verifiedAt: epochMsOrNull(r.step_verified_at),
          },
  };
}

function itemQuery(db: Db) {
  return db
    .selectFrom('review_items as i')
    .leftJoin('review_steps as st', 'st.item_id', 'i.id')
    .selectAll('i')
    .select([
      'st.action as step_action',
      'st.state as step_state',
      'st.attempts as step_attempts',
      'st.request as step_request',
      'st.answer as step_answer',
      'st.error as step_error',
      'st.started_at as step_started_at',
      'st.finished_at as step_finished_at',
      'st.verification as step_verification',
      'st.verified_at as step_verified_at',
    ]);
}

async function reviewersOf(
  db: Db,
  campaignId: string,
  itemIds: readonly number[] | 'all',
): Promise<Map<number, string[]>> {
  let q = db
    .selectFrom('review_item_reviewers')
    .select(['item_id', 'identity_id'])
    .where('campaign_id', '=', campaignId);
  if (itemIds !== 'all') {
    if (itemIds.length === 0) return new Map();
    q = q.where(dialectOf(db).idIn('item_id', itemIds));
  }
  const rows = await q.orderBy('item_id').orderBy('identity_id').execute();
  const out = new Map<number, string[]>();
  for (const r of rows) {
    const id = r.item_id;
    const list = out.get(id) ?? [];
    list.push(r.identity_id);
    out.set(id, list);
  }
  return out;
}

export interface ReviewItemPageQuery {
  readonly campaignId: string;
  readonly selection: ReviewItemSelection;
  readonly sort: ReviewItemSort;
  readonly order: 'asc' | 'desc';
  readonly limit: number;
  readonly offset: number;
}

/**
 * A page of a campaign's items that the selection matches, sorted (missing values last in
 * either order, then by username and id), and how many match in all.
 */
export async function listReviewItemRows(
  db: Db,
  query: ReviewItemPageQuery,
): Promise<{ readonly items: ReviewItemRecord[]; readonly total: number }> {
  const where = (eb: ExpressionBuilder<ItemScope, 'i'>) =>
    selectionWhere(eb, query.campaignId, query.selection, db);
  const totalRow = await db
    .selectFrom('review_items as i')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where(where)
    .executeTakeFirst();
  const column = REVIEW_ITEM_SORT_COLUMNS[query.sort];
  const rows = await itemQuery(db)
    .where(where)
    .orderBy(sql`case when ${sql.ref(column)} is null then 1 else 0 end`)
    .orderBy(sql.ref(column), query.order)
    .orderBy('i.username', query.order)
    .orderBy('i.id', query.order)
    .limit(query.limit)
    .offset(query.offset)
    .execute();
  const reviewers = await reviewersOf(
    db,
    query.campaignId,
    rows.map((r) => r.id),
  );
  return {
    items: rows.map((r) => toItem(r, reviewers.get(r.id) ?? [])),
    total: totalRow?.n ?? 0,
  };
}

/** The items of the campaign with these ids (those that exist), with their reviewers. */
export async function findReviewItems(
  db: Db,
  campaignId: string,
  itemIds: readonly number[],
): Promise<ReviewItemRecord[]> {
  if (itemIds.length === 0) return [];
  const rows = await itemQuery(db)
    .where('i.campaign_id', '=', campaignId)
    .where(dialectOf(db).idIn('i.id', itemIds))
    .orderBy('i.id')
    .execute();
  const reviewers = await reviewersOf(db, campaignId, itemIds);
  return rows.map((r) => toItem(r, reviewers.get(r.id) ?? []));
}

/** How many items the selection matches (and of them, how many a revoke was suggested for). */
export async function countReviewItems(
  db: Db,
  campaignId: string,
  selection: ReviewItemSelection,
): Promise<{ readonly total: number; readonly suggestedRevoke: number }> {
  const row = await db
    .selectFrom('review_items as i')
    .select((eb) => [
      eb.fn.countAll<number>().as('total'),
      eb.fn
        .sum<number>(eb.case().when('i.suggestion', '=', 'revoke').then(1).else(0).end())
        .as('revoke'),
    ])
    .where((eb) => selectionWhere(eb, campaignId, selection, db))
    .executeTakeFirst();
  return { total: row?.total ?? 0, suggestedRevoke: row?.revoke ?? 0 };
}

// ---- decisions and sign-off -----------------------------------------------------------------------

/** One decision for every item a selection matches. */
export interface DecisionGroup {
  readonly selection: ReviewItemSelection;
  readonly decision: ReviewDecision;
  readonly comment: string | null;
}

/** Refused because the campaign is no longer open (its decisions are locked). */
export class CampaignSignedOffError extends ConflictError {}

async function lockOpenCampaign(trx: Db, campaignId: string): Promise<void> {
  await dialectOf(trx).lockForTransaction(trx, `review-campaign:${campaignId}`);
  const row = await trx
    .selectFrom('review_campaigns')
    .select('state')
    .where('id', '=', campaignId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('review campaign', campaignId);
  if (row.state !== 'open') throw new CampaignSignedOffError('the campaign is signed off');
}

/**
 * Records decisions, in one transaction: for each group a `review_decisions` row per matching
 * item (one `insert … select`), then those items' current decision (one `update`). Refused with
 * a ConflictError once the campaign is signed off. Answers how many items were decided.
 */
export async function recordDecisions(
  db: Db,
  input: {
    readonly campaignId: string;
    readonly groups: readonly DecisionGroup[];
    readonly decidedBy: string;
    readonly decidedByUserId: string | null;
    readonly at: number;
  },
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await lockOpenCampaign(trx, input.campaignId);
    let decided = 0;
    for (const group of input.groups) {
      const before = await trx
        .selectFrom('review_decisions')
        .select((eb) => eb.fn.max<number>('id').as('m'))
        .executeTakeFirst();
      const after = before?.m ?? 0;
      const inserted = await trx
        .insertInto('review_decisions')
        .columns([
          'campaign_id',
          'item_id',
          'decision',
          'comment',
          'decided_by',
          'decided_by_user_id',
          'decided_at',
        ])
        .expression(
          trx
            .selectFrom('review_items as i')
            .select([
              'i.campaign_id',
              'i.id',
              sql<string>`cast(${group.decision} as text)`.as('decision'),
              sql<string | null>`cast(${group.comment} as text)`.as('comment'),
              sql<string>`cast(${input.decidedBy} as text)`.as('decided_by'),
              sql<string | null>`cast(${input.decidedByUserId} as text)`.as('decided_by_user_id'),
              sql<number>`cast(${input.at} as bigint)`.as('decided_at'),
            ])
            .where((eb) => selectionWhere(eb, input.campaignId, group.selection, trx)),
        )
        .executeTakeFirst();
      const count = Number(inserted.numInsertedOrUpdatedRows ?? 0);
      if (count === 0) continue;
      decided += count;
      await trx
        .updateTable('review_items')
        .set({
          decision: group.decision,
          decision_comment: group.comment,
          decided_by: input.decidedBy,
          decided_by_user_id: input.decidedByUserId,
          decided_at: input.at,
        })
        .where('campaign_id', '=', input.campaignId)
        .where('id', 'in', (q) =>
          q
            .selectFrom('review_decisions')
            .select('item_id')
            .where('campaign_id', '=', input.campaignId)
            .where('id', '>', after),
        )
        .execute();
    }
    return decided;
  });
}

/**
 * Signs the campaign off when every item is decided: locks its decisions and sets how it is
 * remediated. Answers the undecided count when some are left (nothing changed then).
 */
export async function signOffReviewCampaign(
  db: Db,
  input: {
    readonly campaignId: string;
    readonly by: string;
    readonly byUserId: string | null;
    readonly at: number;
    readonly mode: 'duo' | 'manual';
  },
): Promise<{ readonly undecided: number }> {
  return db.transaction().execute(async (trx) => {
    await lockOpenCampaign(trx, input.campaignId);
    const row = await trx
      .selectFrom('review_items')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('campaign_id', '=', input.campaignId)
      .where('decision', 'is', null)
      .executeTakeFirst();
    const undecided = row?.n ?? 0;
    if (undecided > 0) return { undecided };
    await trx
      .updateTable('review_campaigns')
      .set({
        state: 'signed_off',
        remediation_mode: input.mode,
        signed_off_by: input.by,
        signed_off_by_user_id: input.byUserId,
        signed_off_at: input.at,
      })
      .where('id', '=', input.campaignId)
      .execute();
    return { undecided: 0 };
  });
}

// ---- evidence -------------------------------------------------------------------------------------

/**
 * Everything the evidence of a campaign holds: every item (by username, then id) with its
 * reviewers and step, and every decision taken, oldest first. Reads `review_*` only, so it
 * stays the same when accounts change or go.
 */
export async function reviewEvidenceRows(
  db: Db,
  campaignId: string,
): Promise<{
  readonly items: ReviewItemRecord[];
  readonly decisions: Map<number, ReviewDecisionRecord[]>;
}> {
  const rows = await itemQuery(db)
    .where('i.campaign_id', '=', campaignId)
    .orderBy('i.username')
    .orderBy('i.id')
    .execute();
  const reviewers = await reviewersOf(db, campaignId, 'all');
  const decisionRows = await db
    .selectFrom('review_decisions')
    .selectAll()
    .where('campaign_id', '=', campaignId)
    .orderBy('item_id')
    .orderBy('id')
    .execute();
  const decisions = new Map<number, ReviewDecisionRecord[]>();
  for (const d of decisionRows) {
    const itemId = d.item_id;
    const list = decisions.get(itemId) ?? [];
    list.push({
      itemId,
      decision: d.decision as ReviewDecision,
      comment: d.comment,
      decidedBy: d.decided_by,
      decidedAt: epochMs(d.decided_at),
    });
    decisions.set(itemId, list);
  }
  return {
    items: rows.map((r) => toItem(r, reviewers.get(r.id) ?? [])),
    decisions,
  };
}
