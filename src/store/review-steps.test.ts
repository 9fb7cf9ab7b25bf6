import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import type { AccountSnapshot } from '../domain/accounts.js';
import { ms } from '../domain/time.js';
import { newSource } from '../../test/support/activity-fixtures.js';
import { describeEachDatabase } from '../../test/support/db.js';
import { findAccountByDuoUserId, listAccountEntitlements, upsertAccounts } from './accounts.js';
import type { Db } from './dialect.js';
import {
  countStepsByState,
  finishStep,
  insertReviewSteps,
  listSteps,
  makeOpenStepsManual,
  markCampaignRemediated,
  markCampaignRemediating,
  markStepAttempt,
  openTargets,
  reopenFailedSteps,
  revokedItems,
  sourcesWithDuoSteps,
  verifySteps,
  type NewReviewStep,
} from './review-steps.js';

const NOW = ms(1_800_000_000_000);

function duoUser(i: number, groups: string[], status = 'active'): AccountSnapshot {
  return {
    duoUserId: `DU${String(i).padStart(18, '0')}`,
    username: `user${String(i)}`,
    status,
    groups: groups.map((g) => ({ duoGroupId: `DG-${g}`, name: `Group ${g}` })),
  };
}

/**
 * A signed-off campaign over the members of group `g1` of a source: `users` accounts, each one
 * item; items whose index is in `revoke` are decided revoke, the others keep.
 */
async function signedOffCampaign(
  db: Db,
  options: { readonly users: number; readonly revoke: (i: number) => boolean },
) {
  const { sourceId } = await newSource(db, 'duo');
  const snapshots = Array.from({ length: options.users }, (_, i) => duoUser(i, ['g1', 'g2']));
  await upsertAccounts(db, { sourceId, runId: 'r1', accounts: snapshots });
  const campaignId = randomUUID();
  await db
    .insertInto('review_campaigns')
    .values({
      id: campaignId,
      name: 'Q4 VPN',
      scope: '{"kind":"entitlements","entitlementIds":[]}',
      reviewers: '{"kind":"source_owner"}',
      due_ms: NOW + 86_400_000,
      state: 'signed_off',
      remediation_mode: 'duo',
      created_by: 'admin',
      created_by_user_id: null,
      created_at: NOW - 1000,
      signed_off_by: 'admin',
      signed_off_by_user_id: null,
      signed_off_at: NOW - 10,
      remediation_started_at: null,
      remediated_at: null,
    })
    .execute();
  const accounts = [];
  for (const s of snapshots) {
    const account = await findAccountByDuoUserId(db, sourceId, s.duoUserId);
    if (!account) throw new Error('account not stored');
    const [group] = (await listAccountEntitlements(db, account.id)).filter(
      (e) => e.duoGroupId === 'DG-g1',
    );
    if (!group) throw new Error('membership not stored');
    accounts.push({ account, group });
  }
  await db
    .insertInto('review_items')
    .values(
      accounts.map(({ account, group }, i) => ({
        campaign_id: campaignId,
        source_id: sourceId,
        account_id: account.id,
        account_kind: 'user',
        duo_user_id: account.duoUserId,
        username: account.username,
        realname: null,
        email: null,
        identity_id: null,
        identity_name: null,
        entitlement_id: group.id,
        entitlement_kind: 'group',
        duo_group_id: group.duoGroupId,
        entitlement_name: group.name,
        account_status: 'active',
        last_activity_ms: null,
        last_success_ms: null,
        days_active_90: 0,
        suggestion: 'revoke',
        reason: 'no activity in 90 days',
        decision: options.revoke(i) ? 'revoke' : 'keep',
        decision_comment: options.revoke(i) ? null : 'needed',
        decided_by: 'admin',
        decided_by_user_id: null,
        decided_at: NOW - 100,
      })),
    )
    .execute();
  return { sourceId, campaignId, snapshots };
}

async function plannedSteps(db: Db, campaignId: string): Promise<NewReviewStep[]> {
  const steps: NewReviewStep[] = [];
  for await (const page of revokedItems(db, campaignId, 7))
    for (const item of page)
      steps.push({
        campaignId,
        itemId: item.itemId,
        action: 'remove_from_group',
        state: 'pending',
        request: `DELETE /admin/v1/users/${item.duoUserId}/groups/${item.duoGroupId ?? ''}`,
        note: null,
      });
  return steps;
}

describeEachDatabase('review remediation steps', (t) => {
  it('are made once per revoked item, many per statement, and making them again changes nothing', async () => {
    const { campaignId, sourceId } = await signedOffCampaign(t.db, {
      users: 40,
      revoke: (i) => i % 4 !== 0,
    });
    const planned = await plannedSteps(t.db, campaignId);
    expect(planned).toHaveLength(30);
    expect(await insertReviewSteps(t.db, planned)).toBe(30);
    const [first] = await listSteps(t.db, campaignId);
    if (!first) throw new Error('no step');
    await markStepAttempt(t.db, first.id, ['pending'], NOW);
    await finishStep(t.db, first.id, { state: 'accepted', answer: { status: 200 } }, NOW);

    expect(await insertReviewSteps(t.db, planned)).toBe(0);
    const steps = await listSteps(t.db, campaignId);
    expect(steps).toHaveLength(30);
    expect(steps.find((s) => s.id === first.id)).toMatchObject({ state: 'accepted', attempts: 1 });
    expect(steps.filter((s) => s.state === 'pending')).toHaveLength(29);
    expect(steps[1]?.request).toMatch(/^DELETE \/admin\/v1\/users\/DU\d+\/groups\/DG-g1$/);
    expect(await sourcesWithDuoSteps(t.db, campaignId)).toEqual([sourceId]);
  });

  it('record each attempt before it is sent, and never mark an accepted step again', async () => {
    const { campaignId } = await signedOffCampaign(t.db, { users: 3, revoke: () => true });
    await insertReviewSteps(t.db, await plannedSteps(t.db, campaignId));
    const [step] = await listSteps(t.db, campaignId);
    if (!step) throw new Error('no step');

    const marked = await markStepAttempt(t.db, step.id, ['pending'], NOW);
    expect(marked).toMatchObject({ state: 'uncertain', attempts: 1, startedAt: NOW });
    // A second process that still thinks the step is pending does not get it.
    expect(await markStepAttempt(t.db, step.id, ['pending'], NOW)).toBeNull();
    // Left uncertain (no answer), it may be tried again: the attempt is counted.
    const again = await markStepAttempt(t.db, step.id, ['uncertain'], ms(NOW + 5));
    expect(again).toMatchObject({ state: 'uncertain', attempts: 2, startedAt: NOW });

    const done = await finishStep(
      t.db,
      step.id,
      { state: 'accepted', answer: { httpStatus: 200, stat: 'OK' } },
      ms(NOW + 10),
    );
    expect(done).toMatchObject({
      state: 'accepted',
      answer: { httpStatus: 200, stat: 'OK' },
      finishedAt: NOW + 10,
    });
    expect(await markStepAttempt(t.db, step.id, ['pending', 'uncertain'], NOW)).toBeNull();
    // A late failure report of a step Duo accepted does not undo it.
    const late = await finishStep(t.db, step.id, { state: 'failed', error: 'late' }, NOW);
    expect(late).toMatchObject({ state: 'accepted', error: null, attempts: 2 });
  });

  it('turn the steps not yet sent manual, and reopen failed ones for a retry', async () => {
    const { campaignId } = await signedOffCampaign(t.db, { users: 5, revoke: () => true });
    await insertReviewSteps(t.db, await plannedSteps(t.db, campaignId));
    const [a, b] = await listSteps(t.db, campaignId);
    if (!a || !b) throw new Error('no steps');
    await markStepAttempt(t.db, a.id, ['pending'], NOW);
    await finishStep(t.db, a.id, { state: 'accepted', answer: {} }, NOW);
    await markStepAttempt(t.db, b.id, ['pending'], NOW);
    await finishStep(t.db, b.id, { state: 'failed', error: 'Duo answered 500' }, NOW);

    expect(await reopenFailedSteps(t.db, campaignId)).toBe(1);
    expect(await makeOpenStepsManual(t.db, campaignId, 'grant write', NOW)).toBe(4);
    expect(await countStepsByState(t.db, campaignId)).toMatchObject({
      steps: 5,
      accepted: 1,
      manual: 4,
      pending: 0,
      failed: 0,
    });
    const manual = (await listSteps(t.db, campaignId, { states: ['manual'] }))[0];
    expect(manual).toMatchObject({ action: 'manual', error: 'grant write' });
  });

  it('list the open steps with their items, page by page, uncertain ones included', async () => {
    const { campaignId } = await signedOffCampaign(t.db, { users: 9, revoke: () => true });
    await insertReviewSteps(t.db, await plannedSteps(t.db, campaignId));
    const steps = await listSteps(t.db, campaignId);
    const [accepted, uncertain] = steps;
    if (!accepted || !uncertain) throw new Error('no steps');
    await markStepAttempt(t.db, accepted.id, ['pending'], NOW);
    await finishStep(t.db, accepted.id, { state: 'accepted' }, NOW);
    await markStepAttempt(t.db, uncertain.id, ['pending'], NOW);

    const first = await openTargets(t.db, campaignId, 0, 5);
    const second = await openTargets(t.db, campaignId, first.at(-1)?.itemId ?? 0, 5);
    const open = [...first, ...second];
    expect(open).toHaveLength(8);
    expect(open[0]).toMatchObject({
      id: uncertain.id,
      state: 'uncertain',
      item: { duoGroupId: 'DG-g1', entitlementKind: 'group', accountKind: 'user' },
    });
    expect(open.map((s) => s.id)).not.toContain(accepted.id);
  });

  it('verify each step against the store: a membership gone, an account disabled or deleted is removed', async () => {
    const { campaignId, sourceId, snapshots } = await signedOffCampaign(t.db, {
      users: 4,
      revoke: () => true,
    });
    await insertReviewSteps(t.db, await plannedSteps(t.db, campaignId));
    const [u0, u1, u2] = snapshots;
    if (!u0 || !u1 || !u2) throw new Error('no users');
    // Aggregated again: user 0 left g1, user 1 stays, user 2 is deleted, user 3 still in g1.
    await upsertAccounts(t.db, {
      sourceId,
      runId: 'r2',
      accounts: [duoUser(0, ['g2']), duoUser(1, ['g1', 'g2'], 'disabled')],
    });
    await t.db
      .updateTable('accounts')
      .set({ deleted_at: NOW })
      .where('source_id', '=', sourceId)
      .where('duo_user_id', '=', u2.duoUserId)
      .execute();

    expect(await verifySteps(t.db, campaignId, NOW)).toEqual({ removed: 2, stillPresent: 2 });
    const byUser = new Map<number, string | null>();
    for (const step of await listSteps(t.db, campaignId))
      byUser.set(step.itemId, step.verification);
    const verifications = [...byUser.values()];
    // Items are in user order: 0 removed, 1 still (a membership, even though disabled), 2 removed, 3 still.
    expect(verifications).toEqual(['removed', 'still_present', 'removed', 'still_present']);
    const [step] = await listSteps(t.db, campaignId);
    expect(step?.verifiedAt).toBe(NOW);
  });

  it('verify an account item by its status: disabled is removed', async () => {
    const { campaignId, sourceId } = await signedOffCampaign(t.db, {
      users: 2,
      revoke: () => true,
    });
    await t.db
      .updateTable('review_items')
      .set({ entitlement_id: null, entitlement_kind: null, duo_group_id: null })
      .where('campaign_id', '=', campaignId)
      .execute();
    await insertReviewSteps(t.db, await plannedSteps(t.db, campaignId));
    await upsertAccounts(t.db, {
      sourceId,
      runId: 'r2',
      accounts: [duoUser(0, ['g1'], 'disabled'), duoUser(1, ['g1'])],
    });
    expect(await verifySteps(t.db, campaignId, NOW)).toEqual({ removed: 1, stillPresent: 1 });
  });

  it('mark the campaign remediating only after sign-off, and remediated only while remediating', async () => {
    const { campaignId } = await signedOffCampaign(t.db, { users: 1, revoke: () => true });
    await markCampaignRemediated(t.db, campaignId, NOW);
    const state = async () =>
      t.db
        .selectFrom('review_campaigns')
        .select(['state', 'remediation_started_at', 'remediated_at'])
        .where('id', '=', campaignId)
        .executeTakeFirstOrThrow();
    expect((await state()).state).toBe('signed_off');
    expect(await markCampaignRemediating(t.db, campaignId, NOW)).toBe(true);
    expect(await markCampaignRemediating(t.db, campaignId, ms(NOW + 50))).toBe(true);
    await markCampaignRemediated(t.db, campaignId, ms(NOW + 100));
    expect(await state()).toMatchObject({
      state: 'remediated',
      remediation_started_at: NOW,
      remediated_at: NOW + 100,
    });
    await t.db
      .updateTable('review_campaigns')
      .set({ state: 'open' })
      .where('id', '=', campaignId)
      .execute();
    expect(await markCampaignRemediating(t.db, campaignId, NOW)).toBe(false);
  });
});
