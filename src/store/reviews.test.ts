/**
 * The review-campaign repository on SQLite and PostgreSQL: a campaign of thousands of items
 * written in batches with its reviewers, progress counted in SQL, item pages filtered, sorted
 * (missing values last either way) and paged with a total, decisions for many items at once
 * (each one kept), sign-off, and the evidence reads.
 */
import { expect, it } from 'vitest';
import { ConflictError } from '../domain/errors.js';
import { DAY_MS, ms } from '../domain/time.js';
import { newSource } from '../../test/support/activity-fixtures.js';
import { describeEachDatabase } from '../../test/support/db.js';
import { createIdentity } from './identities.js';
import {
  campaignProgress,
  countReviewItems,
  getReviewCampaign,
  insertCampaign,
  listReviewItemRows,
  recordDecisions,
  reviewerProgress,
  reviewEvidenceRows,
  signOffReviewCampaign,
  type NewReviewItem,
} from './reviews.js';

const NOW = Date.UTC(2026, 5, 1);
const ITEMS = 2_345;

function item(sourceId: string, i: number): NewReviewItem {
  return {
    sourceId,
    accountId: 10_000 + i,
    accountKind: 'user',
    duoUserId: `DU${String(i).padStart(18, '0')}`,
    username: `user${String(i).padStart(5, '0')}`,
    realname: i % 7 === 0 ? null : `Person ${String(i)}`,
    email: `user${String(i)}@example.com`,
    identityId: null,
    identityName: i === 42 ? 'Zed Fortytwo' : null,
    entitlement: { id: 7, kind: 'group', duoGroupId: 'DG-VPN', name: 'VPN' },
    accountStatus: i % 10 === 0 ? 'disabled' : 'active',
    lastActivityMs: i % 5 === 0 ? null : ms(NOW - (i % 200) * DAY_MS),
    lastSuccessMs: null,
    daysActive90: i % 91,
    suggestion: i % 2 === 0 ? 'revoke' : 'keep',
    reason: i % 2 === 0 ? 'no Duo activity for 120 days' : 'active',
  };
}

describeEachDatabase('review campaigns store', (t) => {
  async function campaign(count: number, reviewers: string[] | 'owner') {
    const { sourceId, ownerId } = await newSource(t.db, 'duo');
    const id = `c-${String(Math.random()).slice(2)}`;
    await insertCampaign(
      t.db,
      {
        id,
        name: 'VPN Q4',
        scope: { kind: 'entitlements', entitlementIds: [7] },
        reviewers:
          reviewers === 'owner'
            ? { kind: 'source_owner' }
            : { kind: 'identities', identityIds: reviewers },
        dueMs: ms(NOW + DAY_MS),
        createdBy: 'cli:test',
        createdByUserId: null,
        createdAt: ms(NOW),
        sources: [{ id: sourceId, name: 'Duo' }],
      },
      Array.from({ length: count }, (_, i) => item(sourceId, i)),
      reviewers === 'owner'
        ? { kind: 'source_owner' }
        : { kind: 'identities', identityIds: reviewers },
    );
    return { id, ownerId };
  }

  it('writes thousands of items in batches, each with its reviewers, and counts progress in SQL', async () => {
    const a = (await createIdentity(t.db, { displayName: 'Ann' })).id;
    const b = (await createIdentity(t.db, { displayName: 'Bob' })).id;
    const { id } = await campaign(ITEMS, [a, b]);
    const stored = await getReviewCampaign(t.db, id);
    expect(stored).toMatchObject({ state: 'open', remediationMode: null, name: 'VPN Q4' });
    expect((await campaignProgress(t.db, [id])).get(id)).toEqual({
      decided: 0,
      total: ITEMS,
      keep: 0,
      revoke: 0,
    });
    const reviewers = await reviewerProgress(t.db, id);
    expect(reviewers.map((r) => [r.identityName, r.total])).toEqual([
      ['Ann', ITEMS],
      ['Bob', ITEMS],
    ]);
    const owned = await campaign(3, 'owner');
    const page = await listReviewItemRows(t.db, {
      campaignId: owned.id,
      selection: { nowMs: NOW },
      sort: 'username',
      order: 'asc',
      limit: 10,
      offset: 0,
    });
    expect(page.items.map((i) => i.reviewerIds)).toEqual([
      [owned.ownerId],
      [owned.ownerId],
      [owned.ownerId],
    ]);
  });

  it('filters, sorts with missing values last in either order, and pages with a total', async () => {
    const { id } = await campaign(300, []);
    const page = (offset: number, order: 'asc' | 'desc', extra = {}) =>
      listReviewItemRows(t.db, {
        campaignId: id,
        selection: { nowMs: NOW, ...extra },
        sort: 'lastActivity',
        order,
        limit: 100,
        offset,
      });
    for (const order of ['asc', 'desc'] as const) {
      const rows = [
        ...(await page(0, order)).items,
        ...(await page(100, order)).items,
        ...(await page(200, order)).items,
      ];
      expect(new Set(rows.map((r) => r.id)).size).toBe(300);
      const times = rows.map((r) => r.lastActivityMs);
      const known = times.filter((x) => x !== null);
      expect(times.slice(known.length).every((x) => x === null)).toBe(true);
      expect(known).toEqual([...known].sort((x, y) => (order === 'asc' ? x - y : y - x)));
    }
    const within30 = await page(0, 'asc', { activeWithinDays: 30 });
    expect(within30.total).toBe(
      Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 5 !== 0 && i % 200 <= 30).length,
    );
    const inactive = await page(0, 'asc', { inactiveForDays: 100 });
    expect(inactive.total).toBe(
      Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 5 === 0 || i % 200 >= 100).length,
    );
    expect((await page(0, 'asc', { q: 'FORTYTWO' })).items.map((i) => i.username)).toEqual([
      'user00042',
    ]);
    expect((await page(0, 'asc', { q: '100%' })).total).toBe(0);
    expect((await page(0, 'asc', { accountStatus: 'disabled', suggestion: 'revoke' })).total).toBe(
      30,
    );
  });

  it('records a decision for every selected item at once, keeps each change, and locks them at sign-off', async () => {
    const { id } = await campaign(ITEMS, []);
    const revokes = Math.ceil(ITEMS / 2);
    expect(await countReviewItems(t.db, id, { nowMs: NOW, suggestion: 'revoke' })).toEqual({
      total: revokes,
      suggestedRevoke: revokes,
    });
    const decided = await recordDecisions(t.db, {
      campaignId: id,
      groups: [
        { selection: { nowMs: NOW, suggestion: 'revoke' }, decision: 'revoke', comment: null },
      ],
      decidedBy: 'ann',
      decidedByUserId: null,
      at: NOW,
    });
    expect(decided).toBe(revokes);
    const first = await listReviewItemRows(t.db, {
      campaignId: id,
      selection: { nowMs: NOW, decision: 'revoke' },
      sort: 'username',
      order: 'asc',
      limit: 1,
      offset: 0,
    });
    const changed = first.items[0]?.id ?? -1;
    expect(
      await recordDecisions(t.db, {
        campaignId: id,
        groups: [
          { selection: { nowMs: NOW, itemIds: [changed] }, decision: 'keep', comment: 'needed' },
          { selection: { nowMs: NOW, decision: 'undecided' }, decision: 'keep', comment: null },
        ],
        decidedBy: 'bob',
        decidedByUserId: null,
        at: NOW + 1000,
      }),
    ).toBe(1 + ITEMS - revokes);
    expect((await campaignProgress(t.db, [id])).get(id)).toEqual({
      decided: ITEMS,
      total: ITEMS,
      keep: ITEMS - revokes + 1,
      revoke: revokes - 1,
    });
    const { items, decisions } = await reviewEvidenceRows(t.db, id);
    expect(items).toHaveLength(ITEMS);
    expect(decisions.get(changed)?.map((d) => [d.decision, d.decidedBy, d.comment])).toEqual([
      ['revoke', 'ann', null],
      ['keep', 'bob', 'needed'],
    ]);
    expect(items.find((i) => i.id === changed)).toMatchObject({
      decision: 'keep',
      comment: 'needed',
      decidedBy: 'bob',
      decidedAt: NOW + 1000,
    });
    const signOff = {
      campaignId: id,
      by: 'cli:test',
      byUserId: null,
      at: NOW,
      mode: 'duo' as const,
    };
    expect(await signOffReviewCampaign(t.db, signOff)).toEqual({ undecided: 0 });
    expect(await getReviewCampaign(t.db, id)).toMatchObject({
      state: 'signed_off',
      remediationMode: 'duo',
      signedOffBy: 'cli:test',
    });
    await expect(
      recordDecisions(t.db, {
        campaignId: id,
        groups: [{ selection: { nowMs: NOW }, decision: 'revoke', comment: null }],
        decidedBy: 'ann',
        decidedByUserId: null,
        at: NOW,
      }),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(signOffReviewCampaign(t.db, signOff)).rejects.toBeInstanceOf(ConflictError);
  });

  it('does not sign off while items are undecided, and says how many', async () => {
    const { id } = await campaign(5, []);
    expect(
      await signOffReviewCampaign(t.db, {
        campaignId: id,
        by: 'x',
        byUserId: null,
        at: NOW,
        mode: 'manual',
      }),
    ).toEqual({ undecided: 5 });
    expect((await getReviewCampaign(t.db, id)).state).toBe('open');
  });
});
