/**
 * Review campaigns as use cases, on SQLite and PostgreSQL: creation from a Duo group and from
 * the accounts of two sources (every item fixed with the access review's figures, last success
 * included), progress per reviewer, decisions that change until sign-off, sign-off refused while
 * items are undecided and decisions refused after it, and evidence that stays the same when the
 * accounts are later renamed or deleted.
 */
import { beforeAll, expect, it } from 'vitest';
import type { AccountSnapshot } from '../domain/accounts.js';
import { ConflictError, ForbiddenError } from '../domain/errors.js';
import type { User } from '../domain/users.js';
import { DAY_MS, ms } from '../domain/time.js';
import {
  findAccountByDuoUserId,
  markMissingAccountsDeleted,
  setAccountIdentity,
  upsertAccounts,
} from '../store/accounts.js';
import { listEntitlements } from '../store/entitlements.js';
import { createIdentity } from '../store/identities.js';
import { inlineReaders } from '../store/readers.js';
import { createUserFromInput } from '../sync/users.js';
import { InputError } from '../sync/sources.js';
import { newSource } from '../../test/support/activity-fixtures.js';
import { describeEachDatabase } from '../../test/support/db.js';
import { cliActor, type Actor } from './actor.js';
import { accessReviewReport } from './reports.js';
import {
  campaignEvidence,
  createCampaign,
  decideReviewItems,
  getCampaign,
  listReviewItems,
  signOffCampaign,
  type ReviewDeps,
} from './reviews.js';

const NOW = Date.UTC(2026, 5, 1, 12);
const CLI = cliActor('tester');

function account(prefix: string, i: number): AccountSnapshot {
  return {
    duoUserId: `DU${prefix}${String(i).padStart(16, '0')}`,
    username: `${prefix}user${String(i).padStart(4, '0')}`,
    realname: `User ${String(i)}`,
    email: `${prefix}${String(i)}@example.com`,
    status: i % 10 === 5 ? 'disabled' : 'active',
    lastLoginMs: i % 4 === 0 ? null : ms(NOW - (i % 120) * DAY_MS),
    groups: [
      { duoGroupId: `DG-${prefix}-all`, name: `${prefix} everyone` },
      ...(i % 3 === 0 ? [{ duoGroupId: `DG-${prefix}-vpn`, name: `${prefix} VPN` }] : []),
    ],
  };
}

function userActor(user: User): Actor {
  return { kind: 'user', user, via: 'session', ip: null };
}

describeEachDatabase('review campaigns', (t) => {
  let deps: ReviewDeps;
  let first: { sourceId: string; ownerId: string };
  let second: { sourceId: string; ownerId: string };
  let vpnId: number;
  let reviewerA: Actor;
  let reviewerB: Actor;
  let identityA: string;
  let identityB: string;
  const FIRST = 600;
  const SECOND = 40;

  beforeAll(async () => {
    deps = { db: t.db, readers: inlineReaders(t.db), clock: () => NOW };
    first = await newSource(t.db, 'duo');
    second = await newSource(t.db, 'duo');
    await upsertAccounts(t.db, {
      sourceId: first.sourceId,
      runId: 'r1',
      now: ms(NOW - DAY_MS),
      accounts: Array.from({ length: FIRST }, (_, i) => account('a', i)),
    });
    await upsertAccounts(t.db, {
      sourceId: second.sourceId,
      runId: 'r1',
      now: ms(NOW - DAY_MS),
      accounts: Array.from({ length: SECOND }, (_, i) => account('b', i)),
    });
    const groups = await listEntitlements(t.db, { sourceId: first.sourceId });
    vpnId = groups.find((g) => g.name === 'a VPN')?.id ?? -1;
    identityA = (await createIdentity(t.db, { displayName: 'Ann Reviewer' })).id;
    identityB = (await createIdentity(t.db, { displayName: 'Bob Reviewer' })).id;
    reviewerA = userActor(
      await createUserFromInput(t.db, {
        username: `ann-${t.kind}`,
        password: 'correct horse battery staple',
        role: 'viewer',
        identityId: identityA,
      }),
    );
    reviewerB = userActor(
      await createUserFromInput(t.db, {
        username: `bob-${t.kind}`,
        password: 'correct horse battery staple',
        role: 'viewer',
        identityId: identityB,
      }),
    );
    // A last successful authentication for one member of the VPN group.
    const member = await findAccountByDuoUserId(t.db, first.sourceId, account('a', 3).duoUserId);
    if (!member) throw new Error('no auser0003');
    const key = await t.db
      .insertInto('strings')
      .values({ value: member.duoUserId })
      .returning('id')
      .executeTakeFirstOrThrow();
    await t.db
      .insertInto('activity_last')
      .values({
        source_id: first.sourceId,
        user_key: key.id,
        last_ms: NOW - 2 * DAY_MS,
        last_success_ms: NOW - 3 * DAY_MS,
      })
      .execute();
  }, 120_000);

  it('makes one item per member of a Duo group with the access review’s figures and last success', async () => {
    const campaign = await createCampaign(deps, CLI, {
      name: 'VPN',
      scope: { kind: 'entitlements', entitlementIds: [vpnId] },
      reviewers: { kind: 'identities', identityIds: [identityA] },
      dueMs: NOW + 30 * DAY_MS,
    });
    const report = await accessReviewReport(deps, CLI, { entitlementId: vpnId });
    expect(campaign.progress).toEqual({
      decided: 0,
      total: report.members.length,
      keep: 0,
      revoke: 0,
    });
    const page = await listReviewItems(deps, CLI, campaign.id, { limit: 1000 });
    expect(page.total).toBe(FIRST / 3);
    expect(
      page.items.map((i) => [
        i.username,
        i.accountStatus,
        i.lastActivityMs,
        i.daysActive90,
        i.suggestion,
        i.reason,
      ]),
    ).toEqual(
      report.members.map((m) => [
        m.username,
        m.status,
        m.lastActivityMs,
        m.daysActive90,
        m.suggestion,
        m.reason,
      ]),
    );
    const withSuccess = page.items.find((i) => i.username === 'auser0003');
    expect(withSuccess?.lastSuccessMs).toBe(NOW - 3 * DAY_MS);
    expect(withSuccess?.lastActivityMs).toBe(NOW - 2 * DAY_MS);
    expect(page.items.every((i) => i.entitlement?.name === 'a VPN')).toBe(true);
  });

  it('reviews every account of two sources, each by its source owner, with progress per reviewer', async () => {
    const campaign = await createCampaign(deps, CLI, {
      name: 'All accounts',
      scope: { kind: 'accounts', sourceIds: [first.sourceId, second.sourceId] },
      reviewers: { kind: 'source_owner' },
      dueMs: NOW + 30 * DAY_MS,
    });
    expect(campaign.progress.total).toBe(FIRST + SECOND);
    expect(campaign.sources.map((s) => s.id).sort()).toEqual(
      [first.sourceId, second.sourceId].sort(),
    );
    const byOwner = (await listReviewItems(deps, CLI, campaign.id, { q: 'buser', limit: 1000 }))
      .items;
    expect(byOwner).toHaveLength(SECOND);
    expect(
      byOwner.every((i) => i.reviewerIds.join() === second.ownerId && i.entitlement === null),
    ).toBe(true);
    await decideReviewItems(deps, CLI, campaign.id, {
      items: byOwner.slice(0, 5).map((i) => ({ itemId: i.id, decision: 'revoke' as const })),
    });
    const shown = await getCampaign(deps, CLI, campaign.id);
    const progress = new Map(shown.byReviewer.map((r) => [r.identityId, r]));
    expect(progress.get(second.ownerId)).toMatchObject({ decided: 5, total: SECOND, revoke: 5 });
    expect(progress.get(first.ownerId)).toMatchObject({ decided: 0, total: FIRST });
  });

  it('keeps every decision until sign-off, refuses sign-off while undecided and any decision after it; the evidence survives account changes', async () => {
    const campaign = await createCampaign(deps, CLI, {
      name: 'Second source',
      scope: { kind: 'accounts', sourceIds: [second.sourceId] },
      reviewers: { kind: 'identities', identityIds: [identityA, identityB] },
      dueMs: NOW + DAY_MS,
    });
    const items = (await listReviewItems(deps, reviewerA, campaign.id, { limit: 1000 })).items;
    const target = items.find((i) => i.suggestion === 'revoke');
    if (!target) throw new Error('no revoke suggestion');
    await expect(
      decideReviewItems(deps, reviewerA, campaign.id, {
        items: [{ itemId: target.id, decision: 'keep' }],
      }),
    ).rejects.toBeInstanceOf(InputError);
    await decideReviewItems(deps, reviewerA, campaign.id, {
      items: [{ itemId: target.id, decision: 'keep', comment: 'on leave' }],
    });
    await decideReviewItems(deps, reviewerB, campaign.id, {
      items: [{ itemId: target.id, decision: 'revoke', comment: 'left the company' }],
    });
    const mine = await getCampaign(deps, reviewerB, campaign.id);
    expect(mine.mine).toMatchObject({ decided: 1, total: SECOND, revoke: 1 });
    await expect(signOffCampaign(deps, CLI, campaign.id)).rejects.toThrow(
      `${String(SECOND - 1)} items are undecided`,
    );
    // A viewer who reviews may not sign off.
    await expect(signOffCampaign(deps, reviewerA, campaign.id)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    const bulk = await decideReviewItems(deps, reviewerA, campaign.id, {
      select: { decision: 'undecided' },
      decision: 'revoke',
    });
    expect(bulk.decided).toBe(SECOND - 1);
    const signed = await signOffCampaign(deps, CLI, campaign.id);
    expect(signed).toMatchObject({ state: 'signed_off', signedOffBy: 'cli:tester' });
    expect(signed.remediation.mode).toBe('manual');
    await expect(
      decideReviewItems(deps, reviewerA, campaign.id, {
        items: [{ itemId: target.id, decision: 'revoke' }],
      }),
    ).rejects.toBeInstanceOf(ConflictError);

    const before = await campaignEvidence(deps, CLI, campaign.id);
    const decided = before.items.find((i) => i.id === target.id);
    expect(decided?.history.map((h) => [h.decision, h.comment, h.decidedBy])).toEqual([
      ['keep', 'on leave', `ann-${t.kind}`],
      ['revoke', 'left the company', `bob-${t.kind}`],
    ]);
    expect(decided?.decision).toBe('revoke');

    // Later, one account is renamed and linked to an identity, another goes from Duo.
    const renamed = { ...account('b', 1), username: 'renamed', status: 'locked out' };
    await upsertAccounts(t.db, {
      sourceId: second.sourceId,
      runId: 'r2',
      now: ms(NOW),
      accounts: [renamed, ...Array.from({ length: SECOND - 3 }, (_, i) => account('b', i + 2))],
    });
    await markMissingAccountsDeleted(t.db, {
      sourceId: second.sourceId,
      runId: 'r2',
      maxDeleteShare: 1,
      now: ms(NOW),
    });
    const linked = await findAccountByDuoUserId(t.db, second.sourceId, renamed.duoUserId);
    if (!linked) throw new Error('no renamed account');
    await setAccountIdentity(t.db, linked.id, { identityId: identityA, correlation: 'manual' });
    const after = await campaignEvidence(deps, CLI, campaign.id);
    expect(after.items).toEqual(before.items);
    expect(after.items.map((i) => i.username)).toContain('buser0001');
  });
});
