/**
 * Remediation of a signed-off access-review campaign: each revoke becomes one step — a Duo group
 * membership removed (`DELETE /admin/v1/users/{user_id}/groups/{group_id}`), a Duo user disabled
 * (an accounts campaign: `POST /admin/v1/users/{user_id} status=disabled`), or a manual step for a
 * person (an administrator role; every step when the credential lacks "Grant write resource").
 * A dry run lists the changes and writes nothing. Otherwise the steps are made, the campaign is
 * `remediating`, the call answers at once and the work goes on in the background (`Remediations`):
 * each step's attempt is written before its request is sent, Duo's answer after; the client's
 * rate governor paces and retries 429s and 5xx; a step left without an answer (`uncertain`) is
 * checked by reading the Duo user before anything is sent again, so an accepted change is never
 * sent twice, across restarts too. Then each source written to is aggregated again (once, waited
 * for) and every step's item verified against the store; the campaign is `remediated`.
 *
 * @example const answer = await remediateCampaign(app, actor, campaignId, { dryRun: true });
 *   answer.changes; // [{ itemId, username, action: 'remove_from_group', request: 'DELETE /admin/v1/users/…' }]
 */
import { ConflictError } from '../domain/errors.js';
import type { RemediationAction } from '../domain/reviews.js';
import { ms, type EpochMs } from '../domain/time.js';
import { DuoError, type DuoClient } from '../duo/index.js';
import type { Logger } from '../logging.js';
import {
  countStepsByState,
  finishStep,
  insertReviewSteps,
  makeOpenStepsManual,
  markCampaignRemediated,
  markCampaignRemediating,
  markStepAttempt,
  openTargets,
  reopenFailedSteps,
  revokedItems,
  setRemediationMode,
  sourcesWithDuoSteps,
  verifySteps,
  listSteps,
  type NewReviewStep,
  type RemediationTarget,
  type RevokedItem,
} from '../store/review-steps.js';
import { getSource, getSourceCredentials } from '../store/sources.js';
import { SourceBusyError } from '../sync/context.js';
import { recordAction, type Actor } from './actor.js';
import {
  assertMayRunCampaign,
  getCampaign,
  type CampaignView,
  type ReviewDeps,
} from './reviews.js';
import { runSourceNow, type SourceDeps } from './sources.js';

/** What remediation needs: the review use cases' deps, the sources' (Duo, runs) and the jobs. */
export type RemediationDeps = ReviewDeps &
  SourceDeps & {
    /** The background remediations of this process. */
    readonly remediations: Remediations;
  };

/** One change a remediation makes (or, in a dry run, would make). */
export interface PlannedChangeView {
  readonly itemId: number;
  readonly username: string;
  readonly entitlementName: string | null;
  readonly action: RemediationAction;
  readonly request: string | null;
  readonly why: string;
}

export interface RemediationAnswerView {
  readonly dryRun: boolean;
  readonly changes: PlannedChangeView[];
  readonly campaign: CampaignView;
}

/** How a remediation's steps are carried out (the campaign's mode, set at sign-off). */
export type RemediationMode = 'duo' | 'manual';

/** What a person does, and why, when Duo cannot be told. */
export const MANUAL_WHY = {
  adminRole: "change the administrator's role in the Duo Admin Panel (the Admin API cannot)",
  administrator: 'disable the administrator in the Duo Admin Panel (the Admin API cannot)',
  noWrite:
    'the credential lacks "Grant write resource": make this change in the Duo Admin Panel, or grant Grant write resource to the Admin API application and sign off a new campaign',
  writeRefused:
    'Duo refused a change for lack of permission: grant "Grant write resource" to the Admin API application, or make this change in the Duo Admin Panel',
} as const;

/**
 * The step one revoked item becomes: a group membership is removed, an account (an accounts
 * campaign) disabled; an administrator role, an administrator account, or any item of a campaign
 * whose credential cannot write, is manual.
 */
export function planStep(item: RevokedItem, mode: RemediationMode): PlannedChangeView {
  const base = {
    itemId: item.itemId,
    username: item.username,
    entitlementName: item.entitlementName,
  };
  const manual = (why: string): PlannedChangeView => ({
    ...base,
    action: 'manual',
    request: null,
    why,
  });
  const user = encodeURIComponent(item.duoUserId);
  if (item.entitlementId === null) {
    if (item.accountKind !== 'user') return manual(MANUAL_WHY.administrator);
    if (mode === 'manual') return manual(MANUAL_WHY.noWrite);
    return {
      ...base,
      action: 'disable_user',
      request: `POST /admin/v1/users/${user} status=disabled`,
      why: `disable the Duo user ${item.username}`,
    };
  }
  if (item.entitlementKind !== 'group' || item.duoGroupId === null)
    return manual(MANUAL_WHY.adminRole);
  if (mode === 'manual') return manual(MANUAL_WHY.noWrite);
  return {
    ...base,
    action: 'remove_from_group',
    request: `DELETE /admin/v1/users/${user}/groups/${encodeURIComponent(item.duoGroupId)}`,
    why: `remove ${item.username} from the Duo group ${item.entitlementName ?? item.duoGroupId}`,
  };
}

async function plannedChanges(
  deps: RemediationDeps,
  campaignId: string,
  mode: RemediationMode,
): Promise<PlannedChangeView[]> {
  const changes: PlannedChangeView[] = [];
  for await (const page of revokedItems(deps.db, campaignId))
    for (const item of page) changes.push(planStep(item, mode));
  return changes;
}

/**
 * Remediates a campaign (those who may run it: `assertMayRunCampaign`). Only once signed off;
 * again later (remediating or remediated) to resume after a restart and retry the failed steps.
 * A dry run answers the changes and writes nothing; otherwise the answer comes at once, with
 * the campaign `remediating`, and the work goes on in the background (`waitForRemediation`).
 */
export async function remediateCampaign(
  deps: RemediationDeps,
  actor: Actor,
  campaignId: string,
  options: { readonly dryRun?: boolean } = {},
): Promise<RemediationAnswerView> {
  const campaign = await assertMayRunCampaign(deps.db, actor, campaignId);
  if (campaign.state === 'open')
    throw new ConflictError(
      'the campaign is not signed off: every item must be decided and the campaign signed off before remediation',
    );
  const mode: RemediationMode = campaign.remediationMode === 'duo' ? 'duo' : 'manual';
  const changes = await plannedChanges(deps, campaignId, mode);
  const dryRun = options.dryRun ?? false;
  if (dryRun) return { dryRun, changes, campaign: await getCampaign(deps, actor, campaignId) };

  if (!deps.remediations.isRunning(campaignId)) {
    const now = ms(deps.clock());
    const steps: NewReviewStep[] = changes.map((c) => ({
      campaignId,
      itemId: c.itemId,
      action: c.action,
      state: c.action === 'manual' ? 'manual' : 'pending',
      request: c.request,
      note: c.action === 'manual' ? c.why : null,
    }));
    const created = await insertReviewSteps(deps.db, steps);
    const retried = mode === 'duo' ? await reopenFailedSteps(deps.db, campaignId) : 0;
    await markCampaignRemediating(deps.db, campaignId, now);
    const counts = await countStepsByState(deps.db, campaignId);
    await recordAction(deps.db, actor, 'review.remediate', {
      type: 'review',
      id: campaign.id,
      name: campaign.name,
      details: {
        mode,
        stepsCreated: created,
        retried,
        resumed: created === 0,
        pending: counts.pending,
        uncertain: counts.uncertain,
        manual: counts.manual,
        accepted: counts.accepted,
      },
    });
    deps.remediations.start(campaignId, (signal) =>
      carryOut(deps, actor, { id: campaign.id, name: campaign.name }, signal),
    );
  }
  return { dryRun, changes, campaign: await getCampaign(deps, actor, campaignId) };
}

/** Resolves when this process's remediation of the campaign ends (at once when none runs). */
export async function waitForRemediation(
  deps: Pick<RemediationDeps, 'remediations'>,
  campaignId: string,
): Promise<void> {
  await deps.remediations.wait(campaignId);
}

// ---- the background work ------------------------------------------------------------------------

/**
 * The remediations running in this process, one per campaign: started by `remediateCampaign`,
 * awaited by tests and the command line (`wait`), stopped by the app's close (`stop`: each ends
 * after the step in flight; what is left resumes on the next remediate call).
 */
export class Remediations {
  readonly #jobs = new Map<string, { done: Promise<void>; controller: AbortController }>();
  readonly #log: Logger | undefined;
  #stopped = false;

  constructor(log?: Logger) {
    this.#log = log;
  }

  isRunning(campaignId: string): boolean {
    return this.#jobs.has(campaignId);
  }

  /** Starts the work unless the campaign's already runs here; false when it did not start. */
  start(campaignId: string, work: (signal: AbortSignal) => Promise<void>): boolean {
    if (this.#stopped || this.#jobs.has(campaignId)) return false;
    const controller = new AbortController();
    const done = work(controller.signal)
      .catch((error: unknown) => {
        this.#log?.error(
          { err: error instanceof Error ? error.message : String(error), campaignId },
          'remediation failed',
        );
      })
      .finally(() => {
        this.#jobs.delete(campaignId);
      });
    this.#jobs.set(campaignId, { done, controller });
    return true;
  }

  async wait(campaignId: string): Promise<void> {
    await this.#jobs.get(campaignId)?.done;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const job of this.#jobs.values())
      job.controller.abort(new Error('duo-insights is shutting down'));
    await Promise.all([...this.#jobs.values()].map((job) => job.done));
  }
}

const TARGET_PAGE = 200;

/** Carries out the open steps, aggregates the sources written to, verifies, ends the campaign. */
async function carryOut(
  deps: RemediationDeps,
  actor: Actor,
  campaign: { readonly id: string; readonly name: string },
  signal: AbortSignal,
): Promise<void> {
  const now = (): EpochMs => ms(deps.clock());
  const clients = new Map<string, DuoClient>();
  const clientOf = async (sourceId: string): Promise<DuoClient> => {
    let client = clients.get(sourceId);
    if (client === undefined) {
      const source = await getSource(deps.db, sourceId);
      const credentials = await getSourceCredentials(deps.db, sourceId, deps.sync.secretKey);
      client = deps.sync.duo.clientFor(credentials, source.settings);
      clients.set(sourceId, client);
    }
    return client;
  };
  try {
    let after = 0;
    pages: for (;;) {
      const targets = await openTargets(deps.db, campaign.id, after, TARGET_PAGE);
      if (targets.length === 0) break;
      for (const target of targets) {
        if (signal.aborted) return;
        after = target.itemId;
        const outcome = await carryOutStep(deps, await clientOf(target.item.sourceId), target, {
          signal,
          now,
        });
        if (outcome === 'write_refused') {
          await makeOpenStepsManual(deps.db, campaign.id, MANUAL_WHY.writeRefused, now());
          await setRemediationMode(deps.db, campaign.id, 'manual');
          break pages;
        }
      }
    }
  } finally {
    for (const client of clients.values()) await client.close();
  }
  if (signal.aborted) return;

  const aggregated: Record<string, string> = {};
  for (const sourceId of await sourcesWithDuoSteps(deps.db, campaign.id))
    aggregated[sourceId] = await aggregateAgain(deps, actor, sourceId, signal);
  // Read again: the aggregations awaited above may have ended by a shutdown.
  if (isAborted(signal)) return;
  const verified = await verifySteps(deps.db, campaign.id, now());
  await settleUncertainSteps(deps, campaign.id, now());
  await markCampaignRemediated(deps.db, campaign.id, now());
  const counts = await countStepsByState(deps.db, campaign.id);
  await recordAction(deps.db, actor, 'review.remediated', {
    type: 'review',
    id: campaign.id,
    name: campaign.name,
    details: {
      accepted: counts.accepted,
      failed: counts.failed,
      manual: counts.manual,
      uncertain: counts.uncertain,
      removed: verified.removed,
      stillPresent: verified.stillPresent,
      aggregations: aggregated,
    },
  });
}

function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

type StepOutcome = 'done' | 'unanswered' | 'write_refused' | 'skipped';

/** Duo's answer as kept on the step: status, stat, code and message, never a secret. */
function answerOf(error: DuoError): Record<string, unknown> {
  return {
    httpStatus: error.httpStatus ?? null,
    stat: error.httpStatus === undefined ? null : 'FAIL',
    code: error.duoCode ?? null,
    message: error.messageDetail ?? error.message,
    kind: error.kind,
  };
}

/** Whether Duo shows the change made: the user out of the group, or disabled. */
function isApplied(
  target: RemediationTarget,
  user: { status: string; groups?: { group_id: string }[] | null | undefined },
): boolean {
  if (target.action === 'disable_user') return user.status === 'disabled';
  return !(user.groups ?? []).some((g) => g.group_id === target.item.duoGroupId);
}

const USER_GONE = 'the Duo user no longer exists';

async function carryOutStep(
  deps: RemediationDeps,
  duo: DuoClient,
  target: RemediationTarget,
  context: { readonly signal: AbortSignal; readonly now: () => EpochMs },
): Promise<StepOutcome> {
  const { signal, now } = context;
  const { duoUserId } = target.item;
  if (target.state === 'uncertain') {
    // Sent before without an answer: read Duo before anything is sent again.
    try {
      const user = await duo.user(duoUserId, signal);
      if (isApplied(target, user)) {
        await finishStep(
          deps.db,
          target.id,
          {
            state: 'accepted',
            answer: { verifiedBy: `GET /admin/v1/users/${duoUserId}`, applied: true },
            error: null,
          },
          now(),
        );
        return 'done';
      }
    } catch (error) {
      if (signal.aborted) return 'unanswered';
      if (error instanceof DuoError && error.kind === 'not_found') {
        await finishStep(
          deps.db,
          target.id,
          { state: 'failed', answer: answerOf(error), error: USER_GONE },
          now(),
        );
        return 'done';
      }
      const why = error instanceof Error ? error.message : String(error);
      await finishStep(
        deps.db,
        target.id,
        { state: 'uncertain', error: `could not verify in Duo: ${why}` },
        now(),
      );
      return 'unanswered';
    }
  }
  const from = target.state === 'uncertain' ? 'uncertain' : 'pending';
  if ((await markStepAttempt(deps.db, target.id, [from], now())) === null) return 'skipped';
  try {
    if (target.action === 'remove_from_group') {
      await duo.removeUserFromGroup(duoUserId, target.item.duoGroupId ?? '', signal);
      await finishStep(
        deps.db,
        target.id,
        { state: 'accepted', answer: { httpStatus: 200, stat: 'OK' }, error: null },
        now(),
      );
    } else {
      const user = await duo.setUserStatus(duoUserId, 'disabled', signal);
      await finishStep(
        deps.db,
        target.id,
        {
          state: 'accepted',
          answer: { httpStatus: 200, stat: 'OK', status: user.status },
          error: null,
        },
        now(),
      );
    }
    return 'done';
  } catch (error) {
    if (!(error instanceof DuoError)) {
      // Aborted (shutdown) or a local failure: the step stays uncertain, verified next time.
      const why = error instanceof Error ? error.message : String(error);
      await finishStep(deps.db, target.id, { state: 'uncertain', error: why }, now());
      return 'unanswered';
    }
    switch (error.kind) {
      case 'permission_missing':
        await finishStep(
          deps.db,
          target.id,
          {
            state: 'failed',
            answer: answerOf(error),
            error: `Duo refused the change (40301): grant "Grant write resource" to the Admin API application; the remaining steps are manual`,
          },
          now(),
        );
        return 'write_refused';
      case 'not_found':
        await finishStep(
          deps.db,
          target.id,
          { state: 'failed', answer: answerOf(error), error: USER_GONE },
          now(),
        );
        return 'done';
      case 'uncertain_outcome':
      case 'network':
        await finishStep(
          deps.db,
          target.id,
          {
            state: 'uncertain',
            answer: answerOf(error),
            error: `${error.message} ${error.fix}`.trim(),
          },
          now(),
        );
        return 'unanswered';
      case 'invalid_integration_key':
      case 'invalid_signature':
      case 'missing_credentials':
      case 'bad_request':
      case 'rate_limited':
      case 'server_error':
      case 'bad_response':
        await finishStep(
          deps.db,
          target.id,
          {
            state: 'failed',
            answer: answerOf(error),
            error: `${error.message} ${error.fix}`.trim(),
          },
          now(),
        );
        return 'done';
    }
  }
}

/**
 * Steps still without an answer once the source was aggregated again: what the aggregation saw
 * decides — the access gone is `accepted`, still there `failed` (remediate again to retry).
 */
async function settleUncertainSteps(
  deps: RemediationDeps,
  campaignId: string,
  now: EpochMs,
): Promise<void> {
  for (const step of await listSteps(deps.db, campaignId, { states: ['uncertain'] })) {
    if (step.verification === 'removed')
      await finishStep(
        deps.db,
        step.id,
        { state: 'accepted', answer: { verifiedBy: 'aggregation', applied: true } },
        now,
      );
    else
      await finishStep(
        deps.db,
        step.id,
        {
          state: 'failed',
          error: `${step.error ?? 'Duo did not answer'}; the access is still there after the aggregation: remediate again to retry`,
        },
        now,
      );
  }
}

const BUSY_RETRY_MS = 1000;
const BUSY_TRIES = 120;

/**
 * Aggregates the source once and waits for it (what Duo holds now, so the items can be
 * verified); a source busy with another run is waited for. Says how the run ended.
 */
async function aggregateAgain(
  deps: RemediationDeps,
  actor: Actor,
  sourceId: string,
  signal: AbortSignal,
): Promise<string> {
  for (let attempt = 0; attempt < BUSY_TRIES; attempt++) {
    try {
      const run = await runSourceNow(deps, actor, { sourceId, kind: 'aggregation', signal });
      return run.status;
    } catch (error) {
      if (signal.aborted) return 'cancelled';
      if (!(error instanceof SourceBusyError)) {
        deps.sync.log.warn(
          { sourceId, err: error instanceof Error ? error.message : String(error) },
          'remediation could not aggregate the source again; verified against what is stored',
        );
        return error instanceof Error ? `not run: ${error.message}` : 'not run';
      }
      await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_MS));
    }
  }
  return 'not run: the source stayed busy';
}
