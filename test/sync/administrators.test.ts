/**
 * Duo administrators as accounts, against the simulator over real HTTP, on SQLite and
 * PostgreSQL: each administrator is an account of kind `administrator` holding its admin role
 * (an entitlement of kind `admin_role`), correlated by e-mail to the person who is also a Duo
 * user; without "Grant administrators" the users still aggregate and the run says why the
 * administrators are not; administrator-log events show on the identity "as administrator",
 * and count as an administrator's activity in the dormant report.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DUO_ADMIN_ROLES } from '../../src/domain/accounts.js';
import { DAY_MS, ms, secondsToMs, seconds } from '../../src/domain/time.js';
import { listActivityEvents } from '../../src/store/activity/timeline.js';
import { listEntitlements } from '../../src/store/entitlements.js';
import { accessReviewRows, dormantAccounts } from '../../src/store/reports.js';
import { configureSourceCredentials } from '../../src/sync/sources.js';
import { syncActivitySource } from '../../src/sync/activity-sync.js';
import { aggregateSource } from '../../src/sync/aggregation.js';
import type { SyncContext } from '../../src/sync/context.js';
import { simEventsFromRecords } from '../../src/sim/records.js';
import { randomCredential } from '../../src/sim/server.js';
import { summariseSource } from '../../src/core/sources.js';
import { describeEachDatabase } from '../support/db.js';
import {
  allAccounts,
  createConfiguredSource,
  runWarnings,
  startTestSimulator,
  storedMemberships,
  syncContext,
  truthUsers,
  type TestSimulator,
} from '../support/sync.js';

describeEachDatabase('Duo administrators as accounts', (t) => {
  let sim: TestSimulator;
  let ctx: SyncContext;

  beforeAll(async () => {
    sim = await startTestSimulator({ users: 200, days: 1, authEventsPerDay: 4000 });
    ctx = syncContext(t.db, { clock: () => sim.sim.now() });
  });
  afterAll(async () => {
    ctx.duo.close();
    await sim.close();
  });

  it('stores each administrator with its role as an entitlement, correlated by e-mail', async () => {
    const source = await createConfiguredSource(ctx, sim, 'duo');
    const run = await aggregateSource(ctx, source.id, { trigger: 'manual' });
    expect(run.status).toBe('succeeded');
    const truth = sim.sim.dataset.admins();
    expect(run.counts['administrators']).toBe(truth.length);
    expect(run.counts['administratorsAvailable']).toBe(1);

    // The users are what they were: every Duo user, and only them.
    const users = await allAccounts(t.db, source.id);
    expect(users.map((u) => u.duoUserId).sort()).toEqual(
      (await truthUsers(sim)).map((u) => u.user_id).sort(),
    );
    expect(users.every((u) => u.kind === 'user' && u.adminRole === null)).toBe(true);

    const admins = await allAccounts(t.db, source.id, 'administrator');
    const byId = new Map(admins.map((a) => [a.duoUserId, a]));
    expect(admins).toHaveLength(truth.length);
    for (const admin of truth) {
      const account = byId.get(admin.admin_id);
      expect(
        {
          kind: account?.kind,
          realname: account?.realname,
          email: account?.email,
          status: account?.status,
          role: account?.adminRole,
          lastLoginMs: account?.lastLoginMs,
          restricted: account?.restrictedByAdminUnits,
          units: account?.adminUnits,
        },
        admin.admin_id,
      ).toEqual({
        kind: 'administrator',
        realname: admin.name,
        email: admin.email,
        status: admin.status,
        role: admin.role,
        lastLoginMs:
          typeof admin.last_login === 'number' ? secondsToMs(seconds(admin.last_login)) : null,
        restricted: admin.restricted_by_admin_units,
        units: admin.admin_units,
      });
    }
    expect(new Set(admins.map((a) => a.status))).toEqual(new Set(truth.map((a) => a.status ?? '')));
    expect(admins.some((a) => a.status === 'Disabled')).toBe(true);

    // Duo's fixed roles are entitlements of their own kind; each admin holds its role only.
    const roles = await listEntitlements(t.db, { sourceId: source.id, kind: 'admin_role' });
    expect(roles.map((r) => r.name).sort()).toEqual([...DUO_ADMIN_ROLES].sort());
    expect(roles.every((r) => r.duoGroupId === r.name)).toBe(true);
    const memberships = await storedMemberships(t.db, source.id);
    for (const admin of truth)
      expect(memberships.get(admin.admin_id), admin.admin_id).toEqual([admin.role]);
    const groups = await listEntitlements(t.db, { sourceId: source.id, kind: 'group' });
    expect(groups.some((g) => g.kind !== 'group')).toBe(false);

    // The administrators who are also users belong to the user's identity, by e-mail.
    const usersByEmail = new Map(users.map((u) => [u.email, u]));
    const shared = admins.filter((a) => usersByEmail.has(a.email));
    expect(shared).toHaveLength(2);
    for (const admin of shared) {
      expect(admin.correlation).toBe('email');
      expect(admin.identityId).toBe(usersByEmail.get(admin.email)?.identityId);
    }

    // The access review of an admin role lists its holders.
    const owner = roles.find((r) => r.name === 'Owner');
    const reviewed = await accessReviewRows(t.db, {
      entitlementId: owner?.id ?? -1,
      sinceDay: 0,
    });
    expect(reviewed.map((r) => r.duoUserId)).toEqual(
      truth.filter((a) => a.role === 'Owner').map((a) => a.admin_id),
    );
    expect(reviewed.every((r) => r.kind === 'administrator' && r.adminRole === 'Owner')).toBe(true);

    // A second aggregation changes nothing and deletes nothing.
    const again = await aggregateSource(ctx, source.id, { trigger: 'manual' });
    expect(again.counts['administratorsDeleted']).toBe(0);
    expect(again.counts['accountsDeleted']).toBe(0);
    expect(await allAccounts(t.db, source.id, 'administrator')).toHaveLength(truth.length);
  });

  it('without "Grant administrators", aggregates the users and says why not the administrators', async () => {
    const limited = randomCredential();
    const added = await fetch(`${sim.target.url}/_sim/credentials`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...limited, permissions: ['read_resource'] }),
    });
    expect(added.status).toBe(200);
    const source = await createConfiguredSource(ctx, sim, 'duo');
    const first = await aggregateSource(ctx, source.id, { trigger: 'manual' });
    expect(first.counts['administrators']).toBe(sim.sim.dataset.admins().length);
    await configureSourceCredentials(
      ctx,
      source.id,
      { apiHost: sim.target.url, integrationKey: limited.ikey, secretKey: limited.skey },
      true,
    );

    const run = await aggregateSource(ctx, source.id, { trigger: 'manual' });
    expect(run.status).toBe('succeeded');
    expect(run.counts['administratorsAvailable']).toBe(0);
    const warning = runWarnings(run.progress).find((w) =>
      w.startsWith('administrators are not available'),
    );
    expect(warning).toMatch(/Grant administrators/);
    expect(await allAccounts(t.db, source.id)).toHaveLength((await truthUsers(sim)).length);
    // What the last run with the permission stored stays: not deleted, not changed.
    const admins = await allAccounts(t.db, source.id, 'administrator');
    expect(admins).toHaveLength(sim.sim.dataset.admins().length);
    expect(admins.every((a) => a.deletedAt === null)).toBe(true);

    const summary = await summariseSource(ctx, source, sim.sim.now());
    expect(summary.health).toMatchObject({
      administrators: { available: false, reason: warning },
    });
  });

  it('shows what a person did as an administrator, and counts it as the administrator’s activity', async () => {
    const duo = await createConfiguredSource(ctx, sim, 'duo');
    await aggregateSource(ctx, duo.id, { trigger: 'manual' });
    const now = sim.sim.now();
    const idleSince = ms(now - 30 * DAY_MS);
    // Before any log is synced: the active administrators Duo saw sign in over a month ago, or never.
    const truth = sim.sim.dataset.admins();
    const neverSignedIn = truth
      .filter((a) => a.status === 'Active' && a.last_login == null)
      .map((a) => a.admin_id);
    expect(neverSignedIn.length).toBeGreaterThan(0);
    const before = await dormantAccounts(t.db, {
      idleSinceMs: idleSince,
      sourceId: duo.id,
      kind: 'administrator',
    });
    expect(before.map((r) => r.duoUserId).sort()).toEqual([...neverSignedIn].sort());
    const dormantUsers = await dormantAccounts(t.db, { idleSinceMs: idleSince, sourceId: duo.id });
    expect(dormantUsers.every((r) => r.kind === 'user')).toBe(true);

    // The administrator log names one of them (Duo's `username` is the admin's name).
    const readOnly = truth.find((a) => a.admin_id === neverSignedIn[0]);
    const signedInAt = Math.floor((now - 3_600_000) / 1000);
    // And the administrator who shares a user's e-mail acts once (the generated log may not name
    // every administrator: it depends on the dataset's draws).
    const login = (name: string | undefined, at: number) => ({
      action: 'admin_login',
      description: JSON.stringify({ factor: 'push', primary_auth_method: 'Password' }),
      isotimestamp: new Date(at * 1000).toISOString().replace('.000Z', '+00:00'),
      object: name ?? null,
      timestamp: at,
      username: name ?? '',
    });
    sim.sim.dataset.inject(
      simEventsFromRecords('administrator', [
        login(readOnly?.name ?? undefined, signedInAt),
        login(truth[1]?.name ?? undefined, signedInAt - 60),
      ]),
    );
    const activity = await createConfiguredSource(ctx, sim, 'duo-activity');
    const run = await syncActivitySource(ctx, activity.id, {
      trigger: 'manual',
      streams: ['administrator'],
    });
    expect(run.status).toBe('succeeded');

    const admins = await allAccounts(t.db, duo.id, 'administrator');
    const shared = admins.find((a) => a.email === truth[1]?.email);
    expect(shared?.identityId).toBeTruthy();
    const identityId = shared?.identityId ?? '';
    const asAdmin = await listActivityEvents(t.db, {
      identityId,
      actingAs: 'administrator',
      limit: 1000,
    });
    expect(asAdmin.events.length).toBeGreaterThan(0);
    expect(
      asAdmin.events.every((e) => e.stream === 'administrator' && e.username === shared?.realname),
    ).toBe(true);
    // As a user the same person did none of these (the administrator log names no Duo user).
    const asUser = await listActivityEvents(t.db, { identityId, limit: 1000 });
    expect(asUser.events.some((e) => e.stream === 'administrator')).toBe(false);

    // An administrator the log names is active, whatever Duo's last_login says.
    const named = new Set(
      (await listActivityEvents(t.db, { streams: ['administrator'], limit: 1000 })).events.map(
        (e) => e.username,
      ),
    );
    const after = await dormantAccounts(t.db, {
      idleSinceMs: idleSince,
      sourceId: duo.id,
      kind: 'administrator',
    });
    const stillDormant = admins
      .filter((a) => neverSignedIn.includes(a.duoUserId) && !named.has(a.realname))
      .map((a) => a.duoUserId);
    expect(after.map((r) => r.duoUserId).sort()).toEqual(stillDormant.sort());
    expect(stillDormant).not.toContain(readOnly?.admin_id);
    expect(after.every((r) => r.lastEventMs === null)).toBe(true);
  });
});
