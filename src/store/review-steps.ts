/**
 * Remediation steps of a signed-off access-review campaign: one per revoked item, with its
 * action (`remove_from_group`, `disable_user`, `manual`), its state, the attempts, what is sent
 * to Duo, Duo's answer and, after the source was aggregated again, the verification.
 *
 * A step is sent to Duo at most once it is known to be accepted: `markStepAttempt` writes the
 * attempt (state `uncertain`, attempts + 1) BEFORE the request goes out, and only a step still
 * `pending` or `uncertain` can be marked. An answer then moves it to `accepted` or `failed`; a
 * process that dies mid-request leaves it `uncertain`, which the next run verifies by reading
 * Duo before it sends anything again. An `accepted` step is never marked again, across restarts.
 *
 * Also the campaign's remediation moments (`remediating`, `remediated`), which only remediation
 * writes.
 *
 * @example await insertReviewSteps(db, planned);                         // idempotent per item
 *   const claimed = await markStepAttempt(db, step.id, ['pending'], now); // null: someone else has it
 *   if (claimed) await finishStep(db, step.id, { state: 'accepted', answer }, now);
 */
import { sql, type Selectable } from 'kysely';
import type { AccountKind, EntitlementKind } from '../domain/accounts.js';
import { NotFoundError } from '../domain/errors.js';
import type { RemediationAction, StepState, Verification } from '../domain/reviews.js';
import type { EpochMs } from '../domain/time.js';
import { runBatches, pick, type BatchStatement } from './batch.js';
import { epochMsOrNull, fromJson, toJsonOrNull } from './columns.js';
import type { Db } from './dialect.js';
import type { ReviewStepsTable } from './schema.js';

/** A remediation step as stored. */
export interface ReviewStepRecord {
  readonly id: number;
  readonly campaignId: string;
  readonly itemId: number;
  readonly action: RemediationAction;
  readonly state: StepState;
  readonly attempts: number;
  /** What is (or would be) sent: `DELETE /admin/v1/users/DU…/groups/DG…`; null when manual. */
  readonly request: string | null;
  /** Duo's answer to the last attempt (HTTP status, stat, code, message), or null. */
  readonly answer: unknown;
  /** Why it failed, or (a manual step) what a person does and why. */
  readonly error: string | null;
  readonly startedAt: EpochMs | null;
  readonly finishedAt: EpochMs | null;
  readonly verification: Verification | null;
  readonly verifiedAt: EpochMs | null;
}

/** A revoked item of a campaign, as remediation needs it (the figures fixed at creation). */
export interface RevokedItem {
  readonly itemId: number;
  readonly campaignId: string;
  readonly sourceId: string;
  readonly accountId: number;
  readonly accountKind: AccountKind;
  readonly duoUserId: string;
  readonly username: string;
  readonly entitlementId: number | null;
  readonly entitlementKind: EntitlementKind | null;
  readonly duoGroupId: string | null;
  readonly entitlementName: string | null;
}

/** A step together with the item it carries out. */
export interface RemediationTarget extends ReviewStepRecord {
  readonly item: RevokedItem;
}

/** A step to create: the planned action for one revoked item. */
export interface NewReviewStep {
  readonly campaignId: string;
  readonly itemId: number;
  readonly action: RemediationAction;
  /** `pending` (sent to Duo) or `manual` (for a person). */
  readonly state: Extract<StepState, 'pending' | 'manual'>;
  readonly request: string | null;
  /** A manual step: why, and what to do in the Duo Admin Panel. */
  readonly note: string | null;
}

function toStep(row: Selectable<ReviewStepsTable>): ReviewStepRecord {
  return {
    id: row.id,
    campaignId: row.campaign_id,
    itemId: row.item_id,
    action: row.action as RemediationAction,
    state: row.state as StepState,
    attempts: row.attempts,
    request: row.request,
    answer: fromJson(row.answer),
    error: row.error,
    startedAt: epochMsOrNull(row.started_at === null ? null : row.started_at),
    finishedAt: epochMsOrNull(row.finished_at === null ? null : row.finished_at),
    verification: row.verification as Verification | null,
    verifiedAt: epochMsOrNull(row.verified_at === null ? null : row.verified_at),
  };
}

// ---- the revoked items --------------------------------------------------------------------------

const ITEM_PAGE = 1000;

/**
 * Every item of a campaign whose decision is `revoke`, a page at a time in id order (a campaign
 * may hold 50,000): what a dry run lists and the steps are made from.
 */
export async function* revokedItems(
  db: Db,
  campaignId: string,
  pageSize = ITEM_PAGE,
): AsyncGenerator<RevokedItem[]> {
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom('review_items')
      .select([
        'id',
        'campaign_id',
        'source_id',
        'account_id',
        'account_kind',
        'duo_user_id',
        'username',
        'entitlement_id',
        'entitlement_kind',
        'duo_group_id',
        'entitlement_name',
      ])
      .where('campaign_id', '=', campaignId)
      .where('decision', '=', 'revoke')
      .where('id', '>', after)
      .orderBy('id')
      .limit(pageSize)
      .execute();
    if (rows.length === 0) return;
    yield rows.map((r) => ({
      itemId: r.id,
      campaignId: r.campaign_id,
      sourceId: r.source_id,
      accountId: r.account_id,
      accountKind: r.account_kind as AccountKind,
      duoUserId: r.duo_user_id,
      username: r.username,
      entitlementId: r.entitlement_id === null ? null : r.entitlement_id,
      entitlementKind: r.entitlement_kind as EntitlementKind | null,
      duoGroupId: r.duo_group_id,
      entitlementName: r.entitlement_name,
    }));
    after = rows[rows.length - 1]?.id ?? after;
    if (rows.length < pageSize) return;
  }
}

// ---- creating steps -----------------------------------------------------------------------------

interface StepRow {
  campaign_id: string;
  item_id: number;
  action: string;
  state: string;
  request: string | null;
  error: string | null;
}

const STEP_COLUMNS = ['campaign_id', 'item_id', 'action', 'state', 'request', 'error'] as const;

const insertSteps: BatchStatement<StepRow, unknown> = {
  name: 'insert review_steps',
  columns: STEP_COLUMNS,
  arrayTypes: {
    campaign_id: 'text',
    item_id: 'bigint',
    action: 'text',
    state: 'text',
    request: 'text',
    error: 'text',
  },
  build: (db, rows) =>
    db
      .insertInto('review_steps')
      .values(rows.map((r) => pick(r, STEP_COLUMNS)))
      .onConflict((oc) => oc.column('item_id').doNothing()),
};

/**
 * Creates the steps, many rows per statement; an item that has a step already keeps it (so a
 * resumed remediation creates nothing twice and never resets a step). Returns how many were new.
 */
export async function insertReviewSteps(db: Db, steps: readonly NewReviewStep[]): Promise<number> {
  if (steps.length === 0) return 0;
  const before = await countSteps(db, steps[0]?.campaignId ?? '');
  await runBatches(
    db,
    insertSteps,
    steps.map((s) => ({
      campaign_id: s.campaignId,
      item_id: s.itemId,
      action: s.action,
      state: s.state,
      request: s.request,
      error: s.note,
    })),
  );
  return (await countSteps(db, steps[0]?.campaignId ?? '')) - before;
}

async function countSteps(db: Db, campaignId: string): Promise<number> {
  const row = await db
    .selectFrom('review_steps')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('campaign_id', '=', campaignId)
    .executeTakeFirst();
  return row?.n ?? 0;
}

// ---- reading steps ------------------------------------------------------------------------------

export async function findStep(db: Db, stepId: number): Promise<ReviewStepRecord | undefined> {
  const row = await db
    .selectFrom('review_steps')
    .selectAll()
    .where('id', '=', stepId)
    .executeTakeFirst();
  return row && toStep(row);
}

export async function getStep(db: Db, stepId: number): Promise<ReviewStepRecord> {
  const step = await findStep(db, stepId);
  if (!step) throw new NotFoundError('remediation step', String(stepId));
  return step;
}

/** A campaign's steps in item order, optionally only those in some states. */
export async function listSteps(
  db: Db,
  campaignId: string,
  filter: { readonly states?: readonly StepState[] } = {},
): Promise<ReviewStepRecord[]> {
  let query = db
    .selectFrom('review_steps')
    .selectAll()
    .where('campaign_id', '=', campaignId)
    .orderBy('item_id');
  if (filter.states !== undefined) {
    if (filter.states.length === 0) return [];
    query = query.where('state', 'in', [...filter.states]);
  }
  return (await query.execute()).map(toStep);
}

/**
 * The steps still to carry out (`pending`, and `uncertain` ones to verify first), each with its
 * item, in item order, a page at a time after `afterItemId`.
 */
export async function openTargets(
  db: Db,
  campaignId: string,
  afterItemId = 0,
  limit = ITEM_PAGE,
): Promise<RemediationTarget[]> {
  const rows = await db
    .selectFrom('review_steps as s')
    .innerJoin('review_items as i', 'i.id', 's.item_id')
    .selectAll('s')
    .select([
      'i.source_id',
      'i.account_id',
      'i.account_kind',
      'i.duo_user_id',
      'i.username',
      'i.entitlement_id',
      'i.entitlement_kind',
      'i.duo_group_id',
      'i.entitlement_name',
    ])
    .where('s.campaign_id', '=', campaignId)
    .where('s.state', 'in', ['pending', 'uncertain'])
    .where('s.item_id', '>', afterItemId)
    .orderBy('s.item_id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    ...toStep(r),
    item: {
      itemId: r.item_id,
      campaignId: r.campaign_id,
      sourceId: r.source_id,
      accountId: r.account_id,
      accountKind: r.account_kind as AccountKind,
      duoUserId: r.duo_user_id,
      username: r.username,
      entitlementId: r.entitlement_id === null ? null : r.entitlement_id,
      entitlementKind: r.entitlement_kind as EntitlementKind | null,
      duoGroupId: r.duo_group_id,
      entitlementName: r.entitlement_name,
    },
  }));
}

/** The sources whose items have steps sent to Duo (those to aggregate again afterwards). */
export async function sourcesWithDuoSteps(db: Db, campaignId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('review_steps as s')
    .innerJoin('review_items as i', 'i.id', 's.item_id')
    .select('i.source_id')
    .distinct()
    .where('s.campaign_id', '=', campaignId)
    .where('s.action', '<>', 'manual')
    .orderBy('i.source_id')
    .execute();
  return rows.map((r) => r.source_id);
}

/** Steps by state and by verification: the campaign's remediation progress. */
export interface StepCounts {
  readonly steps: number;
  readonly pending: number;
  readonly accepted: number;
  readonly failed: number;
  readonly uncertain: number;
  readonly manual: number;
  readonly removed: number;
  readonly stillPresent: number;
}

export async function countStepsByState(db: Db, campaignId: string): Promise<StepCounts> {
  const rows = await db
    .selectFrom('review_steps')
    .select(['state', 'verification', (eb) => eb.fn.countAll<number>().as('n')])
    .where('campaign_id', '=', campaignId)
    .groupBy(['state', 'verification'])
    .execute();
  const counts = {
    steps: 0,
    pending: 0,
    accepted: 0,
    failed: 0,
    uncertain: 0,
    manual: 0,
    removed: 0,
    stillPresent: 0,
  };
  for (const row of rows) {
    const n = row.n;
    counts.steps += n;
    const state = row.state as StepState;
    counts[state] += n;
    if (row.verification === 'removed') counts.removed += n;
    if (row.verification === 'still_present') counts.stillPresent += n;
  }
  return counts;
}

// ---- carrying a step out ------------------------------------------------------------------------

/**
 * Records an attempt BEFORE its request is sent: state `uncertain`, attempts + 1, the request
 * text, the first start time. Only a step in one of `from` (`pending`, `uncertain`) is marked;
 * null when it is not (another process has it, or it is accepted already: never send it again).
 */
export async function markStepAttempt(
  db: Db,
  stepId: number,
  from: readonly Extract<StepState, 'pending' | 'uncertain'>[],
  now: EpochMs,
): Promise<ReviewStepRecord | null> {
  const row = await db
    .updateTable('review_steps')
    .set((eb) => ({
      state: 'uncertain',
      attempts: eb('attempts', '+', 1),
      started_at: eb.fn.coalesce('started_at', eb.val(now)),
      finished_at: null,
      error: null,
    }))
    .where('id', '=', stepId)
    .where('state', 'in', [...from])
    .returningAll()
    .executeTakeFirst();
  return row ? toStep(row) : null;
}

/**
 * Ends a step (or records what a failed attempt left): `accepted` (Duo said OK), `failed`
 * (Duo refused, or retries ran out), `uncertain` (no answer: verify before sending again), or
 * `manual` (for a person). Never changes an `accepted` step, unless asked to keep it accepted.
 */
export async function finishStep(
  db: Db,
  stepId: number,
  outcome: {
    readonly state: Exclude<StepState, 'pending'>;
    readonly answer?: unknown;
    readonly error?: string | null;
  },
  now: EpochMs,
): Promise<ReviewStepRecord> {
  let query = db
    .updateTable('review_steps')
    .set({
      state: outcome.state,
      finished_at: outcome.state === 'uncertain' ? null : now,
      ...(outcome.answer === undefined ? {} : { answer: toJsonOrNull(outcome.answer) }),
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
    })
    .where('id', '=', stepId);
  if (outcome.state !== 'accepted') query = query.where('state', '<>', 'accepted');
  const row = await query.returningAll().executeTakeFirst();
  return row ? toStep(row) : getStep(db, stepId);
}

/**
 * Turns every step of a campaign not yet sent (`pending`) into a manual one, with why: a
 * credential that cannot write. Returns how many changed.
 */
export async function makeOpenStepsManual(
  db: Db,
  campaignId: string,
  why: string,
  now: EpochMs,
): Promise<number> {
  const result = await db
    .updateTable('review_steps')
    .set({ state: 'manual', action: 'manual', error: why, finished_at: now })
    .where('campaign_id', '=', campaignId)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** A failed step tried again: back to `pending` (the remediation retries the failed ones). */
export async function reopenFailedSteps(db: Db, campaignId: string): Promise<number> {
  const result = await db
    .updateTable('review_steps')
    .set({ state: 'pending', finished_at: null })
    .where('campaign_id', '=', campaignId)
    .where('state', '=', 'failed')
    .where('action', '<>', 'manual')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

// ---- verification -------------------------------------------------------------------------------

/**
 * Verifies every step of a campaign against what the store holds now (after the sources were
 * aggregated again), in two statements: an access is `removed` when the account is deleted or
 * gone, or — a membership — the account no longer holds the entitlement, or — an account —
 * its status is `disabled`; else `still_present`. Returns the counts.
 */
export async function verifySteps(
  db: Db,
  campaignId: string,
  now: EpochMs,
): Promise<{ removed: number; stillPresent: number }> {
  const gone = sql<boolean>`(
    not exists (
      select 1 from accounts a
      where a.id = i.account_id and a.deleted_at is null
        and (i.entitlement_id is not null or a.status <> 'disabled')
        and (i.entitlement_id is null or exists (
          select 1 from account_entitlements ae
          where ae.account_id = i.account_id and ae.entitlement_id = i.entitlement_id))
    ))`;
  await sql`
    update review_steps set
      verification = case when (
        select ${gone} from review_items i where i.id = review_steps.item_id
      ) then 'removed' else 'still_present' end,
      verified_at = ${now}
    where campaign_id = ${campaignId}`.execute(db);
  const counts = await countStepsByState(db, campaignId);
  return { removed: counts.removed, stillPresent: counts.stillPresent };
}

// ---- the campaign's remediation moments ---------------------------------------------------------

/**
 * Marks a signed-off (or already remediating/remediated) campaign `remediating`, keeping the
 * first start time; false when the campaign is in none of those states.
 */
export async function markCampaignRemediating(
  db: Db,
  campaignId: string,
  now: EpochMs,
): Promise<boolean> {
  const result = await db
    .updateTable('review_campaigns')
    .set((eb) => ({
      state: 'remediating',
      remediation_started_at: eb.fn.coalesce('remediation_started_at', eb.val(now)),
      remediated_at: null,
    }))
    .where('id', '=', campaignId)
    .where('state', 'in', ['signed_off', 'remediating', 'remediated'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Marks a remediating campaign `remediated`: every step ended and was verified. */
export async function markCampaignRemediated(
  db: Db,
  campaignId: string,
  now: EpochMs,
): Promise<void> {
  await db
    .updateTable('review_campaigns')
    .set({ state: 'remediated', remediated_at: now })
    .where('id', '=', campaignId)
    .where('state', '=', 'remediating')
    .execute();
}

/** Sets how remediation is carried out (`manual` once Duo refused a write for permission). */
export async function setRemediationMode(
  db: Db,
  campaignId: string,
  mode: 'duo' | 'manual',
): Promise<void> {
  await db
    .updateTable('review_campaigns')
    .set({ remediation_mode: mode })
    .where('id', '=', campaignId)
    .execute();
}
