/**
 * Remediation of access-review campaigns end to end: the HTTP API in-process on a SQLite file,
 * `duo` sources configured, tested and aggregated from the simulator over real HTTP, campaigns
 * created, decided and signed off through the review use cases, then
 * `POST /api/v1/reviews/:id/remediate`. What Duo holds is read back from the simulator (its
 * ground truth and its request log) and from the store after the re-aggregation.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../src/core/actor.js';
import { waitForRemediation } from '../../src/core/review-remediation.js';
import {
  createCampaign,
  decideReviewItems,
  getCampaign,
  listReviewItems,
  signOffCampaign,
  type ReviewItemView,
} from '../../src/core/reviews.js';
import type { Entitlement } from '../../src/domain/accounts.js';
import { listEntitlementMembers, listEntitlements } from '../../src/store/entitlements.js';
import { listSteps } from '../../src/store/review-steps.js';
import type { RequestLogEntry } from '../../src/sim/request-log.js';
import {
  randomCredential,
  startSimulator,
  type FaultInput,
  type Simulator,
} from '../../src/sim/server.js';
import { control } from '../../src/sim/testing.js';
import {
  createIdentityVia,
  createSourceVia,
  errorOf,
  startTestApi,
  waitForRun,
  type Client,
  type TestApi,
} from '../support/api.js';
import { eventually, startForbiddingProxy, type TestSimulator } from '../support/sync.js';

const writer = randomCredential();
const reader = randomCredential();
const DAY_MS = 86_400_000;

interface TruthUser {
  readonly user_id: string;
  readonly status: string;
  readonly group_ids: readonly string[];
}

describe('review remediation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'di-remediation-'));
  const secretKey = randomBytes(32).toString('base64');
  const databaseUrl = `sqlite:${join(dir, 'api.db')}`;
  let sim: Simulator;
  let api: TestApi;
  let admin: Client;
  let source: { id: string; name: string };

  async function signInAgain(): Promise<void> {
    admin = await api.signIn('admin');
  }

  async function connectSource(
    name: string,
    credential: { ikey: string; skey: string },
    apiHost = sim.url,
  ): Promise<{ id: string; name: string }> {
    const owner = await createIdentityVia(admin, `${name} Owner`);
    const created = await createSourceVia(admin, 'duo', name, owner);
    const configured = await admin.put(`/api/v1/sources/${created.id}/configuration`, {
      apiHost,
      integrationKey: credential.ikey,
      secretKey: credential.skey,
    });
    expect(configured.status, configured.text).toBe(200);
    const tested = await admin.post(`/api/v1/sources/${created.id}/test-connection`);
    expect(tested.body, tested.text).toMatchObject({ ok: true });
    await aggregate(created.id);
    return created;
  }

  async function aggregate(sourceId: string): Promise<void> {
    const started = await admin.post(`/api/v1/sources/${sourceId}/aggregate`, {});
    expect(started.status, started.text).toBe(202);
    const run = await waitForRun(admin, (started.body as { runId: string }).runId, 60_000);
    expect(run.status).toBe('succeeded');
  }

  /** The Duo groups of the source (the simulator's hold 60 to 75 of its 120 users each). */
  async function groupsOf(sourceId: string): Promise<Entitlement[]> {
    const groups = (await listEntitlements(api.app.db, { sourceId })).filter(
      (e) => e.kind === 'group',
    );
    if (groups.length < 3) throw new Error('the tenant has fewer than 3 Duo groups');
    return groups.sort((a, b) => a.duoGroupId.localeCompare(b.duoGroupId));
  }

  /** The group of this position (there are three or more). */
  async function group(sourceId: string, position: number): Promise<Entitlement> {
    const found = (await groupsOf(sourceId))[position];
    if (!found) throw new Error(`no group ${String(position)}`);
    return found;
  }

  async function truthUsers(): Promise<Map<string, TruthUser>> {
    const reply = await control<{ users: TruthUser[] }>(
      sim,
      'GET',
      '/_sim/truth/users?limit=100000',
    );
    return new Map(reply.users.map((u) => [u.user_id, u]));
  }

  async function writes(): Promise<RequestLogEntry[]> {
    const reply = await control<{ requests: RequestLogEntry[] }>(sim, 'GET', '/_sim/requests');
    return reply.requests.filter((r) => r.method === 'POST' || r.method === 'DELETE');
  }

  async function addFault(fault: FaultInput): Promise<void> {
    await control(sim, 'POST', '/_sim/faults', fault);
  }

  /**
   * A campaign over `scope`, every item decided (the first `revokes` items by id revoked, the
   * rest kept with a comment), signed off by the command line's admin.
   */
  async function signedOff(
    scope:
      | { kind: 'entitlements'; entitlementIds: number[] }
      | { kind: 'accounts'; sourceIds: string[] },
    revoke: (item: ReviewItemView, index: number) => boolean,
  ) {
    const actor = cliActor('tester');
    const campaign = await createCampaign(api.app, actor, {
      name: `campaign ${randomBytes(3).toString('hex')}`,
      scope,
      reviewers: { kind: 'source_owner' },
      dueMs: Date.now() + 7 * DAY_MS,
    });
    const { items } = await listReviewItems(api.app, actor, campaign.id, { limit: 1000 });
    const revoked = items.filter((item, i) => revoke(item, i));
    await decideReviewItems(api.app, actor, campaign.id, {
      items: items.map((item, i) => ({
        itemId: item.id,
        decision: revoke(item, i) ? ('revoke' as const) : ('keep' as const),
        comment: 'reviewed with the team lead',
      })),
    });
    const signed = await signOffCampaign(api.app, actor, campaign.id);
    return { campaign: signed, items, revoked };
  }

  async function remediate(campaignId: string, body?: unknown) {
    return admin.post(`/api/v1/reviews/${campaignId}/remediate`, body);
  }

  beforeAll(async () => {
    sim = await startSimulator({
      credentials: [
        writer,
        { ...reader, permissions: ['read_resource', 'read_log', 'read_info', 'admins'] },
      ],
      users: 120,
      days: 2,
      authEventsPerDay: 500,
      seed: 'review-remediation',
    });
    api = await startTestApi({}, { databaseUrl, secretKey });
    await api.createUser('admin', 'admin');
    await signInAgain();
    source = await connectSource('Duo accounts', writer);
  }, 120_000);

  afterAll(async () => {
    await api.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a dry run lists the changes and sends nothing; remediation removes each membership in Duo once and verifies it after aggregating again', async () => {
    const groupOne = await group(source.id, 0);
    const { campaign, revoked } = await signedOff(
      { kind: 'entitlements', entitlementIds: [groupOne.id] },
      (_, i) => i < 3,
    );
    expect(campaign.remediation.mode).toBe('duo');
    await control(sim, 'DELETE', '/_sim/requests');

    const dry = await remediate(campaign.id, { dryRun: true });
    expect(dry.status, dry.text).toBe(200);
    const planned = dry.body as {
      dryRun: boolean;
      changes: { itemId: number; action: string; request: string }[];
      campaign: { state: string };
    };
    expect(planned.dryRun).toBe(true);
    expect(planned.campaign.state).toBe('signed_off');
    expect(planned.changes.map((c) => c.itemId).sort()).toEqual(revoked.map((i) => i.id).sort());
    for (const change of planned.changes) {
      const item = revoked.find((i) => i.id === change.itemId);
      expect(change).toMatchObject({
        action: 'remove_from_group',
        request: `DELETE /admin/v1/users/${item?.duoUserId ?? ''}/groups/${groupOne.duoGroupId}`,
      });
    }
    expect(await writes()).toEqual([]);
    expect(await listSteps(api.app.db, campaign.id)).toEqual([]);

    const started = await remediate(campaign.id, {});
    expect(started.status, started.text).toBe(202);
    expect((started.body as { campaign: { state: string } }).campaign.state).toBe('remediating');
    await waitForRemediation(api.app, campaign.id);

    const truth = await truthUsers();
    for (const item of revoked)
      expect(truth.get(item.duoUserId)?.group_ids).not.toContain(groupOne.duoGroupId);
    const members = (await listEntitlementMembers(api.app.db, groupOne.id)).map((a) => a.duoUserId);
    for (const item of revoked) expect(members).not.toContain(item.duoUserId);
    const kept = (await listReviewItems(api.app, cliActor(), campaign.id, { limit: 1000 })).items
      .filter((i) => i.decision === 'keep')
      .map((i) => i.duoUserId);
    for (const id of kept) expect(members).toContain(id);

    const deletes = (await writes()).filter((w) => w.method === 'DELETE');
    expect(deletes.map((w) => w.path).sort()).toEqual(
      revoked.map((i) => `/admin/v1/users/${i.duoUserId}/groups/${groupOne.duoGroupId}`).sort(),
    );
    const after = await getCampaign(api.app, cliActor(), campaign.id);
    expect(after.state).toBe('remediated');
    expect(after.remediation).toMatchObject({ steps: 3, accepted: 3, removed: 3, stillPresent: 0 });
    const steps = await listSteps(api.app.db, campaign.id);
    for (const step of steps)
      expect(step).toMatchObject({
        state: 'accepted',
        attempts: 1,
        answer: { httpStatus: 200, stat: 'OK' },
        verification: 'removed',
      });

    // Remediating again sends nothing more: every step was accepted.
    await control(sim, 'DELETE', '/_sim/requests');
    expect((await remediate(campaign.id)).status).toBe(202);
    await waitForRemediation(api.app, campaign.id);
    expect(await writes()).toEqual([]);
  }, 120_000);

  it('a 429 and a 500 on the write are retried, and each change is accepted exactly once', async () => {
    const groupTwo = await group(source.id, 1);
    const { campaign, revoked } = await signedOff(
      { kind: 'entitlements', entitlementIds: [groupTwo.id] },
      (_, i) => i < 2,
    );
    await control(sim, 'DELETE', '/_sim/requests');
    await addFault({ kind: 'rate_limit', path: '/admin/v1/users/*/groups/*', count: 1 });
    await addFault({ kind: '5xx', status: 500, path: '/admin/v1/users/*/groups/*', count: 1 });
    expect((await remediate(campaign.id)).status).toBe(202);
    await waitForRemediation(api.app, campaign.id);
    await control(sim, 'DELETE', '/_sim/faults');

    const deletes = (await writes()).filter((w) => w.method === 'DELETE');
    expect(deletes.map((w) => w.status).sort()).toEqual([200, 200, 429, 500]);
    for (const item of revoked) {
      const path = `/admin/v1/users/${item.duoUserId}/groups/${groupTwo.duoGroupId}`;
      expect(deletes.filter((w) => w.path === path && w.status === 200)).toHaveLength(1);
    }
    const truth = await truthUsers();
    for (const item of revoked)
      expect(truth.get(item.duoUserId)?.group_ids).not.toContain(groupTwo.duoGroupId);
    expect((await getCampaign(api.app, cliActor(), campaign.id)).remediation).toMatchObject({
      accepted: 2,
      failed: 0,
      removed: 2,
    });
  }, 120_000);

  it('an accounts campaign disables the revoked Duo users; an administrator role is left to a person', async () => {
    const users = (await activeUsers()).slice(0, 2);
    const { campaign, revoked } = await signedOff(
      { kind: 'accounts', sourceIds: [source.id] },
      (item) => users.includes(item.duoUserId),
    );
    expect(revoked).toHaveLength(2);
    await control(sim, 'DELETE', '/_sim/requests');
    expect((await remediate(campaign.id)).status).toBe(202);
    await waitForRemediation(api.app, campaign.id);

    const truth = await truthUsers();
    for (const id of users) expect(truth.get(id)?.status).toBe('disabled');
    const posts = (await writes()).filter((w) => w.method === 'POST');
    expect(posts.map((w) => w.path).sort()).toEqual(
      users.map((id) => `/admin/v1/users/${id}`).sort(),
    );
    for (const post of posts) expect(post.params).toContainEqual(['status', 'disabled']);
    const after = await getCampaign(api.app, cliActor(), campaign.id);
    expect(after.remediation).toMatchObject({ steps: 2, accepted: 2, removed: 2 });

    // An administrator role: the step is manual, with what to do; nothing is sent for it.
    const [role] = (await listEntitlements(api.app.db, { sourceId: source.id })).filter(
      (e) => e.kind === 'admin_role' && e.name !== 'Owner',
    );
    if (!role) throw new Error('the tenant has no administrator role but Owner');
    const roleCampaign = await signedOff(
      { kind: 'entitlements', entitlementIds: [role.id] },
      (_, i) => i === 0,
    );
    const dry = await remediate(roleCampaign.campaign.id, { dryRun: true });
    expect((dry.body as { changes: unknown[] }).changes).toEqual([
      expect.objectContaining({
        action: 'manual',
        request: null,
        why: expect.stringContaining(
          "change the administrator's role in the Duo Admin Panel",
        ) as unknown,
      }),
    ]);
    await control(sim, 'DELETE', '/_sim/requests');
    await remediate(roleCampaign.campaign.id);
    await waitForRemediation(api.app, roleCampaign.campaign.id);
    expect(await writes()).toEqual([]);
    const [step] = await listSteps(api.app.db, roleCampaign.campaign.id);
    expect(step).toMatchObject({
      action: 'manual',
      state: 'manual',
      verification: 'still_present',
    });
    expect((await getCampaign(api.app, cliActor(), roleCampaign.campaign.id)).state).toBe(
      'remediated',
    );
  }, 120_000);

  /** Active Duo users, last user id first. */
  async function activeUsers(): Promise<string[]> {
    const truth = await truthUsers();
    return [...truth.values()]
      .filter((u) => u.status === 'active')
      .map((u) => u.user_id)
      .sort()
      .reverse();
  }

  it('a credential without "Grant write resource" signs off manual: every step is for a person and nothing is sent', async () => {
    const readOnly = await connectSource('Duo read only', reader);
    const { campaign } = await signedOff(
      { kind: 'entitlements', entitlementIds: [(await group(readOnly.id, 0)).id] },
      (_, i) => i < 2,
    );
    expect(campaign.remediation.mode).toBe('manual');
    await control(sim, 'DELETE', '/_sim/requests');
    const dry = await remediate(campaign.id, { dryRun: true });
    for (const change of (dry.body as { changes: { action: string; why: string }[] }).changes)
      expect(change).toMatchObject({
        action: 'manual',
        why: expect.stringContaining('Grant write resource') as unknown,
      });
    await remediate(campaign.id);
    await waitForRemediation(api.app, campaign.id);
    expect(await writes()).toEqual([]);
    expect((await getCampaign(api.app, cliActor(), campaign.id)).remediation).toMatchObject({
      mode: 'manual',
      steps: 2,
      manual: 2,
      stillPresent: 2,
    });
  }, 120_000);

  it('Duo refusing a write for permission (40301) fails that step with the fix and leaves the rest to a person', async () => {
    const target: TestSimulator = {
      sim,
      ...writer,
      target: { url: sim.url, host: sim.host },
      close: () => Promise.resolve(),
    };
    const groupThree = await group(source.id, 2);
    // Paths the proxy answers 40301 for, read at each request: filled once the items are known.
    const forbidden: string[] = [];
    const proxy = await startForbiddingProxy(target, forbidden);
    try {
      const configured = await admin.put(`/api/v1/sources/${source.id}/configuration`, {
        apiHost: proxy.target.url,
        integrationKey: writer.ikey,
      });
      expect(configured.status, configured.text).toBe(200);
      expect((await admin.post(`/api/v1/sources/${source.id}/test-connection`)).body).toMatchObject(
        { ok: true },
      );
      const { campaign, revoked } = await signedOff(
        { kind: 'entitlements', entitlementIds: [groupThree.id] },
        (_, i) => i < 5,
      );
      expect(campaign.remediation.mode).toBe('duo');
      const third = [...revoked].sort((x, y) => x.id - y.id)[2];
      forbidden.push(`/admin/v1/users/${third?.duoUserId ?? ''}/groups/${groupThree.duoGroupId}`);
      await remediate(campaign.id);
      await waitForRemediation(api.app, campaign.id);
      const steps = await listSteps(api.app.db, campaign.id);
      expect(steps.map((s) => s.state)).toEqual([
        'accepted',
        'accepted',
        'failed',
        'manual',
        'manual',
      ]);
      expect(steps[2]?.error).toContain('Grant write resource');
      expect(steps[2]?.answer).toMatchObject({ httpStatus: 403, code: 40301 });
      expect(steps[3]?.error).toContain('Grant write resource');
      const after = await getCampaign(api.app, cliActor(), campaign.id);
      expect(after.state).toBe('remediated');
      expect(after.remediation).toMatchObject({ mode: 'manual', removed: 2, stillPresent: 3 });
    } finally {
      await admin.put(`/api/v1/sources/${source.id}/configuration`, {
        apiHost: sim.url,
        integrationKey: writer.ikey,
      });
      await admin.post(`/api/v1/sources/${source.id}/test-connection`);
      await proxy.close();
    }
  }, 120_000);

  it('a restart mid-remediation resumes on the next remediate call without sending an accepted change again', async () => {
    const groupOne = await group(source.id, 0);
    const { campaign, revoked } = await signedOff(
      { kind: 'entitlements', entitlementIds: [groupOne.id] },
      (_, i) => i < 5,
    );
    await control(sim, 'DELETE', '/_sim/requests');
    // The third write hangs until the server stops: two accepted, one left without an answer.
    await addFault({ kind: 'hang', path: '/admin/v1/users/*/groups/*', after: 2, count: 1 });
    expect((await remediate(campaign.id)).status).toBe(202);
    await eventually(async () => {
      const steps = await listSteps(api.app.db, campaign.id);
      return (
        steps.filter((s) => s.state === 'accepted').length === 2 &&
        steps.some((s) => s.state === 'uncertain')
      );
    });
    await api.close();
    await control(sim, 'DELETE', '/_sim/faults');
    const before = await listSteps(
      (api = await startTestApi({}, { databaseUrl, secretKey })).app.db,
      campaign.id,
    );
    await signInAgain();
    expect(before.filter((s) => s.state === 'accepted')).toHaveLength(2);
    expect(before.filter((s) => s.state === 'uncertain')).toHaveLength(1);
    expect(before.filter((s) => s.state === 'pending')).toHaveLength(2);
    expect((await getCampaign(api.app, cliActor(), campaign.id)).state).toBe('remediating');

    expect((await remediate(campaign.id)).status).toBe(202);
    await waitForRemediation(api.app, campaign.id);
    const deletes = (await writes()).filter((w) => w.method === 'DELETE' && w.status === 200);
    for (const item of revoked) {
      const path = `/admin/v1/users/${item.duoUserId}/groups/${groupOne.duoGroupId}`;
      expect(
        deletes.filter((w) => w.path === path),
        path,
      ).toHaveLength(1);
    }
    const truth = await truthUsers();
    for (const item of revoked)
      expect(truth.get(item.duoUserId)?.group_ids).not.toContain(groupOne.duoGroupId);
    const after = await getCampaign(api.app, cliActor(), campaign.id);
    expect(after.state).toBe('remediated');
    expect(after.remediation).toMatchObject({ steps: 5, accepted: 5, removed: 5 });
  }, 120_000);

  it('refuses an open campaign (409), a campaign it cannot see (404) and a body it does not take', async () => {
    const open = await createCampaign(api.app, cliActor(), {
      name: 'still open',
      scope: { kind: 'entitlements', entitlementIds: [(await group(source.id, 1)).id] },
      reviewers: { kind: 'source_owner' },
      dueMs: Date.now() + DAY_MS,
    });
    const refused = await remediate(open.id, { dryRun: true });
    expect(refused.status).toBe(409);
    expect(errorOf(refused.body).message).toContain('signed off');
    expect((await remediate('no-such-campaign')).status).toBe(404);
    const bad = await remediate(open.id, { dryRun: 'yes' });
    expect(bad.status).toBe(400);
    expect(errorOf(bad.body).code).toBe('validation_failed');
    await api.createUser('val', 'viewer');
    const viewer = await api.signIn('val');
    expect((await viewer.post(`/api/v1/reviews/${open.id}/remediate`, {})).status).toBe(404);
  });
});
