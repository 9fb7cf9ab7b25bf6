/**
 * The HTTP API in-process (`app.inject`) on SQLite, with the real simulator over HTTP behind the
 * sources: sign-in, CSRF, API tokens, validation, the authorisation matrix, the journey of a
 * source (configure, test, aggregate, sync, insights, reports, delete), the audit trail, and no
 * secret in any answer or log line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomCredential, startSimulator, type Simulator } from '../../src/sim/server.js';
import { control } from '../../src/sim/testing.js';
import type { Role, User } from '../../src/domain/users.js';
import {
  startTestApi,
  TEST_PASSWORD,
  waitForRun,
  type Client,
  type TestApi,
} from '../support/api.js';

interface ErrorShape {
  error: { code: string; message: string; details?: { field: string; message: string }[] };
}
const errorOf = (body: unknown) => (body as ErrorShape).error;

describe('HTTP API', () => {
  let api: TestApi;
  let sim: Simulator;
  const credential = randomCredential();
  let admin: Client & { csrfToken: string; cookie: string };
  let adminUser: User;

  beforeAll(async () => {
    sim = await startSimulator({
      credentials: [credential],
      users: 60,
      days: 3,
      authEventsPerDay: 1500,
      seed: 'api-tests',
    });
    api = await startTestApi({ throttle: { perUsernameAndAddress: 5, perAddress: 50 } });
    adminUser = await api.createUser('admin', 'admin');
    admin = await api.signIn('admin');
  });

  afterAll(async () => {
    await api.close();
    await sim.close();
  });

  async function newIdentity(name: string): Promise<string> {
    const res = await admin.post('/api/v1/identities', {
      displayName: name,
      email: `${name.toLowerCase().replace(/\s+/g, '.')}@example.org`,
    });
    expect(res.status).toBe(201);
    return (res.body as { id: string }).id;
  }

  async function newSource(
    type: 'duo' | 'duo-activity',
    name: string,
    ownerIdentityId: string,
    extra = {},
  ) {
    const res = await admin.post('/api/v1/sources', { type, name, ownerIdentityId, ...extra });
    expect(res.status).toBe(201);
    return res.body as { id: string; name: string };
  }

  async function configure(client: Client, sourceId: string, skey = credential.skey) {
    return client.put(`/api/v1/sources/${sourceId}/configuration`, {
      apiHost: sim.url,
      integrationKey: credential.ikey,
      secretKey: skey,
    });
  }

  it('answers health without sign-in, and every other route with 401 in the one error shape', async () => {
    const health = await api.anonymous('GET', '/api/v1/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok' });
    const doc = (await api.anonymous('GET', '/api/v1/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const open = new Set(['GET /api/v1/health', 'POST /api/v1/auth/login']);
    let closed = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods)) {
        const label = `${method.toUpperCase()} ${path}`;
        if (open.has(label)) continue;
        const res = await api.anonymous(
          method.toUpperCase(),
          path.replace(/\{[^}]+\}/g, '1'),
          method === 'get' ? undefined : {},
        );
        expect(res.status, label).toBe(401);
        expect(errorOf(res.body).code, label).toBe('unauthenticated');
        closed++;
      }
    }
    expect(closed).toBeGreaterThan(40);
  });

  it('signs in with an HttpOnly SameSite=Strict cookie, Secure behind TLS, and tells who is signed in', async () => {
    const plain = await api.anonymous('POST', '/api/v1/auth/login', {
      username: 'admin',
      password: TEST_PASSWORD,
    });
    const cookie = String(plain.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/);
    const tls = await api.anonymous(
      'POST',
      '/api/v1/auth/login',
      { username: 'admin', password: TEST_PASSWORD },
      { 'x-forwarded-proto': 'https' },
    );
    expect(String(tls.headers['set-cookie'])).toMatch(/Secure/);
    const me = await admin.get('/api/v1/auth/me');
    expect(me.body).toMatchObject({
      user: { username: 'admin', role: 'admin' },
      csrfToken: admin.csrfToken,
    });
    expect(JSON.stringify(me.body)).not.toMatch(/password/i);
  });

  it('sends security headers', async () => {
    const res = await api.anonymous('GET', '/api/v1/health');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBeDefined();
    expect(res.headers['x-frame-options']).toBeDefined();
  });

  it('gives a wrong username and a wrong password the same answer, then throttles even the right password', async () => {
    await api.createUser('throttled', 'viewer');
    const unknown = await api.anonymous('POST', '/api/v1/auth/login', {
      username: 'nobody',
      password: 'x',
    });
    const wrong = await api.anonymous('POST', '/api/v1/auth/login', {
      username: 'throttled',
      password: 'wrong password',
    });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(errorOf(unknown.body).message).toBe(errorOf(wrong.body).message);
    for (let i = 0; i < 4; i++)
      await api.anonymous('POST', '/api/v1/auth/login', {
        username: 'throttled',
        password: 'wrong password',
      });
    const right = await api.anonymous('POST', '/api/v1/auth/login', {
      username: 'throttled',
      password: TEST_PASSWORD,
    });
    expect(right.status).toBe(429);
    expect(errorOf(right.body).code).toBe('rate_limited');
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    // Another user from the same address is not locked out by it.
    const other = await api.signIn('admin');
    expect(other.user.username).toBe('admin');
  });

  it('refuses a change without the session’s CSRF token, and API tokens need none', async () => {
    const noHeader = await admin.request(
      'POST',
      '/api/v1/identities',
      { displayName: 'No Csrf' },
      { 'x-csrf-token': '' },
    );
    expect(noHeader.status).toBe(403);
    expect(errorOf(noHeader.body).code).toBe('csrf_failed');
    const wrongHeader = await admin.request(
      'POST',
      '/api/v1/identities',
      { displayName: 'No Csrf' },
      { 'x-csrf-token': 'guess' },
    );
    expect(errorOf(wrongHeader.body).code).toBe('csrf_failed');
    const token = await api.withToken(adminUser);
    const viaToken = await token.post('/api/v1/identities', { displayName: 'Via Token' });
    expect(viaToken.status).toBe(201);
    const bad = await api.anonymous('GET', '/api/v1/sources', undefined, {
      authorization: 'Bearer dit_not-a-token',
    });
    expect(errorOf(bad.body).code).toBe('unauthenticated');
  });

  it('takes a button’s POST with a JSON content type and no body', async () => {
    const res = await admin.request('POST', '/api/v1/sources/nope/test-connection', undefined, {
      'content-type': 'application/json',
    });
    expect(errorOf(res.body).code).toBe('not_found');
  });

  it('signs out: the session no longer opens anything', async () => {
    const session = await api.signIn('admin');
    expect((await session.post('/api/v1/auth/logout')).status).toBe(204);
    expect((await session.get('/api/v1/auth/me')).status).toBe(401);
  });

  it('rejects unknown fields, short searches, bad cursors and bad ids with validation_failed naming the field', async () => {
    const extra = await admin.post('/api/v1/identities', { displayName: 'Ann', isAdmin: true });
    expect(extra.status).toBe(400);
    expect(errorOf(extra.body).code).toBe('validation_failed');
    const short = await admin.get('/api/v1/identities?q=a');
    expect(errorOf(short.body)).toMatchObject({
      code: 'validation_failed',
      details: [{ field: 'q' }],
    });
    const cursor = await admin.get('/api/v1/identities?cursor=bm9wZQ');
    expect(errorOf(cursor.body).details?.[0]?.field).toBe('cursor');
    const type = await admin.post('/api/v1/sources', {
      type: 'okta',
      name: 'x',
      ownerIdentityId: 'x',
    });
    expect(errorOf(type.body).code).toBe('validation_failed');
    expect(JSON.stringify(errorOf(type.body).details)).toMatch(/type/);
    const password = await admin.post('/api/v1/users', {
      username: 'shorty',
      password: 'short',
      role: 'viewer',
    });
    expect(errorOf(password.body).details?.[0]?.field).toBe('password');
  });

  it('answers unknown routes with not_found and oversized bodies with payload_too_large', async () => {
    const missing = await admin.get('/api/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(errorOf(missing.body).code).toBe('not_found');
    const unknownSource = await admin.get('/api/v1/sources/00000000-0000-0000-0000-000000000000');
    expect(errorOf(unknownSource.body).code).toBe('not_found');
    const big = await admin.post('/api/v1/identities', { displayName: 'x'.repeat(200_000) });
    expect(big.status).toBe(413);
    expect(errorOf(big.body).code).toBe('payload_too_large');
  });

  it('accepts only Duo API hosts, and loopback only where allowed', async () => {
    const owner = await newIdentity('Host Checker');
    const source = await newSource('duo', 'Host check', owner);
    const res = await admin.put(`/api/v1/sources/${source.id}/configuration`, {
      apiHost: 'evil.example.com',
      integrationKey: credential.ikey,
      secretKey: credential.skey,
    });
    expect(res.status).toBe(400);
    expect(errorOf(res.body).details?.[0]?.field).toBe('apiHost');
    const sshPort = await admin.put(`/api/v1/sources/${source.id}/configuration`, {
      apiHost: 'api-1234abcd.duosecurity.com:22',
      integrationKey: credential.ikey,
      secretKey: credential.skey,
    });
    expect(sshPort.status).toBe(400);
    expect(errorOf(sshPort.body).details?.[0]).toMatchObject({
      field: 'apiHost',
      message: expect.stringContaining('port 443 only') as unknown,
    });
  });

  describe('authorisation: each role against each mutating route', () => {
    const roles = ['admin', 'owner', 'group_member', 'other_manager', 'viewer'] as const;
    type Who = (typeof roles)[number];
    const clients = new Map<Who, Client>();
    let ownedSource: { id: string; name: string };
    let groupSource: { id: string; name: string };
    let ownerIdentity: string;
    let groupId: string;
    let accountId: number;

    beforeAll(async () => {
      ownerIdentity = await newIdentity('Olivia Owner');
      const memberIdentity = await newIdentity('Gary Member');
      const otherIdentity = await newIdentity('Oscar Other');
      const groupOwner = await newIdentity('Grace Groupowner');
      const group = await admin.post('/api/v1/governance-groups', { name: 'IAM team' });
      groupId = (group.body as { id: string }).id;
      await admin.post(`/api/v1/governance-groups/${groupId}/members`, {
        identityId: memberIdentity,
      });
      ownedSource = await newSource('duo', 'Owned by Olivia', ownerIdentity);
      groupSource = await newSource('duo', 'Managed by IAM team', groupOwner, {
        governanceGroupId: groupId,
      });
      const users: [Who, Role, string | null][] = [
        ['owner', 'source_manager', ownerIdentity],
        ['group_member', 'source_manager', memberIdentity],
        ['other_manager', 'source_manager', otherIdentity],
        ['viewer', 'viewer', null],
      ];
      clients.set('admin', admin);
      for (const [who, role, identityId] of users) {
        await api.createUser(`matrix-${who}`, role, identityId);
        clients.set(who, await api.signIn(`matrix-${who}`));
      }
      // An account of the owned source, for manual correlation.
      await configure(admin, ownedSource.id);
      expect(
        (await admin.post(`/api/v1/sources/${ownedSource.id}/test-connection`)).body,
      ).toMatchObject({ ok: true });
      const run = await admin.post(`/api/v1/sources/${ownedSource.id}/aggregate`);
      await waitForRun(admin, (run.body as { runId: string }).runId);
      const accounts = await admin.get(`/api/v1/sources/${ownedSource.id}/accounts?limit=1`);
      accountId = (accounts.body as { accounts: { id: number }[] }).accounts[0]?.id ?? 0;
      expect(accountId).toBeGreaterThan(0);
    });

    interface Case {
      readonly name: string;
      readonly allowed: readonly Who[];
      readonly send: (client: Client, who: Who) => Promise<{ status: number; body: unknown }>;
    }
    const ADMIN_ONLY: readonly Who[] = ['admin'];
    const OWNED: readonly Who[] = ['admin', 'owner'];
    const GROUP: readonly Who[] = ['admin', 'group_member'];
    let n = 0;
    const unique = (who: Who) => `${who}-${++n}`;
    const cases: Case[] = [
      {
        name: 'POST /users',
        allowed: ADMIN_ONLY,
        send: (c, w) =>
          c.post('/api/v1/users', {
            username: `u-${unique(w)}`,
            password: TEST_PASSWORD,
            role: 'viewer',
          }),
      },
      {
        name: 'PATCH /users/:id',
        allowed: ADMIN_ONLY,
        send: async (c, w) =>
          c.patch(`/api/v1/users/${(await api.createUser(`p-${unique(w)}`, 'viewer')).id}`, {
            role: 'viewer',
          }),
      },
      {
        name: 'DELETE /users/:id',
        allowed: ADMIN_ONLY,
        send: async (c, w) =>
          c.delete(`/api/v1/users/${(await api.createUser(`d-${unique(w)}`, 'viewer')).id}`),
      },
      {
        name: 'POST /tokens',
        allowed: ADMIN_ONLY,
        send: (c, w) => c.post('/api/v1/tokens', { name: `t-${unique(w)}` }),
      },
      {
        name: 'DELETE /tokens/:id',
        allowed: ADMIN_ONLY,
        send: async (c) => {
          const t = await api.withToken(adminUser);
          const list = await admin.get('/api/v1/tokens');
          const id =
            (list.body as { tokens: { id: string; prefix: string }[] }).tokens.find((x) =>
              t.token.startsWith(x.prefix),
            )?.id ?? '';
          return c.delete(`/api/v1/tokens/${id}`);
        },
      },
      {
        name: 'POST /identities',
        allowed: ADMIN_ONLY,
        send: (c, w) => c.post('/api/v1/identities', { displayName: `I ${unique(w)}` }),
      },
      {
        name: 'PATCH /identities/:id',
        allowed: ADMIN_ONLY,
        send: (c) =>
          c.patch(`/api/v1/identities/${ownerIdentity}`, { displayName: 'Olivia Owner' }),
      },
      {
        name: 'POST /governance-groups',
        allowed: ADMIN_ONLY,
        send: (c, w) => c.post('/api/v1/governance-groups', { name: `G ${unique(w)}` }),
      },
      {
        name: 'DELETE /governance-groups/:id',
        allowed: ADMIN_ONLY,
        send: async (c, w) => {
          const g = await admin.post('/api/v1/governance-groups', { name: `D ${unique(w)}` });
          return c.delete(`/api/v1/governance-groups/${(g.body as { id: string }).id}`);
        },
      },
      {
        name: 'POST /governance-groups/:id/members',
        allowed: ADMIN_ONLY,
        send: (c) =>
          c.post(`/api/v1/governance-groups/${groupId}/members`, { identityId: ownerIdentity }),
      },
      {
        name: 'DELETE /governance-groups/:id/members/:identityId',
        allowed: ADMIN_ONLY,
        send: (c) => c.delete(`/api/v1/governance-groups/${groupId}/members/${ownerIdentity}`),
      },
      {
        name: 'POST /sources (owned by the caller)',
        allowed: OWNED,
        send: (c, w) =>
          c.post('/api/v1/sources', {
            type: 'duo',
            name: `S ${unique(w)}`,
            ownerIdentityId: ownerIdentity,
          }),
      },
      {
        name: 'PATCH /sources/:id (owned)',
        allowed: OWNED,
        send: (c) => c.patch(`/api/v1/sources/${ownedSource.id}`, { description: 'changed' }),
      },
      {
        name: 'PATCH /sources/:id (group)',
        allowed: GROUP,
        send: (c) => c.patch(`/api/v1/sources/${groupSource.id}`, { description: 'changed' }),
      },
      {
        name: 'DELETE /sources/:id (owned)',
        allowed: OWNED,
        send: (c) => c.delete(`/api/v1/sources/${ownedSource.id}?confirm=not-the-name`),
      },
      {
        name: 'PUT /sources/:id/configuration (group)',
        allowed: GROUP,
        send: (c) => configure(c, groupSource.id),
      },
      {
        name: 'POST /sources/:id/test-connection (owned)',
        allowed: OWNED,
        send: (c) => c.post(`/api/v1/sources/${ownedSource.id}/test-connection`),
      },
      {
        name: 'POST /sources/:id/aggregate (group, not yet tested)',
        allowed: GROUP,
        send: (c) => c.post(`/api/v1/sources/${groupSource.id}/aggregate`),
      },
      {
        name: 'POST /sources/:id/sync (owned, a Duo source)',
        allowed: OWNED,
        send: (c) => c.post(`/api/v1/sources/${ownedSource.id}/sync`, {}),
      },
      {
        name: 'PUT /accounts/:id/identity (owned source)',
        allowed: OWNED,
        send: (c) => c.put(`/api/v1/accounts/${accountId}/identity`, { identityId: ownerIdentity }),
      },
      {
        name: 'DELETE /accounts/:id/identity (owned source)',
        allowed: OWNED,
        send: (c) => c.delete(`/api/v1/accounts/${accountId}/identity`),
      },
      {
        name: 'POST /demo',
        allowed: ADMIN_ONLY,
        send: (c) =>
          c.post('/api/v1/demo', {}).then((r) => (c === admin ? { status: 200, body: r.body } : r)),
      },
    ];

    for (const testCase of cases) {
      it(`${testCase.name}: ${testCase.allowed.join(', ')} may; the others get 403 forbidden`, async () => {
        for (const who of roles) {
          const client = clients.get(who);
          if (!client) throw new Error(`no client for ${who}`);
          if (testCase.name === 'POST /demo' && who === 'admin') continue; // its own test starts it
          const res = await testCase.send(client, who);
          if (testCase.allowed.includes(who)) {
            expect(
              [401, 403],
              `${who} should be allowed: ${JSON.stringify(res.body)}`,
            ).not.toContain(res.status);
          } else {
            expect(res.status, `${who} should be refused`).toBe(403);
            expect(errorOf(res.body).code).toBe('forbidden');
          }
        }
      });
    }

    it('lets every role read sources, identities and reports', async () => {
      for (const who of roles) {
        const client = clients.get(who);
        if (!client) throw new Error(`no client for ${who}`);
        for (const url of [
          '/api/v1/sources',
          '/api/v1/identities',
          '/api/v1/reports/sync-health',
          '/api/v1/governance-groups',
        ])
          expect((await client.get(url)).status, `${who} ${url}`).toBe(200);
        expect((await client.get('/api/v1/audit')).status).toBe(who === 'admin' ? 200 : 403);
        expect((await client.get('/api/v1/users')).status).toBe(who === 'admin' ? 200 : 403);
      }
    });
  });

  describe('the journey of a source, against the simulator', () => {
    let owner: string;
    let activity: { id: string; name: string };
    let duo: { id: string; name: string };

    beforeAll(async () => {
      owner = await newIdentity('Journey Owner');
      activity = await newSource('duo-activity', 'Duo logs', owner, {
        settings: { backfillDays: 3 },
      });
      duo = await newSource('duo', 'Duo accounts', owner);
    });

    it('keeps the secret key write-only: responses say hasSecret, never the key', async () => {
      const res = await configure(admin, activity.id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        hasSecret: true,
        state: 'configured',
        integrationKey: credential.ikey,
      });
      expect(res.text).not.toContain(credential.skey);
      const again = await admin.put(`/api/v1/sources/${activity.id}/configuration`, {
        apiHost: sim.url,
        integrationKey: credential.ikey,
      });
      expect(again.body).toMatchObject({ hasSecret: true });
    });

    it('refuses to run a source that has not passed Test Connection', async () => {
      const res = await admin.post(`/api/v1/sources/${activity.id}/sync`, {});
      expect(res.status).toBe(409);
      expect(errorOf(res.body).code).toBe('source_not_ready');
    });

    it('tests the connection: a wrong secret key gets the cause and the fix, the right one passes', async () => {
      await configure(admin, activity.id, `${credential.skey.slice(0, -4)}WXYZ`);
      const bad = await admin.post(`/api/v1/sources/${activity.id}/test-connection`);
      expect(bad.status).toBe(200);
      const verdict = bad.body as {
        ok: boolean;
        code: string;
        message: string;
        details: { fix: string };
      };
      expect(verdict.ok).toBe(false);
      expect(verdict.code).toBeTruthy();
      expect(verdict.details.fix.length).toBeGreaterThan(10);
      await configure(admin, activity.id);
      const good = await admin.post(`/api/v1/sources/${activity.id}/test-connection`);
      expect(good.body).toMatchObject({ ok: true });
      await configure(admin, duo.id);
      expect((await admin.post(`/api/v1/sources/${duo.id}/test-connection`)).body).toMatchObject({
        ok: true,
      });
    });

    it('aggregates in the background: 202 with a run id, then accounts and entitlements with members', async () => {
      const started = await admin.post(`/api/v1/sources/${duo.id}/aggregate`);
      expect(started.status).toBe(202);
      const run = await waitForRun(admin, (started.body as { runId: string }).runId);
      expect(run.status).toBe('succeeded');
      const accounts = await admin.get(`/api/v1/sources/${duo.id}/accounts?limit=500`);
      const list = (
        accounts.body as {
          accounts: { status: string; groups: unknown[]; identityId: string | null }[];
        }
      ).accounts;
      expect(list.length).toBe(60);
      expect(list.every((a) => a.identityId !== null)).toBe(true);
      const locked = await admin.get(
        `/api/v1/sources/${duo.id}/accounts?status=active&correlated=true&limit=500`,
      );
      expect(
        (locked.body as { accounts: { status: string }[] }).accounts.every(
          (a) => a.status === 'active',
        ),
      ).toBe(true);
      const firstName = (list[0] as unknown as { username: string }).username;
      const searched = (
        await admin.get(`/api/v1/sources/${duo.id}/accounts?q=${firstName.toUpperCase()}`)
      ).body as {
        accounts: { username: string }[];
      };
      expect(searched.accounts.map((a) => a.username)).toContain(firstName);
      expect(searched.accounts.every((a) => a.username.includes(firstName))).toBe(true);
      const uncorrelated = await admin.get(`/api/v1/sources/${duo.id}/accounts?correlated=false`);
      expect((uncorrelated.body as { accounts: unknown[] }).accounts).toHaveLength(0);
      const entitlements = await admin.get(`/api/v1/sources/${duo.id}/entitlements`);
      const groups = (entitlements.body as { entitlements: { id: number; duoGroupId: string }[] })
        .entitlements;
      expect(groups.length).toBeGreaterThan(0);
      const first = groups[0];
      if (!first) throw new Error('no entitlement');
      const members = await admin.get(`/api/v1/sources/${duo.id}/entitlements/${first.id}/members`);
      const byGroup = await admin.get(
        `/api/v1/sources/${duo.id}/accounts?group=${first.duoGroupId}&limit=500`,
      );
      expect((byGroup.body as { accounts: unknown[] }).accounts.length).toBe(
        (members.body as { accounts: unknown[] }).accounts.length,
      );
    });

    it('syncs in the background, answers source_busy while it runs, and shows stream health', async () => {
      await control({ url: sim.url, host: sim.host }, 'POST', '/_sim/faults', {
        kind: 'slow',
        path: '/admin/v2/logs/authentication',
        count: 1,
        delayMs: 800,
      });
      const started = await admin.post(`/api/v1/sources/${activity.id}/sync`, {});
      expect(started.status).toBe(202);
      const busy = await admin.post(`/api/v1/sources/${activity.id}/sync`, {});
      expect(busy.status).toBe(409);
      expect(errorOf(busy.body).code).toBe('source_busy');
      const run = await waitForRun(admin, (started.body as { runId: string }).runId);
      expect(run.status).toBe('succeeded');
      const streams = (await admin.get(`/api/v1/sources/${activity.id}/streams`)).body as {
        streams: {
          stream: string;
          state: string;
          syncedUntil: number | null;
          lagMs: number | null;
          pages: number;
        }[];
      };
      expect(streams.streams.map((s) => s.stream).sort()).toEqual([
        'activity',
        'administrator',
        'authentication',
        'offline_enrollment',
        'telephony',
      ]);
      for (const s of streams.streams) {
        expect(s.state).toBe('ok');
        expect(s.syncedUntil).not.toBeNull();
        expect(s.pages).toBeGreaterThan(0);
      }
      // Every record Duo sent was read: nothing kept aside.
      const rejected = await admin.get(`/api/v1/sources/${activity.id}/rejected-records`);
      expect(rejected.status).toBe(200);
      expect(rejected.body).toEqual({ records: [], next: null });
      const list = (await admin.get('/api/v1/sources')).body as {
        sources: {
          id: string;
          lastRun: { status: string } | null;
          nextRunAt: number | null;
          health: unknown;
        }[];
      };
      const item = list.sources.find((s) => s.id === activity.id);
      expect(item?.lastRun?.status).toBe('succeeded');
      expect(item?.nextRunAt).toBeGreaterThan(Date.now());
      const runs = await admin.get(`/api/v1/sources/${activity.id}/runs?limit=2`);
      expect((runs.body as { runs: unknown[]; next: string | null }).runs).toHaveLength(2);
      expect((runs.body as { next: string | null }).next).not.toBeNull();
    });

    it('shows an identity’s accounts, filtered timeline pages and insights', async () => {
      const accounts = (
        await admin.get(`/api/v1/sources/${duo.id}/accounts?status=active&limit=500`)
      ).body as {
        accounts: { identityId: string }[];
      };
      let best: { id: string; total: number } | undefined;
      for (const a of accounts.accounts.slice(0, 20)) {
        const insights = (await admin.get(`/api/v1/identities/${a.identityId}/insights`)).body as {
          counts: { d90: number };
        };
        if (!best || insights.counts.d90 > best.total)
          best = { id: a.identityId, total: insights.counts.d90 };
      }
      if (!best || best.total === 0) throw new Error('no identity with activity');
      const identity = (await admin.get(`/api/v1/identities/${best.id}`)).body as {
        accounts: { sourceName: string; status: string; groups: unknown[] }[];
      };
      expect(identity.accounts.map((a) => a.sourceName)).toContain('Duo accounts');
      const insights = (await admin.get(`/api/v1/identities/${best.id}/insights`)).body as {
        lastActivityMs: number;
        daysActive90: number;
        counts: { d30: number; d90: number };
        orgAverage: { d30: number; d90: number };
        factors: { value: string; count: number }[];
        locations: { value: string; firstMs: number }[];
        daily: { day: string; result: string | null; count: number }[];
        dailyByType: { day: string; type: string; count: number }[];
        authentications: { total: number; success: number; denied: number; fraud: number };
        eventsByType: Record<string, number>;
      };
      expect(insights.lastActivityMs).toBeGreaterThan(Date.now() - 4 * 86_400_000);
      expect(insights.daysActive90).toBeGreaterThan(0);
      expect(insights.daysActive90).toBeLessThanOrEqual(4);
      // The chart's stacked series is authentications by result; other types come apart.
      expect(insights.daily.reduce((sum, d) => sum + d.count, 0)).toBe(
        insights.authentications.total,
      );
      expect(new Set(insights.daily.map((d) => d.result))).not.toContain('authentication');
      expect(
        insights.authentications.total + insights.dailyByType.reduce((sum, d) => sum + d.count, 0),
      ).toBe(insights.counts.d90);
      expect(Object.values(insights.eventsByType).reduce((a, b) => a + b, 0)).toBe(
        insights.counts.d90,
      );
      expect(insights.orgAverage.d90).toBeGreaterThan(0);
      expect(insights.factors.length).toBeGreaterThan(0);
      // The timeline pages through every event of the identity, newest first.
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const page = (
          await admin.get(
            `/api/v1/identities/${best.id}/activity?limit=7${cursor ? `&cursor=${cursor}` : ''}`,
          )
        ).body as { events: { id: number; tsMs: number }[]; next: string | null };
        seen.push(...page.events.map((e) => e.tsMs));
        cursor = page.next;
      } while (cursor);
      expect(seen.length).toBe(insights.counts.d90);
      expect([...seen].sort((a, b) => b - a)).toEqual(seen);
      const success = (
        await admin.get(
          `/api/v1/identities/${best.id}/activity?stream=authentication&result=success&limit=1000`,
        )
      ).body as { events: { stream: string; result: string }[] };
      expect(
        success.events.every((e) => e.stream === 'authentication' && e.result === 'success'),
      ).toBe(true);
      const badStream = await admin.get(`/api/v1/identities/${best.id}/activity?stream=bogus`);
      expect(errorOf(badStream.body).code).toBe('validation_failed');
    });

    it('correlates an account by hand and keeps it across aggregations', async () => {
      const target = await newIdentity('Manual Match');
      const accounts = (await admin.get(`/api/v1/sources/${duo.id}/accounts?limit=1`)).body as {
        accounts: { id: number }[];
      };
      const accountId = accounts.accounts[0]?.id;
      const res = await admin.put(`/api/v1/accounts/${accountId}/identity`, { identityId: target });
      expect(res.body).toMatchObject({ identityId: target, correlation: 'manual' });
      const again = await admin.post(`/api/v1/sources/${duo.id}/aggregate`);
      await waitForRun(admin, (again.body as { runId: string }).runId);
      const identity = (await admin.get(`/api/v1/identities/${target}`)).body as {
        accounts: { id: number }[];
      };
      expect(identity.accounts.map((a) => a.id)).toEqual([accountId]);
    });

    it('reports dormant accounts, an access review with suggestions, admin actions and sync health, each also as CSV', async () => {
      const dormant = (await admin.get('/api/v1/reports/dormant-accounts?days=1')).body as {
        accounts: { status: string; lastActivityMs: number | null }[];
      };
      expect(dormant.accounts.every((a) => a.status === 'active')).toBe(true);
      expect(
        dormant.accounts.every(
          (a) => a.lastActivityMs === null || a.lastActivityMs < Date.now() - 86_400_000,
        ),
      ).toBe(true);
      const csv = await admin.get('/api/v1/reports/dormant-accounts?days=1&format=csv');
      expect(csv.headers['content-type']).toMatch(/text\/csv/);
      expect(csv.text.split('\r\n')[0]).toMatch(/^source,username,/);
      expect(csv.text.split('\r\n').filter((l) => l.length > 0)).toHaveLength(
        dormant.accounts.length + 1,
      );

      const groups = (await admin.get(`/api/v1/sources/${duo.id}/entitlements`)).body as {
        entitlements: { id: number }[];
      };
      const review = (
        await admin.get(`/api/v1/reports/access-review?entitlementId=${groups.entitlements[0]?.id}`)
      ).body as {
        members: { suggestion: string; reason: string; daysActive90: number; status: string }[];
      };
      expect(review.members.length).toBeGreaterThan(0);
      for (const m of review.members) {
        expect(['keep', 'revoke']).toContain(m.suggestion);
        expect(m.reason.length).toBeGreaterThan(5);
        if (m.status === 'disabled') expect(m.suggestion).toBe('revoke');
        if (m.suggestion === 'keep') expect(m.daysActive90).toBeGreaterThan(0);
      }
      const reviewCsv = await admin.get(
        `/api/v1/reports/access-review?entitlementId=${groups.entitlements[0]?.id}&format=csv`,
      );
      expect(reviewCsv.text).toMatch(
        /^username,realname,email,identity,status,last_activity,days_active_90,suggestion,reason/,
      );

      const actions = (await admin.get('/api/v1/reports/admin-actions?limit=5')).body as {
        actions: { admin: string | null; action: string | null; tsMs: number }[];
        next: string | null;
      };
      expect(actions.actions).toHaveLength(5);
      expect(actions.actions[0]?.action).toBeTruthy();
      expect(actions.next).not.toBeNull();
      expect((await admin.get('/api/v1/reports/admin-actions?format=csv')).text).toMatch(
        /^time,admin,action,object,description/,
      );

      const health = (await admin.get('/api/v1/reports/sync-health')).body as {
        sources: { sourceName: string; streams: { state: string }[] }[];
      };
      expect(health.sources.find((s) => s.sourceName === 'Duo logs')?.streams).toHaveLength(5);
      expect((await admin.get('/api/v1/reports/sync-health?format=csv')).text).toMatch(
        /^source,type,source_state,stream/,
      );
    });

    it('deletes a source only when confirmed by its name, with its data', async () => {
      const unconfirmed = await admin.delete(`/api/v1/sources/${duo.id}`);
      expect(errorOf(unconfirmed.body).details?.[0]?.field).toBe('confirm');
      const deleted = await admin.delete(
        `/api/v1/sources/${duo.id}?confirm=${encodeURIComponent(duo.name)}`,
      );
      expect(deleted.status).toBe(204);
      expect((await admin.get(`/api/v1/sources/${duo.id}`)).status).toBe(404);
      expect((await admin.get(`/api/v1/sources/${duo.id}/accounts`)).status).toBe(404);
    });

    it('keeps an audit trail of who created, configured, tested, synced and deleted what', async () => {
      const audit = (await admin.get('/api/v1/audit?limit=1000')).body as {
        entries: { actor: string; action: string; targetName: string | null; details: unknown }[];
      };
      const about = (name: string) =>
        audit.entries.filter((e) => e.targetName === name).map((e) => e.action);
      expect(about('Duo logs')).toEqual(
        expect.arrayContaining(['source.create', 'source.configure', 'source.test', 'source.sync']),
      );
      expect(about('Duo accounts')).toEqual(
        expect.arrayContaining(['source.aggregate', 'source.delete']),
      );
      expect(audit.entries.every((e) => e.actor.length > 0)).toBe(true);
      expect(JSON.stringify(audit)).not.toContain(credential.skey);
    });
  });

  it('never puts a secret key, password, session cookie or API token in an answer or a log line', async () => {
    const token = await api.withToken(adminUser);
    await token.get('/api/v1/sources');
    const secrets = [credential.skey, TEST_PASSWORD, admin.cookie, token.token];
    // Two kinds of answer hand a secret out once, on purpose: sign-in (its own session cookie)
    // and token creation (the new token).
    const answers = api.answers.filter((a) => !a.includes('"token":"dit_') && !/ login /.test(a));
    for (const secret of secrets) {
      for (const answer of answers)
        expect(answer.includes(secret), `an answer shows ${secret.slice(0, 4)}…`).toBe(false);
      for (const line of api.logs)
        expect(line.includes(secret), `a log line shows ${secret.slice(0, 4)}…`).toBe(false);
    }
    expect(api.logs.length).toBeGreaterThan(50);
  });
});
