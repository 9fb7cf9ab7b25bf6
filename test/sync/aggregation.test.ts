/**
 * Aggregation of a Duo source against the simulator over real HTTP, on SQLite and PostgreSQL:
 * accounts, entitlements and memberships equal Duo's users and groups; correlation links the
 * right people; deletions happen only after a complete snapshot.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Account } from '../../src/domain/accounts.js';
import type { Identity } from '../../src/domain/identities.js';
import { listEntitlements } from '../../src/store/entitlements.js';
import { createIdentity, getIdentity } from '../../src/store/identities.js';
import { setAccountIdentity } from '../../src/store/accounts.js';
import { aggregateSource } from '../../src/sync/aggregation.js';
import type { SyncContext } from '../../src/sync/context.js';
import { control } from '../../src/sim/testing.js';
import { describeEachDatabase } from '../support/db.js';
import {
  addFault,
  allAccounts,
  createConfiguredSource,
  runWarnings,
  startTestSimulator,
  storedMemberships,
  syncContext,
  truthGroups,
  truthUsers,
  type TestSimulator,
} from '../support/sync.js';

describeEachDatabase('aggregation against the simulator', (t) => {
  let sim: TestSimulator;
  let ctx: SyncContext;

  beforeAll(async () => {
    sim = await startTestSimulator({ users: 300, days: 1, authEventsPerDay: 500 });
    ctx = syncContext(t.db, { clock: () => sim.sim.now() });
  });
  afterAll(async () => {
    ctx.duo.close();
    await sim.close();
  });

  it('accounts, statuses, entitlements and memberships equal Duo users and groups', async () => {
    const source = await createConfiguredSource(ctx, sim, 'duo');
    const run = await aggregateSource(ctx, source.id, { trigger: 'manual' });
    expect(run.status).toBe('succeeded');

    const users = await truthUsers(sim);
    const accounts = await allAccounts(t.db, source.id);
    const byId = new Map(accounts.map((a) => [a.duoUserId, a]));
    expect(accounts).toHaveLength(users.length);
    for (const user of users) {
      const account = byId.get(user.user_id);
      expect(account, user.user_id).toBeDefined();
      expect(
        {
          username: account?.username,
          email: account?.email,
          status: account?.status,
          deleted: account?.deletedAt,
        },
        user.user_id,
      ).toEqual({ username: user.username, email: user.email, status: user.status, deleted: null });
    }
    // The tenant has every status a reviewer must see.
    const statuses = new Set(accounts.map((a) => a.status));
    for (const status of ['active', 'disabled', 'locked out', 'bypass', 'pending deletion'])
      expect(statuses, status).toContain(status);
    const lockedOut = accounts.filter((a) => a.status === 'locked out');
    expect(lockedOut.every((a) => a.lockoutReason !== null)).toBe(true);

    const groups = await truthGroups(sim);
    const entitlements = await listEntitlements(t.db, { sourceId: source.id, kind: 'group' });
    expect(entitlements.map((e) => [e.duoGroupId, e.name]).sort()).toEqual(
      groups.map((g) => [g.group_id, g.name]).sort(),
    );

    const memberships = await storedMemberships(t.db, source.id);
    let total = 0;
    for (const user of users) {
      expect(memberships.get(user.user_id) ?? [], user.username).toEqual(
        [...user.group_ids].sort(),
      );
      total += user.group_ids.length;
    }
    expect(total).toBeGreaterThan(0);

    // Every account found its person: a new identity for each (nobody existed before).
    expect(accounts.every((a) => a.identityId !== null && a.correlation === 'created')).toBe(true);
    expect(new Set(accounts.map((a) => a.identityId)).size).toBe(accounts.length);
    // …and so did the administrators, two of them people who are also users (same e-mail).
    const admins = sim.sim.dataset.admins();
    expect(run.counts.correlated_created).toBe(accounts.length + admins.length - 2);
    expect(run.counts.correlated_email).toBe(2);
  });
});

// A database and a tenant of their own: the only people are the ones this test creates.
describeEachDatabase('correlation against the simulator', (t) => {
  let sim: TestSimulator;
  let ctx: SyncContext;

  beforeAll(async () => {
    sim = await startTestSimulator({ users: 200, days: 1, authEventsPerDay: 100 });
    ctx = syncContext(t.db, { clock: () => sim.sim.now() });
  });
  afterAll(async () => {
    ctx.duo.close();
    await sim.close();
  });

  it('correlates accounts to existing people by email, username and alias, leaves ambiguous ones to a person, and keeps manual links', async () => {
    await correlationScenario(sim);
  });

  async function correlationScenario(sim: TestSimulator): Promise<void> {
    const users = await truthUsers(sim);
    const dataset = sim.sim.dataset;
    const emails = new Map<string, number>();
    for (const u of users) if (u.email) emails.set(u.email, (emails.get(u.email) ?? 0) + 1);
    const usable = users.filter(
      (u) => u.email !== null && emails.get(u.email) === 1 && !u.username.includes('@'),
    );
    const [byEmail, byUsername, ambiguous, manual] = usable;
    const withAlias = usable.find((u) => {
      const full = dataset.findUser(u.user_id);
      const alias1 = full?.alias1;
      return (
        typeof alias1 === 'string' &&
        ![byEmail, byUsername, ambiguous, manual].includes(u) &&
        !users.some((other) => other.username === alias1 || other.email === alias1)
      );
    });
    if (!byEmail || !byUsername || !ambiguous || !manual || !withAlias)
      throw new Error('the simulated tenant is too small for this test');
    const alias = dataset.findUser(withAlias.user_id)?.alias1 ?? '';

    const person = (displayName: string, email: string | null, username: string | null) =>
      createIdentity(t.db, { displayName, email, username });
    const emailPerson = await person('By Email', byEmail.email, null);
    const usernamePerson = await person('By Username', null, byUsername.username);
    const aliasPerson = await person('By Alias', null, alias);
    await person('Twin One', ambiguous.email, null);
    await person('Twin Two', ambiguous.email, null);

    const source = await createConfiguredSource(ctx, sim, 'duo');
    const run = await aggregateSource(ctx, source.id, { trigger: 'manual' });
    expect(run.status).toBe('succeeded');
    const accountOf = async (userId: string): Promise<Account> => {
      const found = (await allAccounts(t.db, source.id)).find((a) => a.duoUserId === userId);
      if (!found) throw new Error(`no account for ${userId}`);
      return found;
    };

    const linked = async (userId: string): Promise<[string | null, string | null]> => {
      const a = await accountOf(userId);
      return [a.identityId, a.correlation];
    };
    expect(await linked(byEmail.user_id)).toEqual([emailPerson.id, 'email']);
    expect(await linked(byUsername.user_id)).toEqual([usernamePerson.id, 'username']);
    expect(await linked(withAlias.user_id)).toEqual([aliasPerson.id, 'alias']);
    expect(await linked(ambiguous.user_id)).toEqual([null, null]);
    expect(runWarnings(run.progress).join('\n')).toContain(
      `account ${ambiguous.username} matches several identities by "${ambiguous.email ?? ''}"`,
    );
    expect(run.counts.uncorrelated).toBe(1);

    // A person links an account by hand; re-aggregation keeps it, and keeps every other link.
    const chosen: Identity = await person('Chosen By Hand', null, null);
    const manualAccount = await accountOf(manual.user_id);
    await setAccountIdentity(t.db, manualAccount.id, {
      identityId: chosen.id,
      correlation: 'manual',
    });
    const before = await allAccounts(t.db, source.id);
    const again = await aggregateSource(ctx, source.id, { trigger: 'manual' });
    expect(again.status).toBe('succeeded');
    expect(await linked(manual.user_id)).toEqual([chosen.id, 'manual']);
    const after = new Map((await allAccounts(t.db, source.id)).map((a) => [a.id, a]));
    for (const a of before) {
      if (a.id === manualAccount.id) continue;
      expect([after.get(a.id)?.identityId, after.get(a.id)?.correlation], a.username).toEqual([
        a.identityId,
        a.correlation,
      ]);
    }

    // A second Duo source seeing the same users links them to the same people by Duo user_id.
    const second = await createConfiguredSource(ctx, sim, 'duo');
    expect((await aggregateSource(ctx, second.id, { trigger: 'manual' })).status).toBe('succeeded');
    const secondAccount = (await allAccounts(t.db, second.id)).find(
      (a) => a.duoUserId === byEmail.user_id,
    );
    expect([secondAccount?.identityId, secondAccount?.correlation]).toEqual([
      emailPerson.id,
      'user_id',
    ]);
    expect((await getIdentity(t.db, emailPerson.id)).displayName).toBe('By Email');
  }
});

describeEachDatabase('aggregation deletes only after a complete snapshot', (t) => {
  let sim: TestSimulator;
  let ctx: SyncContext;
  let sourceId: string;

  const deleteInDuo = async (userId: string): Promise<void> => {
    await control(sim.sim, 'POST', `/_sim/users/${encodeURIComponent(userId)}/delete`);
  };
  const deletedIds = async (): Promise<string[]> =>
    (await allAccounts(t.db, sourceId))
      .filter((a) => a.deletedAt !== null)
      .map((a) => a.duoUserId)
      .sort();

  beforeAll(async () => {
    sim = await startTestSimulator({ users: 40, days: 1, authEventsPerDay: 100 });
    ctx = syncContext(t.db, { clock: () => sim.sim.now() });
    const source = await createConfiguredSource(ctx, sim, 'duo', { maxDeleteShare: 0.2 });
    sourceId = source.id;
    expect((await aggregateSource(ctx, sourceId, { trigger: 'manual' })).status).toBe('succeeded');
  });
  afterAll(async () => {
    ctx.duo.close();
    await sim.close();
  });

  it('a re-aggregation with nothing changed in Duo counts no account new or updated', async () => {
    const run = await aggregateSource(ctx, sourceId, { trigger: 'manual' });
    expect(run.status).toBe('succeeded');
    expect(run.counts).toMatchObject({ accounts: 40, accountsNew: 0, accountsUpdated: 0 });
  });

  it('a user deleted in Duo is marked deleted by the next complete snapshot, and only that user', async () => {
    const [gone] = await truthUsers(sim);
    if (!gone) throw new Error('no users');
    await deleteInDuo(gone.user_id);
    const run = await aggregateSource(ctx, sourceId, { trigger: 'manual' });
    expect(run.status).toBe('succeeded');
    expect(run.counts.accountsDeleted).toBe(1);
    expect(await deletedIds()).toEqual([gone.user_id]);
    const live = (await allAccounts(t.db, sourceId)).filter((a) => a.deletedAt === null);
    expect(live.map((a) => a.duoUserId).sort()).toEqual(
      (await truthUsers(sim)).map((u) => u.user_id).sort(),
    );
  });

  it('a snapshot with an unreadable user deletes nothing and the run says which record and why', async () => {
    const before = await deletedIds();
    const [gone] = await truthUsers(sim);
    if (!gone) throw new Error('no users');
    await deleteInDuo(gone.user_id);
    await addFault(sim, { kind: 'bad_record', path: '/admin/v1/users', count: 1 });
    const run = await aggregateSource(ctx, sourceId, { trigger: 'manual' });
    expect(run.status).toBe('partial');
    expect(run.error?.code).toBe('records_rejected');
    const warnings = runWarnings(run.progress).join('\n');
    expect(warnings).toMatch(/Duo sent a user that could not be read \(position \d+\)/);
    expect(warnings).toContain('nothing deleted');
    expect(await deletedIds()).toEqual(before);

    // The next complete snapshot catches up.
    const next = await aggregateSource(ctx, sourceId, { trigger: 'manual' });
    expect(next.status).toBe('succeeded');
    expect(await deletedIds()).toEqual([...before, gone.user_id].sort());
  });

  it('Duo failing beyond the retries deletes nothing and the run says why', async () => {
    const before = await deletedIds();
    const [gone] = await truthUsers(sim);
    if (!gone) throw new Error('no users');
    await deleteInDuo(gone.user_id);
    await addFault(sim, { kind: '5xx', path: '/admin/v1/users', count: 4, status: 503 });
    const run = await aggregateSource(ctx, sourceId, { trigger: 'manual' });
    expect(run.status).toBe('failed');
    expect(run.error?.message).toMatch(/503|unavailable|server/i);
    expect(await deletedIds()).toEqual(before);
    expect((await aggregateSource(ctx, sourceId, { trigger: 'manual' })).status).toBe('succeeded');
    expect(await deletedIds()).toEqual([...before, gone.user_id].sort());
  });

  it('a snapshot that would remove more than the allowed share deletes nothing and says so', async () => {
    const before = await deletedIds();
    const users = await truthUsers(sim);
    const tooMany = users.slice(0, Math.ceil(users.length * 0.25));
    for (const u of tooMany) await deleteInDuo(u.user_id);
    const run = await aggregateSource(ctx, sourceId, { trigger: 'manual' });
    expect(run.counts.accountsDeleted).toBe(0);
    expect(runWarnings(run.progress).join('\n')).toContain(
      `accounts: nothing deleted: ${tooMany.length} of ${users.length} would be removed, more than the source allows (maxDeleteShare)`,
    );
    expect(await deletedIds()).toEqual(before);
  });

  it('an empty snapshot deletes nothing and says so', async () => {
    const before = await deletedIds();
    const present = (await allAccounts(t.db, sourceId)).filter((a) => a.deletedAt === null);
    for (const u of await truthUsers(sim)) await deleteInDuo(u.user_id);
    expect(await truthUsers(sim)).toEqual([]);
    const run = await aggregateSource(ctx, sourceId, { trigger: 'manual' });
    expect(run.counts.accountsDeleted).toBe(0);
    expect(runWarnings(run.progress).join('\n')).toContain(
      `accounts: nothing deleted: Duo returned none, which would remove all ${present.length}`,
    );
    expect(await deletedIds()).toEqual(before);
  });
});
