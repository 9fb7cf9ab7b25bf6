/**
 * Who may change what, over HTTP (`app.inject`): each role — admin, a source's owner, a member of
 * its governance group, another source manager, a viewer — against each route that changes
 * something, and every role reading. An aggregation against the simulator gives an account to
 * correlate by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role, User } from '../domain/users.js';
import { randomCredential, startSimulator, type Simulator } from '../sim/server.js';
import {
  createIdentityVia,
  createSourceVia,
  errorOf,
  startTestApi,
  TEST_PASSWORD,
  waitForRun,
  type Client,
  type TestApi,
} from '../../test/support/api.js';

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

  const newIdentity = (name: string): Promise<string> => createIdentityVia(admin, name);

  const newSource = (
    type: 'duo' | 'duo-activity',
    name: string,
    ownerIdentityId: string,
    extra = {},
  ) => createSourceVia(admin, type, name, ownerIdentityId, extra);

  async function configure(client: Client, sourceId: string, skey = credential.skey) {
    return client.put(`/api/v1/sources/${sourceId}/configuration`, {
      apiHost: sim.url,
      integrationKey: credential.ikey,
      secretKey: skey,
    });
  }

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
        name: 'GET /sources/:id/test-connection (owned)',
        allowed: OWNED,
        send: (c) => c.get(`/api/v1/sources/${ownedSource.id}/test-connection`),
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
        name: 'POST /accounts/:id/actions (owned source)',
        allowed: OWNED,
        send: (c) => c.post(`/api/v1/accounts/${accountId}/actions`, { action: 'disable' }),
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
});
