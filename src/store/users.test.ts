import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/support/db.js';
import { ConflictError } from '../domain/errors.js';
import { ms } from '../domain/time.js';
import {
  createApiToken,
  deleteApiToken,
  findApiTokenByHash,
  listApiTokens,
  touchApiToken,
} from './api-tokens.js';
import { listAudit, recordAudit } from './audit.js';
import { createIdentity } from './identities.js';
import { createSession, deleteSessionsOfUser, findLiveSession } from './sessions.js';
import { countAdmins, createUser, deleteUser, findUserCredentials, updateUser } from './users.js';

describeEachDatabase('users, sessions, API tokens and the audit trail', (t) => {
  it('finds a user by username whatever its case, and refuses a second user of that name', async () => {
    const user = await createUser(t.db, {
      username: 'Alice',
      passwordHash: 'scrypt$x',
      role: 'admin',
    });
    expect((await findUserCredentials(t.db, 'alice'))?.user.id).toBe(user.id);
    expect((await findUserCredentials(t.db, 'alice'))?.passwordHash).toBe('scrypt$x');
    await expect(
      createUser(t.db, { username: 'ALICE', passwordHash: 'y', role: 'viewer' }),
    ).rejects.toThrow(ConflictError);
  });

  it('counts only enabled admins, and links a user to an identity', async () => {
    const before = await countAdmins(t.db);
    const identity = await createIdentity(t.db, { displayName: 'Bob' });
    const bob = await createUser(t.db, {
      username: 'bob',
      passwordHash: 'h',
      role: 'admin',
      identityId: identity.id,
    });
    expect(bob.identityId).toBe(identity.id);
    expect(await countAdmins(t.db)).toBe(before + 1);
    await updateUser(t.db, bob.id, { disabled: true });
    expect(await countAdmins(t.db)).toBe(before);
  });

  it('opens a session until it expires, and closes every session of a user', async () => {
    const user = await createUser(t.db, { username: 'carol', passwordHash: 'h', role: 'viewer' });
    await createSession(t.db, {
      idHash: 'h1',
      userId: user.id,
      csrfToken: 'c',
      createdAt: ms(1000),
      expiresAt: ms(5000),
    });
    expect((await findLiveSession(t.db, 'h1', ms(4999)))?.userId).toBe(user.id);
    expect(await findLiveSession(t.db, 'h1', ms(5000))).toBeUndefined();
    await deleteSessionsOfUser(t.db, user.id);
    expect(await findLiveSession(t.db, 'h1', ms(2000))).toBeUndefined();
  });

  it('finds an API token by its hash only, and forgets tokens of a deleted user', async () => {
    const user = await createUser(t.db, { username: 'dave', passwordHash: 'h', role: 'admin' });
    const token = await createApiToken(t.db, {
      name: 'siem',
      userId: user.id,
      tokenHash: 'abc',
      prefix: 'dit_12',
      createdAt: ms(1000),
      expiresAt: null,
    });
    expect((await findApiTokenByHash(t.db, 'abc'))?.id).toBe(token.id);
    expect(await findApiTokenByHash(t.db, 'dit_12')).toBeUndefined();
    const other = await createApiToken(t.db, {
      name: 'other',
      userId: user.id,
      tokenHash: 'def',
      prefix: 'dit_34',
      createdAt: ms(2000),
      expiresAt: ms(1_000_000),
    });
    await deleteApiToken(t.db, other.id);
    expect((await listApiTokens(t.db, { userId: user.id })).map((x) => x.name)).toEqual(['siem']);
    await deleteUser(t.db, user.id);
    expect(await findApiTokenByHash(t.db, 'abc')).toBeUndefined();
  });

  it('keeps a token’s expiry and its last use', async () => {
    const user = await createUser(t.db, { username: 'erin', passwordHash: 'h', role: 'admin' });
    const token = await createApiToken(t.db, {
      name: 'expiring',
      userId: user.id,
      tokenHash: 'ghi',
      prefix: 'dit_56',
      createdAt: ms(1_700_000_000_000),
      expiresAt: ms(1_702_592_000_000),
    });
    expect(token).toMatchObject({ expiresAt: 1_702_592_000_000, lastUsedAt: null });
    await touchApiToken(t.db, token.id, ms(1_700_000_600_000));
    expect(await findApiTokenByHash(t.db, 'ghi')).toMatchObject({
      createdAt: 1_700_000_000_000,
      expiresAt: 1_702_592_000_000,
      lastUsedAt: 1_700_000_600_000,
    });
  });

  it('pages the audit trail newest first', async () => {
    for (let i = 0; i < 5; i++)
      await recordAudit(t.db, {
        actor: 'alice',
        action: 'source.sync',
        targetType: 'source',
        targetId: `s${i}`,
        details: { i },
        at: ms(10_000 + i),
      });
    const first = await listAudit(t.db, { limit: 2 });
    expect(first.map((e) => e.targetId)).toEqual(['s4', 's3']);
    const last = first[1];
    if (!last) throw new Error('no entry');
    const second = await listAudit(t.db, { limit: 2, before: { at: last.at, id: last.id } });
    expect(second.map((e) => e.targetId)).toEqual(['s2', 's1']);
    expect(second[0]?.details).toEqual({ i: 2 });
  });
});
