/**
 * Passwords over HTTP, on SQLite and PostgreSQL: a user changes their own (a wrong current
 * password is refused and counts as a failed sign-in; the change ends the user's other
 * sessions, not the one asking), an admin sets another user's (their sessions end and they
 * must change it at the next sign-in, until when every other route answers 403
 * `password_change_required`), the policy's errors name the rule broken, a user is linked to an
 * identity, and no password or hash appears in any answer or log line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFirstAdmin } from '../../sync/users.js';
import { listAudit } from '../../store/audit.js';
import {
  errorOf as errorOfBody,
  startTestApi,
  TEST_PASSWORD,
  type Answer,
  type Client,
  type TestApi,
} from '../../../test/support/api.js';
import { describeEachDatabase } from '../../../test/support/db.js';

const NEW_PASSWORD = 'a brand new passphrase 42';
const RESET_PASSWORD = 'temporary passphrase 77';
const FIRST_ADMIN_PASSWORD = 'generated-first-admin-pw-9f3b';

const errorOf = (answer: Answer) => errorOfBody(answer.body);

describeEachDatabase('passwords API', (t) => {
  let api: TestApi;
  let admin: Client & { readonly csrfToken: string; readonly cookie: string };

  beforeAll(async () => {
    api = await startTestApi({ throttle: { perUsernameAndAddress: 3 } }, { databaseUrl: t.url });
    await api.createUser('admin', 'admin');
    admin = await api.signIn('admin');
  }, 60_000);

  afterAll(async () => {
    // Nothing typed as a password, nor any stored hash, appears in an answer or a log line.
    const everything = [...api.answers, ...api.logs].join('\n');
    for (const secret of [
      TEST_PASSWORD,
      NEW_PASSWORD,
      RESET_PASSWORD,
      FIRST_ADMIN_PASSWORD,
      'wrong current password',
      'scrypt$',
    ])
      expect(everything).not.toContain(secret);
    await api.close();
  });

  it('changes your own password: ends your other sessions, keeps this one', async () => {
    await api.createUser('alice', 'viewer');
    const here = await api.signIn('alice');
    const elsewhere = await api.signIn('alice');
    const changed = await here.post('/api/v1/auth/password', {
      currentPassword: TEST_PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      user: { username: 'alice', mustChangePassword: false },
      sessionsEnded: 1,
    });
    expect((await here.get('/api/v1/identities')).status).toBe(200);
    expect(errorOf(await elsewhere.get('/api/v1/identities')).code).toBe('unauthenticated');
    await expect(api.signIn('alice', TEST_PASSWORD)).rejects.toThrow(/401/);
    expect((await api.signIn('alice', NEW_PASSWORD)).user.username).toBe('alice');
    const audit = await listAudit(api.app.db, { limit: 1000 });
    expect(audit.some((e) => e.action === 'user.password_change' && e.targetName === 'alice')).toBe(
      true,
    );
  });

  it('refuses a wrong current password, naming the field, and counts it as a failed sign-in', async () => {
    await api.createUser('bob', 'viewer');
    const bob = await api.signIn('bob');
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(
        await bob.post('/api/v1/auth/password', {
          currentPassword: 'wrong current password',
          newPassword: NEW_PASSWORD,
        }),
      );
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(errorOf(answer)).toMatchObject({
        code: 'validation_failed',
        details: [{ field: 'currentPassword', message: 'is wrong' }],
      });
    }
    // The throttle allows 3 failures of one username from one address: now even the right
    // password is refused, here and at sign-in.
    const refused = await bob.post('/api/v1/auth/password', {
      currentPassword: TEST_PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    const login = await api.anonymous('POST', '/api/v1/auth/login', {
      username: 'bob',
      password: TEST_PASSWORD,
    });
    expect(login.status).toBe(429);
    expect(api.logs.some((l) => l.includes('failed password change'))).toBe(true);
  });

  it('states the policy in its errors: length, not the user name, not the old password', async () => {
    await api.createUser('carol.smith', 'viewer');
    const carol = await api.signIn('carol.smith');
    const problems = async (newPassword: string) =>
      errorOf(
        await carol.post('/api/v1/auth/password', { currentPassword: TEST_PASSWORD, newPassword }),
      ).details;
    expect(await problems('short')).toEqual([
      { field: 'newPassword', message: 'must be at least 12 characters' },
    ]);
    expect(await problems('Carol.Smith ')).toEqual([
      { field: 'newPassword', message: 'must not be the user name' },
    ]);
    expect(await problems('carol')).toEqual([
      { field: 'newPassword', message: 'must be at least 12 characters' },
    ]);
    expect(await problems(TEST_PASSWORD)).toEqual([
      { field: 'newPassword', message: 'must not be the password it replaces' },
    ]);
    // The same rules hold for an admin's reset and a new user.
    const reset = await admin.post(`/api/v1/users/${carol.user.id}/password`, {
      newPassword: 'carol.smith',
    });
    expect(errorOf(reset).details).toEqual(
      expect.arrayContaining([{ field: 'newPassword', message: 'must not be the user name' }]),
    );
    const created = await admin.post('/api/v1/users', {
      username: 'dave.jones.1',
      password: 'dave.jones.1',
      role: 'viewer',
    });
    expect(errorOf(created).details).toEqual([
      { field: 'password', message: 'must not be the user name' },
    ]);
    // A refused change changed nothing.
    expect((await carol.get('/api/v1/auth/me')).status).toBe(200);
  });

  it('lets an admin set another user’s password: their sessions end, and they must change it first', async () => {
    const erin = await api.createUser('erin', 'viewer');
    const session = await api.signIn('erin');
    const reset = await admin.post(`/api/v1/users/${erin.id}/password`, {
      newPassword: RESET_PASSWORD,
    });
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ username: 'erin', mustChangePassword: true });
    expect(errorOf(await session.get('/api/v1/identities')).code).toBe('unauthenticated');

    const again = await api.signIn('erin', RESET_PASSWORD);
    expect(again.user.mustChangePassword).toBe(true);
    const blocked = await again.get('/api/v1/identities');
    expect(blocked.status).toBe(403);
    expect(errorOf(blocked)).toMatchObject({
      code: 'password_change_required',
      message: expect.stringContaining('POST /api/v1/auth/password') as unknown,
    });
    expect((await again.get('/api/v1/auth/me')).body).toMatchObject({
      user: { mustChangePassword: true },
    });
    const changed = await again.post('/api/v1/auth/password', {
      currentPassword: RESET_PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(changed.status).toBe(200);
    expect((await again.get('/api/v1/identities')).status).toBe(200);
    expect((await admin.get('/api/v1/users')).body).toMatchObject({
      users: expect.arrayContaining([
        expect.objectContaining({ username: 'erin', mustChangePassword: false }),
      ]) as unknown,
    });
    // Sign-out stays allowed before the change too.
    await admin.post(`/api/v1/users/${erin.id}/password`, { newPassword: RESET_PASSWORD });
    const third = await api.signIn('erin', RESET_PASSWORD);
    expect((await third.post('/api/v1/auth/logout')).status).toBe(204);
  });

  it('refuses an admin’s reset of their own password, of nobody, and from a non-admin', async () => {
    expect(
      errorOf(
        await admin.post(`/api/v1/users/${admin.user.id}/password`, { newPassword: NEW_PASSWORD }),
      ).code,
    ).toBe('conflict');
    expect(
      errorOf(await admin.patch(`/api/v1/users/${admin.user.id}`, { password: NEW_PASSWORD })).code,
    ).toBe('conflict');
    expect(
      errorOf(
        await admin.post('/api/v1/users/00000000-0000-4000-8000-000000000000/password', {
          newPassword: NEW_PASSWORD,
        }),
      ).code,
    ).toBe('not_found');
    await api.createUser('frank', 'source_manager');
    const frank = await api.signIn('frank');
    expect(
      errorOf(
        await frank.post(`/api/v1/users/${admin.user.id}/password`, { newPassword: NEW_PASSWORD }),
      ).code,
    ).toBe('forbidden');
    expect(
      errorOf(await frank.post('/api/v1/auth/password', { newPassword: NEW_PASSWORD })).details,
    ).toEqual([expect.objectContaining({ field: 'currentPassword' })]);
    // A password set with PATCH is an admin's reset too.
    const patched = await admin.patch(`/api/v1/users/${frank.user.id}`, {
      password: RESET_PASSWORD,
    });
    expect(patched.body).toMatchObject({ mustChangePassword: true });
    expect(errorOf(await frank.get('/api/v1/identities')).code).toBe('unauthenticated');
  });

  it('makes the generated first admin change its password before anything else', async () => {
    const first = await startTestApi({}, {});
    try {
      await ensureFirstAdmin(first.app.db, FIRST_ADMIN_PASSWORD, { mustChangePassword: true });
      const signedIn = await first.signIn('admin', FIRST_ADMIN_PASSWORD);
      expect(signedIn.user.mustChangePassword).toBe(true);
      expect(errorOf(await signedIn.get('/api/v1/sources')).code).toBe('password_change_required');
      expect(errorOf(await signedIn.post('/api/v1/demo')).code).toBe('password_change_required');
      const changed = await signedIn.post('/api/v1/auth/password', {
        currentPassword: FIRST_ADMIN_PASSWORD,
        newPassword: NEW_PASSWORD,
      });
      expect(changed.status).toBe(200);
      expect((await signedIn.get('/api/v1/sources')).status).toBe(200);
      expect([...first.answers, ...first.logs].join('\n')).not.toContain(FIRST_ADMIN_PASSWORD);
    } finally {
      await first.close();
    }
  });

  it('links a user to an identity and back, refusing an identity that does not exist', async () => {
    const grace = await api.createUser('grace', 'source_manager');
    const identity = await admin.post('/api/v1/identities', { displayName: 'Grace Hopper' });
    const identityId = (identity.body as { id: string }).id;
    const linked = await admin.patch(`/api/v1/users/${grace.id}`, { identityId });
    expect(linked.body).toMatchObject({ identityId });
    const missing = await admin.patch(`/api/v1/users/${grace.id}`, {
      identityId: '00000000-0000-4000-8000-000000000000',
    });
    expect(errorOf(missing).details).toEqual([expect.objectContaining({ field: 'identityId' })]);
    const unlinked = await admin.patch(`/api/v1/users/${grace.id}`, { identityId: null });
    expect(unlinked.body).toMatchObject({ identityId: null });
  });
});

describe('the password change route', () => {
  it('is described in the API document with its fields', async () => {
    const api = await startTestApi();
    try {
      const doc = (await api.anonymous('GET', '/api/v1/openapi.json')).body as {
        paths: Record<string, Record<string, unknown>>;
      };
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(['/api/v1/auth/password', '/api/v1/users/{id}/password']),
      );
    } finally {
      await api.close();
    }
  });
});
