/**
 * Access-review campaigns over HTTP, on accounts and groups a real aggregation of the simulator
 * gave: who may do what (admin, the source's manager, another source's manager, a viewer who
 * reviews, a viewer who does not, a reviewer facing their own access), creation of each scope
 * and reviewer kind with the access review's figures, decisions one by one and in bulk, the
 * comment rule, sign-off, and the evidence as JSON and CSV.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../domain/time.js';
import { randomCredential, startSimulator, type Simulator } from '../../sim/server.js';
import {
  createIdentityVia,
  createSourceVia,
  errorOf,
  startTestApi,
  waitForRun,
  type Client,
  type TestApi,
} from '../../../test/support/api.js';

/** The value, or a failed test when there is none. */
function must<T>(value: T | undefined | null): T {
  if (value === undefined || value === null) throw new Error('expected a value');
  return value;
}

interface CampaignBody {
  id: string;
  state: string;
  progress: { decided: number; total: number; keep: number; revoke: number };
  mine: { decided: number; total: number } | null;
  byReviewer: { identityId: string; decided: number; total: number }[];
  remediation: { mode: string | null };
  can: { decide: boolean; signOff: boolean; remediate: boolean };
}
interface ItemBody {
  id: number;
  username: string;
  identityId: string | null;
  accountStatus: string;
  lastActivityMs: number | null;
  daysActive90: number;
  suggestion: 'keep' | 'revoke';
  reason: string;
  decision: string | null;
  reviewerIds: string[];
  entitlement: { id: number; name: string } | null;
}
interface ItemsBody {
  items: ItemBody[];
  total: number;
  next: string | null;
}

describe('access-review campaigns over HTTP', () => {
  let api: TestApi;
  let sim: Simulator;
  const credential = randomCredential();
  let admin: Client;
  let manager: Client;
  let otherManager: Client;
  let reviewer: Client;
  let viewer: Client;
  let self: Client;
  let sourceId: string;
  let otherSourceId: string;
  let managerIdentity: string;
  let reviewerIdentity: string;
  let selfIdentity: string;
  let users: { id: number; identityId: string | null; username: string }[];

  beforeAll(async () => {
    sim = await startSimulator({
      credentials: [credential],
      users: 40,
      days: 3,
      authEventsPerDay: 800,
      seed: 'review-tests',
    });
    api = await startTestApi();
    await api.createUser('admin', 'admin');
    admin = await api.signIn('admin');
    managerIdentity = await createIdentityVia(admin, 'Mona Manager');
    const otherIdentity = await createIdentityVia(admin, 'Otto Other');
    reviewerIdentity = await createIdentityVia(admin, 'Rita Reviewer');
    sourceId = (await createSourceVia(admin, 'duo', 'Duo HQ', managerIdentity)).id;
    otherSourceId = (await createSourceVia(admin, 'duo', 'Duo Branch', otherIdentity)).id;
    await admin.put(`/api/v1/sources/${sourceId}/configuration`, {
      apiHost: sim.url,
      integrationKey: credential.ikey,
      secretKey: credential.skey,
    });
    expect((await admin.post(`/api/v1/sources/${sourceId}/test-connection`)).body).toMatchObject({
      ok: true,
    });
    const run = await admin.post(`/api/v1/sources/${sourceId}/aggregate`);
    await waitForRun(admin, (run.body as { runId: string }).runId);
    users = (
      (await admin.get(`/api/v1/sources/${sourceId}/accounts?kind=user&limit=1000`)).body as {
        accounts: { id: number; identityId: string | null; username: string }[];
      }
    ).accounts;
    expect(users.length).toBeGreaterThan(10);
    selfIdentity = users.find((u) => u.identityId !== null)?.identityId ?? '';
    expect(selfIdentity).not.toBe('');
    await api.createUser('mona', 'source_manager', managerIdentity);
    await api.createUser('otto', 'source_manager', otherIdentity);
    await api.createUser('rita', 'viewer', reviewerIdentity);
    await api.createUser('vic', 'viewer', null);
    await api.createUser('selma', 'viewer', selfIdentity);
    manager = await api.signIn('mona');
    otherManager = await api.signIn('otto');
    reviewer = await api.signIn('rita');
    viewer = await api.signIn('vic');
    self = await api.signIn('selma');
  }, 120_000);

  afterAll(async () => {
    await api.close();
    await sim.close();
  });

  const due = () => Date.now() + 30 * DAY_MS;
  const accountsCampaign = (name: string) => ({
    name,
    scope: { kind: 'accounts', sourceIds: [sourceId] },
    reviewers: { kind: 'identities', identityIds: [reviewerIdentity, selfIdentity] },
    dueMs: due(),
  });

  async function items(client: Client, id: string, query = ''): Promise<ItemsBody> {
    const res = await client.get(`/api/v1/reviews/${id}/items?limit=1000${query}`);
    expect(res.status).toBe(200);
    return res.body as ItemsBody;
  }

  describe('the roles', () => {
    let campaignId: string;

    it('lets an admin and the source manager create a campaign; not another manager or a viewer', async () => {
      const byAdmin = await admin.post('/api/v1/reviews', accountsCampaign('Q4 all users'));
      expect(byAdmin.status).toBe(201);
      campaignId = (byAdmin.body as CampaignBody).id;
      expect((byAdmin.body as CampaignBody).progress.total).toBe(users.length);
      expect((await manager.post('/api/v1/reviews', accountsCampaign('by Mona'))).status).toBe(201);
      for (const client of [otherManager, reviewer, viewer]) {
        const res = await client.post('/api/v1/reviews', accountsCampaign('refused'));
        expect(res.status).toBe(403);
        expect(errorOf(res.body).code).toBe('forbidden');
      }
    });

    it('lists and shows the campaign to those who run or review it; 404 and empty lists to the others', async () => {
      for (const client of [admin, manager, reviewer, self]) {
        const list = (await client.get('/api/v1/reviews')).body as { campaigns: CampaignBody[] };
        expect(list.campaigns.map((c) => c.id)).toContain(campaignId);
        expect((await client.get(`/api/v1/reviews/${campaignId}`)).status).toBe(200);
        expect((await items(client, campaignId)).total).toBe(users.length);
      }
      for (const client of [otherManager, viewer]) {
        const list = (await client.get('/api/v1/reviews')).body as { campaigns: CampaignBody[] };
        expect(list.campaigns).toEqual([]);
        const shown = await client.get(`/api/v1/reviews/${campaignId}`);
        expect(shown.status).toBe(404);
        expect((await client.get(`/api/v1/reviews/${campaignId}/items`)).status).toBe(404);
        expect((await client.get(`/api/v1/reviews/${campaignId}/evidence`)).status).toBe(404);
      }
      const mine = (await reviewer.get('/api/v1/reviews?mine=true')).body as {
        campaigns: CampaignBody[];
      };
      expect(mine.campaigns.every((c) => c.mine !== null)).toBe(true);
      expect(
        ((await manager.get('/api/v1/reviews?mine=true')).body as { campaigns: unknown[] })
          .campaigns,
      ).toEqual([]);
      const shown = (await reviewer.get(`/api/v1/reviews/${campaignId}`)).body as CampaignBody;
      expect(shown.mine?.total).toBe(users.length);
      expect(shown.can).toEqual({ decide: true, signOff: false, remediate: false });
      const managed = (await manager.get(`/api/v1/reviews/${campaignId}`)).body as CampaignBody;
      expect(managed.mine).toBeNull();
      expect(managed.can.decide).toBe(false);
    });

    it('lets reviewers and admins decide; not the source manager who reviews nothing; never their own access', async () => {
      const list = await items(admin, campaignId);
      expect(list.total).toBe(users.length);
      const others = list.items.filter((i) => i.identityId !== selfIdentity);
      const own = must(list.items.find((i) => i.identityId === selfIdentity));
      const first = must(others[0]);
      const second = must(others[1]);
      const decide = (client: Client, item: ItemBody, decision = 'revoke', comment = 'ok') =>
        client.post(`/api/v1/reviews/${campaignId}/decisions`, {
          items: [{ itemId: item.id, decision, comment }],
        });
      expect((await decide(admin, first)).status).toBe(200);
      expect((await decide(reviewer, second)).status).toBe(200);
      const byManager = await decide(manager, second);
      expect(byManager.status).toBe(403);
      expect((await decide(otherManager, second)).status).toBe(404);
      expect((await decide(viewer, second)).status).toBe(404);
      const selfReview = await decide(self, own);
      expect(selfReview.status).toBe(403);
      expect(errorOf(selfReview.body).message).toMatch(/self-review/);
      // The same reviewer may decide the items that are not theirs.
      expect((await decide(self, second, 'keep', 'still needed')).status).toBe(200);
      // A bulk selection by that reviewer leaves their own item out.
      const bulk = await self.post(`/api/v1/reviews/${campaignId}/decisions`, {
        select: {},
        decision: 'revoke',
      });
      expect(bulk.status).toBe(200);
      expect((bulk.body as { decided: number }).decided).toBe(users.length - 1);
      const after = await items(admin, campaignId);
      expect(after.items.find((i) => i.id === own.id)?.decision).toBeNull();
    });

    it('lets only those who run it sign off, and not while an item is undecided', async () => {
      for (const client of [reviewer, self]) {
        const res = await client.post(`/api/v1/reviews/${campaignId}/sign-off`);
        expect(res.status).toBe(403);
      }
      for (const client of [otherManager, viewer])
        expect((await client.post(`/api/v1/reviews/${campaignId}/sign-off`)).status).toBe(404);
      const early = await admin.post(`/api/v1/reviews/${campaignId}/sign-off`);
      expect(early.status).toBe(409);
      expect(errorOf(early.body).message).toMatch(/^1 item is undecided/);
      const undecided = (await items(admin, campaignId, '&decision=undecided')).items;
      expect(undecided).toHaveLength(1);
      const own = must(undecided[0]);
      expect(
        (
          await reviewer.post(`/api/v1/reviews/${campaignId}/decisions`, {
            items: [{ itemId: own.id, decision: 'revoke' }],
          })
        ).status,
      ).toBe(200);
      const signed = await manager.post(`/api/v1/reviews/${campaignId}/sign-off`);
      expect(signed.status).toBe(200);
      expect((signed.body as CampaignBody).state).toBe('signed_off');
      // Test Connection found the simulator's credential may write (Grant write resource): Duo revokes.
      expect((signed.body as CampaignBody).remediation.mode).toBe('duo');
      expect((signed.body as CampaignBody).can.remediate).toBe(true);
      const late = await admin.post(`/api/v1/reviews/${campaignId}/decisions`, {
        items: [{ itemId: own.id, decision: 'keep', comment: 'too late' }],
      });
      expect(late.status).toBe(409);
      expect(errorOf(late.body).message).toMatch(/signed off/);
      expect((await admin.post(`/api/v1/reviews/${campaignId}/sign-off`)).status).toBe(409);
    });

    it('gives the evidence to those who run the campaign, as JSON and CSV; not to reviewers', async () => {
      for (const client of [admin, manager]) {
        const json = await client.get(`/api/v1/reviews/${campaignId}/evidence`);
        expect(json.status).toBe(200);
        expect(json.headers['content-disposition']).toBe(
          'attachment; filename="review-evidence-Q4_all_users.json"',
        );
        const evidence = json.body as { items: { history: { decidedBy: string }[] }[] };
        expect(evidence.items).toHaveLength(users.length);
        const csv = await client.get(`/api/v1/reviews/${campaignId}/evidence?format=csv`);
        expect(csv.status).toBe(200);
        expect(csv.headers['content-disposition']).toBe(
          'attachment; filename="review-evidence-Q4_all_users.csv"',
        );
        expect(csv.text.split('\r\n').slice(1, -1)).toHaveLength(users.length);
      }
      expect((await reviewer.get(`/api/v1/reviews/${campaignId}/evidence`)).status).toBe(403);
      const csv = (await admin.get(`/api/v1/reviews/${campaignId}/evidence?format=csv`)).text;
      const header = csv.split('\r\n')[0] ?? '';
      expect(header.split(',').slice(0, 4)).toEqual(['campaign', 'source', 'username', 'realname']);
      // The second item was revoked by rita, kept by selma, revoked again by selma's bulk
      // decision: the evidence keeps all three, in order, and the CSV counts and lists them.
      const evidence = (await admin.get(`/api/v1/reviews/${campaignId}/evidence`)).body as {
        items: {
          username: string;
          decision: string;
          history: { decision: string; decidedBy: string; comment: string | null }[];
        }[];
      };
      const changed = must(evidence.items.find((i) => i.history.length === 3));
      expect(changed.history.map((h) => [h.decision, h.decidedBy, h.comment])).toEqual([
        ['revoke', 'rita', 'ok'],
        ['keep', 'selma', 'still needed'],
        ['revoke', 'selma', null],
      ]);
      expect(changed.decision).toBe('revoke');
      const line = must(csv.split('\r\n').find((l) => l.includes(`,${changed.username},`)));
      expect(line).toContain(',3,');
      expect(line).toMatch(
        /rita: revoke \(ok\); .* selma: keep \(still needed\); .* selma: revoke/,
      );
    });
  });

  describe('a campaign over two sources, each reviewed by its owner', () => {
    let id: string;
    beforeAll(async () => {
      await admin.put(`/api/v1/sources/${otherSourceId}/configuration`, {
        apiHost: sim.url,
        integrationKey: credential.ikey,
        secretKey: credential.skey,
      });
      await admin.post(`/api/v1/sources/${otherSourceId}/test-connection`);
      const run = await admin.post(`/api/v1/sources/${otherSourceId}/aggregate`);
      await waitForRun(admin, (run.body as { runId: string }).runId);
      const created = await admin.post('/api/v1/reviews', {
        name: 'Both sources',
        scope: { kind: 'accounts', sourceIds: [sourceId, otherSourceId] },
        reviewers: { kind: 'source_owner' },
        dueMs: due(),
      });
      expect(created.status).toBe(201);
      id = (created.body as CampaignBody).id;
    }, 60_000);

    it('shows a manager of one of the sources their own items only, and lets them decide those alone', async () => {
      const all = await items(admin, id);
      expect(all.total).toBe(2 * users.length);
      const own = await items(otherManager, id);
      expect(own.total).toBe(users.length);
      const theirs = all.items.filter((i) => !own.items.some((o) => o.id === i.id));
      expect(
        own.items.every((i) => i.reviewerIds.length === 1 && i.reviewerIds[0] !== managerIdentity),
      ).toBe(true);
      const mine = must(own.items[0]);
      const decided = await otherManager.post(`/api/v1/reviews/${id}/decisions`, {
        items: [{ itemId: mine.id, decision: 'revoke' }],
      });
      expect(decided.status).toBe(200);
      const refused = await otherManager.post(`/api/v1/reviews/${id}/decisions`, {
        items: [{ itemId: must(theirs[0]).id, decision: 'revoke' }],
      });
      expect(refused.status).toBe(403);
      expect(errorOf(refused.body).message).toMatch(/not a reviewer/);
      // Managing one of the two sources is not enough to sign off or read the evidence.
      expect((await otherManager.post(`/api/v1/reviews/${id}/sign-off`)).status).toBe(403);
      expect((await otherManager.get(`/api/v1/reviews/${id}/evidence`)).status).toBe(403);
      expect((await manager.post(`/api/v1/reviews/${id}/sign-off`)).status).toBe(403);
      const shown = (await otherManager.get(`/api/v1/reviews/${id}`)).body as CampaignBody;
      expect(shown.mine).toMatchObject({ decided: 1, total: users.length });
      expect(shown.byReviewer.map((r) => r.total)).toEqual([users.length, users.length]);
    });
  });

  describe('creating campaigns', () => {
    it('makes one item per member of a Duo group, with the figures the access review gives, reviewed by the source owner', async () => {
      const groups = (await admin.get(`/api/v1/sources/${sourceId}/entitlements`)).body as {
        entitlements: { id: number; name: string; kind: string }[];
      };
      const group = must(groups.entitlements.find((g) => g.kind === 'group'));
      const report = (await admin.get(`/api/v1/reports/access-review?entitlementId=${group.id}`))
        .body as {
        members: {
          username: string;
          status: string;
          lastActivityMs: number | null;
          daysActive90: number;
          suggestion: string;
          reason: string;
        }[];
      };
      const created = await manager.post('/api/v1/reviews', {
        name: 'Group review',
        scope: { kind: 'entitlements', entitlementIds: [group.id] },
        reviewers: { kind: 'source_owner' },
        dueMs: due(),
      });
      expect(created.status).toBe(201);
      const id = (created.body as CampaignBody).id;
      const list = await items(admin, id, '&sort=username');
      expect(
        list.items.map((i) => [
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
      expect(list.items.every((i) => i.entitlement?.id === group.id)).toBe(true);
      expect(list.items.every((i) => i.reviewerIds.join() === managerIdentity)).toBe(true);
      // The source owner is the reviewer: now the manager may decide.
      const shown = (await manager.get(`/api/v1/reviews/${id}`)).body as CampaignBody;
      expect(shown.mine?.total).toBe(list.total);
      expect(shown.byReviewer.map((r) => r.identityId)).toEqual([managerIdentity]);
    });

    it('takes a governance group’s members as reviewers', async () => {
      const group = await admin.post('/api/v1/governance-groups', { name: 'Reviewers' });
      const groupId = (group.body as { id: string }).id;
      await admin.post(`/api/v1/governance-groups/${groupId}/members`, {
        identityId: reviewerIdentity,
      });
      const created = await admin.post('/api/v1/reviews', {
        ...accountsCampaign('By group'),
        reviewers: { kind: 'governance_group', governanceGroupId: groupId },
      });
      expect(created.status).toBe(201);
      const body = created.body as CampaignBody;
      expect(body.byReviewer).toEqual([
        expect.objectContaining({ identityId: reviewerIdentity, total: users.length }),
      ]);
    });

    it('refuses a past due date, an unknown reviewer, a source that is not a Duo source and an empty scope, naming the field', async () => {
      const past = await admin.post('/api/v1/reviews', {
        ...accountsCampaign('past'),
        dueMs: Date.now() - 1000,
      });
      expect(past.status).toBe(400);
      expect(errorOf(past.body).details?.[0]?.field).toBe('dueMs');
      const nobody = await admin.post('/api/v1/reviews', {
        ...accountsCampaign('nobody'),
        reviewers: { kind: 'identities', identityIds: ['no-such-identity'] },
      });
      expect(nobody.status).toBe(400);
      expect(errorOf(nobody.body).details?.[0]?.field).toBe('reviewers.identityIds.0');
      const emptySource = await createSourceVia(admin, 'duo', 'Duo Empty', managerIdentity);
      const empty = await admin.post('/api/v1/reviews', {
        ...accountsCampaign('empty'),
        scope: { kind: 'accounts', sourceIds: [emptySource.id] },
      });
      expect(empty.status).toBe(400);
      expect(errorOf(empty.body).details?.[0]?.field).toBe('scope');
      const logs = await createSourceVia(admin, 'duo-activity', 'Duo Logs', managerIdentity);
      const notDuo = await admin.post('/api/v1/reviews', {
        ...accountsCampaign('logs'),
        scope: { kind: 'accounts', sourceIds: [sourceId, logs.id] },
      });
      expect(notDuo.status).toBe(400);
      expect(errorOf(notDuo.body).details?.[0]).toMatchObject({
        field: 'scope.sourceIds.1',
        message: expect.stringContaining('type duo') as unknown,
      });
      const bad = await admin.post('/api/v1/reviews', { name: '', scope: {}, dueMs: 'soon' });
      expect(bad.status).toBe(400);
      expect(errorOf(bad.body).code).toBe('validation_failed');
    });
  });

  describe('deciding', () => {
    let id: string;
    beforeAll(async () => {
      const created = await admin.post('/api/v1/reviews', accountsCampaign('Deciding'));
      id = (created.body as CampaignBody).id;
    });

    it('refuses a bulk keep over revoke-suggested items without a comment, naming how many', async () => {
      const all = await items(admin, id);
      const revokes = all.items.filter((i) => i.suggestion === 'revoke').length;
      expect(revokes).toBeGreaterThan(0);
      const res = await admin.post(`/api/v1/reviews/${id}/decisions`, {
        select: {},
        decision: 'keep',
      });
      expect(res.status).toBe(400);
      expect(errorOf(res.body).message).toContain(`${String(revokes)} of the selected items`);
      const one = must(all.items.find((i) => i.suggestion === 'revoke'));
      const single = await admin.post(`/api/v1/reviews/${id}/decisions`, {
        items: [{ itemId: one.id, decision: 'keep' }],
      });
      expect(single.status).toBe(400);
      expect(errorOf(single.body).details?.[0]?.field).toBe('items.0.comment');
    });

    it('revokes every suggested revoke, then keeps everyone active in the last 30 days', async () => {
      const all = await items(admin, id);
      const revokes = all.items.filter((i) => i.suggestion === 'revoke');
      const res = await admin.post(`/api/v1/reviews/${id}/decisions`, {
        select: { suggestion: 'revoke' },
        decision: 'revoke',
      });
      expect((res.body as { decided: number }).decided).toBe(revokes.length);
      const active = all.items.filter(
        (i) => i.lastActivityMs !== null && i.lastActivityMs >= Date.now() - 30 * DAY_MS,
      );
      const kept = await admin.post(`/api/v1/reviews/${id}/decisions`, {
        select: { activeWithinDays: 30, suggestion: 'keep' },
        decision: 'keep',
      });
      expect(kept.status).toBe(200);
      expect((kept.body as { decided: number }).decided).toBe(
        active.filter((i) => i.suggestion === 'keep').length,
      );
      const campaign = (kept.body as { campaign: CampaignBody }).campaign;
      expect(campaign.progress.revoke).toBe(revokes.length);
      expect(campaign.progress.decided).toBe(campaign.progress.keep + campaign.progress.revoke);
      const undecided = await items(admin, id, '&decision=undecided');
      expect(undecided.total).toBe(campaign.progress.total - campaign.progress.decided);
      const csv = await admin.get(`/api/v1/reviews/${id}/items?format=csv&decision=revoke`);
      expect(csv.status).toBe(200);
      expect(csv.text.split('\r\n').slice(1, -1)).toHaveLength(revokes.length);
    });

    it('pages through the items with a cursor, sorted', async () => {
      const first = (
        await admin.get(`/api/v1/reviews/${id}/items?limit=7&sort=username&order=desc`)
      ).body as ItemsBody;
      expect(first.items).toHaveLength(7);
      expect(first.next).not.toBeNull();
      const second = (
        await admin.get(
          `/api/v1/reviews/${id}/items?limit=7&sort=username&order=desc&cursor=${first.next ?? ''}`,
        )
      ).body as ItemsBody;
      const names = [...first.items, ...second.items].map((i) => i.username);
      expect(names).toEqual([...names].sort().reverse());
      expect(new Set(names).size).toBe(14);
      const bad = await admin.get(`/api/v1/reviews/${id}/items?limit=5000`);
      expect(bad.status).toBe(400);
      expect(errorOf(bad.body).details?.[0]?.field).toBe('limit');
    });
  });
});
