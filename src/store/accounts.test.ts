import { expect, it } from 'vitest';
import type { AccountSnapshot } from '../domain/accounts.js';
import { ms } from '../domain/time.js';
import { newSource } from '../../test/support/activity-fixtures.js';
import { describeEachDatabase } from '../../test/support/db.js';
import {
  countAccountsByStatus,
  countAccountsOfIdentities,
  findAccountByDuoUserId,
  findIdentitiesOfDuoUsers,
  getAccount,
  listAccountEntitlements,
  listAccounts,
  markMissingAccountsDeleted,
  setAccountIdentity,
  streamAccounts,
  upsertAccounts,
} from './accounts.js';
import {
  listEntitlementMembers,
  listEntitlements,
  markMissingEntitlementsDeleted,
  upsertEntitlements,
} from './entitlements.js';
import { createIdentity } from './identities.js';

function user(i: number, groups: string[] = ['g1']): AccountSnapshot {
  return {
    duoUserId: `DU${String(i).padStart(18, '0')}`,
    username: `user${String(i)}`,
    realname: `User ${String(i)}`,
    email: `user${String(i)}@example.com`,
    status: i % 10 === 0 ? 'locked out' : 'active',
    aliases: i % 2 === 0 ? [`alias${String(i)}`] : [],
    isEnrolled: i % 3 !== 0,
    lastLoginMs: ms(1_700_000_000_000 + i),
    createdMs: ms(1_600_000_000_000),
    groups: groups.map((g) => ({ duoGroupId: `DG-${g}`, name: `Group ${g}` })),
    raw: { user_id: `DU${String(i)}` },
  };
}

function users(from: number, to: number): AccountSnapshot[] {
  return Array.from({ length: to - from }, (_, k) => user(from + k));
}

describeEachDatabase('accounts and entitlements', (t) => {
  it('round-trip a Duo user with its groups, status, aliases and enrolment', async () => {
    const { sourceId } = await newSource(t.db, 'duo');
    await upsertAccounts(t.db, { sourceId, runId: 'r1', accounts: [user(4, ['a', 'b'])] });
    const account = await findAccountByDuoUserId(t.db, sourceId, user(4).duoUserId);
    expect(account).toMatchObject({
      username: 'user4',
      realname: 'User 4',
      email: 'user4@example.com',
      status: 'active',
      aliases: ['alias4'],
      isEnrolled: true,
      lastLoginMs: 1_700_000_000_004,
      identityId: null,
      deletedAt: null,
    });
    if (!account) throw new Error('missing');
    expect((await getAccount(t.db, account.id)).duoUserId).toBe(user(4).duoUserId);
    const groups = await listAccountEntitlements(t.db, account.id);
    expect(groups.map((g) => g.name)).toEqual(['Group a', 'Group b']);

    // A later snapshot replaces the memberships.
    await upsertAccounts(t.db, { sourceId, runId: 'r2', accounts: [user(4, ['b', 'c'])] });
    expect((await listAccountEntitlements(t.db, account.id)).map((g) => g.duoGroupId)).toEqual([
      'DG-b',
      'DG-c',
    ]);
    const [b] = (await listEntitlements(t.db, { sourceId })).filter((e) => e.duoGroupId === 'DG-b');
    expect((await listEntitlementMembers(t.db, b?.id ?? -1)).map((a) => a.username)).toEqual([
      'user4',
    ]);
  });

  it('count new and refreshed users of a snapshot written page by page', async () => {
    const { sourceId } = await newSource(t.db, 'duo');
    expect(await upsertAccounts(t.db, { sourceId, runId: 'r1', accounts: users(0, 300) })).toEqual({
      inserted: 300,
      updated: 0,
    });
    expect(
      await upsertAccounts(t.db, { sourceId, runId: 'r2', accounts: users(200, 500) }),
    ).toEqual({ inserted: 200, updated: 0 });
    expect(await countAccountsByStatus(t.db, sourceId)).toEqual({ active: 450, 'locked out': 50 });
    let seen = 0;
    for await (const page of streamAccounts(t.db, { sourceId, limit: 128 })) seen += page.length;
    expect(seen).toBe(500);
  });

  it('count as updated only the users whose stored fields or groups changed', async () => {
    const { sourceId } = await newSource(t.db, 'duo');
    await upsertAccounts(t.db, { sourceId, runId: 'r1', accounts: users(0, 200) });
    expect(await upsertAccounts(t.db, { sourceId, runId: 'r2', accounts: users(0, 200) })).toEqual({
      inserted: 0,
      updated: 0,
    });
    const changed = users(0, 200).map((u, i) =>
      i === 5
        ? { ...u, email: 'new@example.com' }
        : i === 6
          ? { ...u, groups: [{ duoGroupId: 'DG-g2', name: 'Group g2' }] }
          : i === 7
            ? { ...u, raw: { user_id: u.duoUserId, phones: [{ phone_id: 'DP1' }] } }
            : i === 8
              ? { ...u, status: 'disabled' }
              : u,
    );
    expect(await upsertAccounts(t.db, { sourceId, runId: 'r3', accounts: changed })).toEqual({
      inserted: 0,
      updated: 4,
    });
    // The same record with its keys in another order is no change.
    const reordered = changed.map((u, i) =>
      i === 7 ? { ...u, raw: { phones: [{ phone_id: 'DP1' }], user_id: u.duoUserId } } : u,
    );
    expect(await upsertAccounts(t.db, { sourceId, runId: 'r4', accounts: reordered })).toEqual({
      inserted: 0,
      updated: 0,
    });
  });

  it('mark users missing from a complete snapshot deleted, and restore them when seen again', async () => {
    const { sourceId } = await newSource(t.db, 'duo');
    await upsertAccounts(t.db, { sourceId, runId: 'r1', accounts: users(0, 100) });
    await upsertAccounts(t.db, { sourceId, runId: 'r2', accounts: users(0, 90) });
    expect(
      await markMissingAccountsDeleted(t.db, { sourceId, runId: 'r2', maxDeleteShare: 0.2 }),
    ).toEqual({ kind: 'deleted', deleted: 10 });
    expect(await listAccounts(t.db, { sourceId, limit: 1000 })).toHaveLength(90);
    const gone = await findAccountByDuoUserId(t.db, sourceId, user(95).duoUserId);
    expect(gone?.deletedAt).not.toBeNull();

    await upsertAccounts(t.db, { sourceId, runId: 'r3', accounts: users(0, 100) });
    expect(
      (await findAccountByDuoUserId(t.db, sourceId, user(95).duoUserId))?.deletedAt,
    ).toBeNull();
  });

  it('refuse to delete when the snapshot is empty or would remove too many', async () => {
    const { sourceId } = await newSource(t.db, 'duo');
    await upsertAccounts(t.db, { sourceId, runId: 'r1', accounts: users(0, 100) });
    expect(
      await markMissingAccountsDeleted(t.db, { sourceId, runId: 'empty', maxDeleteShare: 0.2 }),
    ).toEqual({ kind: 'refused', reason: 'empty_snapshot', wouldDelete: 100, present: 100 });
    await upsertAccounts(t.db, { sourceId, runId: 'r2', accounts: users(0, 50) });
    expect(
      await markMissingAccountsDeleted(t.db, { sourceId, runId: 'r2', maxDeleteShare: 0.2 }),
    ).toEqual({ kind: 'refused', reason: 'too_many', wouldDelete: 50, present: 100 });
    expect(await listAccounts(t.db, { sourceId, limit: 1000 })).toHaveLength(100);
  });

  it('link an account to an identity and list the identity’s accounts', async () => {
    const { sourceId } = await newSource(t.db, 'duo');
    await upsertAccounts(t.db, { sourceId, runId: 'r1', accounts: users(0, 5) });
    const ann = await createIdentity(t.db, { displayName: 'Ann', email: 'user3@example.com' });
    const [, , , fourth] = await listAccounts(t.db, { sourceId });
    if (!fourth) throw new Error('missing');
    await setAccountIdentity(t.db, fourth.id, { identityId: ann.id, correlation: 'email' });
    expect(await listAccounts(t.db, { identityId: ann.id })).toMatchObject([
      { username: 'user3', correlation: 'email', identityId: ann.id },
    ]);
    expect(await listAccounts(t.db, { sourceId, uncorrelated: true })).toHaveLength(4);
    // A refreshed snapshot keeps the link.
    await upsertAccounts(t.db, { sourceId, runId: 'r2', accounts: users(0, 5) });
    expect((await getAccount(t.db, fourth.id)).identityId).toBe(ann.id);
    // The same Duo user seen by another source finds the identity through the first link.
    const found = await findIdentitiesOfDuoUsers(t.db, [fourth.duoUserId, 'DU-nobody']);
    expect(found.get(fourth.duoUserId)?.id).toBe(ann.id);
    expect(found.has('DU-nobody')).toBe(false);
  });

  it('aggregate groups and mark missing ones deleted', async () => {
    const { sourceId } = await newSource(t.db, 'duo');
    const groups = Array.from({ length: 10 }, (_, i) => ({
      duoGroupId: `DG${String(i)}`,
      name: `Group ${String(i)}`,
      description: i === 0 ? 'Admins' : null,
      status: 'active',
    }));
    expect(await upsertEntitlements(t.db, { sourceId, runId: 'g1', entitlements: groups })).toEqual(
      {
        inserted: 10,
        updated: 0,
      },
    );
    await upsertEntitlements(t.db, { sourceId, runId: 'g2', entitlements: groups.slice(0, 9) });
    expect(
      await markMissingEntitlementsDeleted(t.db, { sourceId, runId: 'g2', maxDeleteShare: 0.2 }),
    ).toEqual({ kind: 'deleted', deleted: 1 });
    const live = await listEntitlements(t.db, { sourceId });
    expect(live).toHaveLength(9);
    expect(live[0]).toMatchObject({ duoGroupId: 'DG0', description: 'Admins', deletedAt: null });
  });

  it('count the live accounts of each identity, for many at once', async () => {
    const { sourceId } = await newSource(t.db, 'duo');
    await upsertAccounts(t.db, { sourceId, runId: 'r1', accounts: users(700, 703) });
    const ann = await createIdentity(t.db, {
      displayName: 'Ann Count',
      email: null,
      username: null,
    });
    const bob = await createIdentity(t.db, {
      displayName: 'Bob Count',
      email: null,
      username: null,
    });
    const nobody = await createIdentity(t.db, {
      displayName: 'No Accounts',
      email: null,
      username: null,
    });
    const [first, second, third] = await Promise.all(
      [700, 701, 702].map((i) => findAccountByDuoUserId(t.db, sourceId, user(i).duoUserId)),
    );
    if (!first || !second || !third) throw new Error('the accounts were not stored');
    await setAccountIdentity(t.db, first.id, { identityId: ann.id, correlation: 'manual' });
    await setAccountIdentity(t.db, second.id, { identityId: ann.id, correlation: 'manual' });
    await setAccountIdentity(t.db, third.id, { identityId: bob.id, correlation: 'manual' });
    const counts = await countAccountsOfIdentities(t.db, [ann.id, bob.id, nobody.id]);
    expect(Object.fromEntries(counts)).toEqual({ [ann.id]: 2, [bob.id]: 1 });
    expect(await countAccountsOfIdentities(t.db, [])).toEqual(new Map());
  });
});
