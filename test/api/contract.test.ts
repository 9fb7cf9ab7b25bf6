/**
 * One contract for every answer. Every route of the router (`server.routes`) declares the schema
 * of each status it answers — its own 2xx and every error status in the one error shape — and the
 * OpenAPI document shows each of them (the reports also as text/csv). With a tenant's data in the
 * store (the simulator behind two sources: aggregated and synced), every main GET answers 200 in
 * its contract: a list is `{ <plural>: [...], next }`, one resource is the object itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import * as contract from '../../src/api/contract/index.js';
import { randomCredential, startSimulator, type Simulator } from '../../src/sim/server.js';
import { startTestApi, waitForRun, type Client, type TestApi } from '../support/api.js';

const ERROR_STATUSES = ['400', '401', '403', '404', '409', '413', '429', '500'];
const CSV_REPORTS = [
  '/api/v1/reports/dormant-accounts',
  '/api/v1/reports/access-review',
  '/api/v1/reports/admin-actions',
  '/api/v1/reports/security-events',
  '/api/v1/reports/sync-health',
];

interface OpenApiResponse {
  content?: Record<string, { schema?: unknown }>;
}

describe('the answer contract', () => {
  let api: TestApi;
  let sim: Simulator;
  let admin: Client;
  const credential = randomCredential();
  const ids = {
    identity: '',
    group: '',
    duo: '',
    activity: '',
    entitlement: 0,
    role: 0,
    run: '',
  };

  beforeAll(async () => {
    sim = await startSimulator({
      credentials: [credential],
      users: 30,
      days: 2,
      authEventsPerDay: 300,
      seed: 'contract-tests',
    });
    api = await startTestApi();
    await api.createUser('admin', 'admin');
    admin = await api.signIn('admin');
  });

  afterAll(async () => {
    await api.close();
    await sim.close();
  });

  it('declares an answer schema for every status of every route', () => {
    const apiRoutes = api.server.routes.filter((r) => !r.console && r.method !== 'HEAD');
    expect(apiRoutes.length).toBeGreaterThan(40);
    const missing = apiRoutes.flatMap((r) => {
      const own = r.responses.filter((s) => /^2\d\d$/.test(s));
      const errors = ERROR_STATUSES.filter((s) => !r.responses.includes(s));
      return own.length === 0 || errors.length > 0
        ? [`${r.method} ${r.url}: ${own.length === 0 ? 'no 2xx' : ''} ${errors.join(',')}`]
        : [];
    });
    expect(missing).toEqual([]);
  });

  it('documents every answer in the OpenAPI document, the reports also as text/csv', async () => {
    const doc = (await api.anonymous('GET', '/api/v1/openapi.json')).body as {
      paths: Record<string, Record<string, { responses?: Record<string, OpenApiResponse> }>>;
    };
    const problems: string[] = [];
    let operations = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        operations++;
        const label = `${method.toUpperCase()} ${path}`;
        const responses = operation.responses ?? {};
        const own = Object.keys(responses).filter((s) => /^2\d\d$/.test(s));
        if (own.length === 0) problems.push(`${label}: no 2xx answer`);
        for (const status of own) {
          if (status === '204') continue;
          if (responses[status]?.content?.['application/json']?.schema === undefined)
            problems.push(`${label}: ${status} has no JSON schema`);
        }
        for (const status of ERROR_STATUSES) {
          const schema = responses[status]?.content?.['application/json']?.schema;
          if (!JSON.stringify(schema ?? {}).includes('validation_failed'))
            problems.push(`${label}: ${status} is not the error shape`);
        }
        if (CSV_REPORTS.includes(path) && !responses['200']?.content?.['text/csv'])
          problems.push(`${label}: no text/csv answer`);
      }
    }
    expect(operations).toBeGreaterThan(40);
    expect(problems).toEqual([]);
  });

  it('answers every main GET in its contract, with a tenant’s data in the store', async () => {
    const identity = await admin.post('/api/v1/identities', {
      displayName: 'Ada Contract',
      email: 'ada@example.org',
    });
    expect(identity.status).toBe(201);
    ids.identity = contract.Identity.parse(identity.body).id;
    const group = await admin.post('/api/v1/governance-groups', { name: 'Contract team' });
    ids.group = contract.GovernanceGroup.parse(group.body).id;
    const members = await admin.post(`/api/v1/governance-groups/${ids.group}/members`, {
      identityId: ids.identity,
    });
    expect(contract.MemberList.parse(members.body).members.map((m) => m.id)).toEqual([
      ids.identity,
    ]);
    for (const type of ['duo', 'duo-activity'] as const) {
      const created = await admin.post('/api/v1/sources', {
        type,
        name: `Contract ${type}`,
        ownerIdentityId: ids.identity,
      });
      expect(created.status).toBe(201);
      const id = contract.Source.parse(created.body).id;
      ids[type === 'duo' ? 'duo' : 'activity'] = id;
      const configured = await admin.put(`/api/v1/sources/${id}/configuration`, {
        apiHost: sim.url,
        integrationKey: credential.ikey,
        secretKey: credential.skey,
      });
      expect(contract.Source.parse(configured.body).hasSecret).toBe(true);
      const tested = await admin.post(`/api/v1/sources/${id}/test-connection`);
      expect(contract.ConnectionTest.parse(tested.body).ok).toBe(true);
      const started = await admin.post(
        `/api/v1/sources/${id}/${type === 'duo' ? 'aggregate' : 'sync'}`,
      );
      expect(started.status).toBe(202);
      const { runId } = contract.RunStarted.parse(started.body);
      expect((await waitForRun(admin, runId, 60_000)).status).toBe('succeeded');
      if (type === 'duo') ids.run = runId;
    }
    const entitlements = await admin.get(`/api/v1/sources/${ids.duo}/entitlements`);
    const listed = contract.EntitlementList.parse(entitlements.body).entitlements;
    ids.entitlement = listed.find((e) => e.kind === 'group')?.id ?? 0;
    ids.role = listed.find((e) => e.kind === 'admin_role' && e.name === 'Administrator')?.id ?? 0;
    const accounts = contract.AccountList.parse(
      (await admin.get(`/api/v1/sources/${ids.duo}/accounts`)).body,
    ).accounts;
    const linked = accounts[0];
    if (!linked) throw new Error('the aggregation brought no accounts');
    const put = await admin.put(`/api/v1/accounts/${linked.id}/identity`, {
      identityId: ids.identity,
    });
    expect(contract.Account.parse(put.body).identityId).toBe(ids.identity);

    const destination = await admin.post('/api/v1/destinations', {
      name: 'Contract SIEM',
      type: 'syslog',
      transport: 'tcp',
      host: '127.0.0.1',
      port: 9,
      format: 'cef',
    });
    expect(destination.status).toBe(201);
    const destinationId = contract.Destination.parse(destination.body).id;

    const walk: [string, z.ZodType][] = [
      ['/api/v1/destinations', contract.DestinationList],
      [`/api/v1/destinations/${destinationId}`, contract.Destination],
      ['/api/v1/health', contract.Health],
      ['/api/v1/auth/me', contract.Me],
      ['/api/v1/users', contract.UserList],
      ['/api/v1/tokens', contract.ApiTokenList],
      ['/api/v1/identities', contract.IdentityList],
      [`/api/v1/identities/${ids.identity}`, contract.IdentityDetail],
      [`/api/v1/identities/${ids.identity}/activity`, contract.ActivityEventList],
      [`/api/v1/identities/${ids.identity}/insights`, contract.Insights],
      ['/api/v1/governance-groups', contract.GovernanceGroupList],
      [`/api/v1/governance-groups/${ids.group}`, contract.GovernanceGroupDetail],
      ['/api/v1/sources', contract.SourceList],
      [`/api/v1/sources/${ids.duo}`, contract.SourceSummary],
      [`/api/v1/sources/${ids.activity}`, contract.SourceSummary],
      [`/api/v1/sources/${ids.duo}/runs`, contract.RunList],
      [`/api/v1/runs/${ids.run}`, contract.Run],
      [`/api/v1/sources/${ids.activity}/streams`, contract.StreamList],
      [`/api/v1/sources/${ids.activity}/storage`, contract.SourceStorage],
      [`/api/v1/sources/${ids.activity}/rejected-records`, contract.RejectedRecordList],
      [`/api/v1/sources/${ids.duo}/accounts`, contract.AccountList],
      [`/api/v1/sources/${ids.duo}/accounts?kind=administrator`, contract.AccountList],
      [`/api/v1/sources/${ids.duo}/entitlements`, contract.EntitlementList],
      [`/api/v1/sources/${ids.duo}/entitlements?kind=admin_role`, contract.EntitlementList],
      [`/api/v1/identities/${ids.identity}/activity?as=administrator`, contract.ActivityEventList],
      ['/api/v1/reports/dormant-accounts?kind=administrator', contract.DormantAccountsReport],
      [`/api/v1/reports/access-review?entitlementId=${ids.role}`, contract.AccessReviewReport],
      [
        `/api/v1/sources/${ids.duo}/entitlements/${ids.entitlement}/members`,
        contract.EntitlementMembers,
      ],
      ['/api/v1/reports/dormant-accounts', contract.DormantAccountsReport],
      [
        `/api/v1/reports/access-review?entitlementId=${ids.entitlement}`,
        contract.AccessReviewReport,
      ],
      ['/api/v1/reports/admin-actions', contract.AdminActionList],
      ['/api/v1/reports/security-events', contract.SecurityEventList],
      ['/api/v1/reports/sync-health', contract.SyncHealthReport],
      ['/api/v1/audit', contract.AuditList],
      ['/api/v1/demo', contract.DemoStatus],
    ];
    const wrong: string[] = [];
    for (const [path, schema] of walk) {
      const res = await admin.get(path);
      const parsed = schema.safeParse(res.body);
      if (res.status !== 200 || !parsed.success)
        wrong.push(`${path}: ${res.status} ${parsed.error?.message ?? res.text.slice(0, 300)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('sends each thing the console shows: members, account counts, last sign-in, run progress', async () => {
    const group = contract.GovernanceGroupDetail.parse(
      (await admin.get(`/api/v1/governance-groups/${ids.group}`)).body,
    );
    expect(group.members.map((m) => m.displayName)).toEqual(['Ada Contract']);
    const identities = contract.IdentityList.parse((await admin.get('/api/v1/identities')).body);
    expect(identities.identities.find((i) => i.id === ids.identity)?.accountCount).toBe(1);
    const users = contract.UserList.parse((await admin.get('/api/v1/users')).body);
    expect(users.users.find((u) => u.username === 'admin')?.lastSignInAt).toEqual(
      expect.any(Number),
    );
    const run = contract.Run.parse((await admin.get(`/api/v1/runs/${ids.run}`)).body);
    expect(run.progressShare).toBe(1);
  });

  it('lists administrators and users apart, with their kinds, roles and admin-role entitlements', async () => {
    const kindsOf = async (query: string) =>
      contract.AccountList.parse(
        (await admin.get(`/api/v1/sources/${ids.duo}/accounts?limit=1000${query}`)).body,
      ).accounts;
    const admins = await kindsOf('&kind=administrator');
    expect(admins.map((a) => a.duoUserId).sort()).toEqual(
      sim.dataset
        .admins()
        .map((a) => a.admin_id)
        .sort(),
    );
    expect(admins.every((a) => a.kind === 'administrator' && a.adminRole !== null)).toBe(true);
    expect(admins.every((a) => a.groups.length === 1 && a.groups[0]?.name === a.adminRole)).toBe(
      true,
    );
    const users = await kindsOf('&kind=user');
    expect(users).toHaveLength(sim.dataset.userCount());
    expect(users.every((a) => a.kind === 'user' && a.adminRole === null)).toBe(true);
    expect(await kindsOf('')).toHaveLength(users.length + admins.length);
    const holders = await kindsOf('&group=Help%20Desk');
    expect(holders.map((a) => a.adminRole)).toEqual(
      sim.dataset
        .admins()
        .filter((a) => a.role === 'Help Desk')
        .map(() => 'Help Desk'),
    );
    const bad = await admin.get(`/api/v1/sources/${ids.duo}/accounts?kind=robot`);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('kind');

    const roles = contract.EntitlementList.parse(
      (await admin.get(`/api/v1/sources/${ids.duo}/entitlements?kind=admin_role`)).body,
    ).entitlements;
    expect(roles.map((r) => r.name)).toContain('Owner');
    expect(roles.every((r) => r.kind === 'admin_role')).toBe(true);
    const review = contract.AccessReviewReport.parse(
      (await admin.get(`/api/v1/reports/access-review?entitlementId=${ids.role}`)).body,
    );
    expect(review.entitlement.kind).toBe('admin_role');
    expect(review.members.map((m) => m.duoUserId).sort()).toEqual(
      sim.dataset
        .admins()
        .filter((a) => a.role === 'Administrator')
        .map((a) => a.admin_id)
        .sort(),
    );
    const dormant = contract.DormantAccountsReport.parse(
      (await admin.get('/api/v1/reports/dormant-accounts?kind=administrator&days=30')).body,
    );
    expect(dormant.kind).toBe('administrator');
    expect(dormant.accounts.every((a) => a.kind === 'administrator')).toBe(true);
    const source = contract.SourceSummary.parse(
      (await admin.get(`/api/v1/sources/${ids.duo}`)).body,
    );
    expect(source.health).toMatchObject({ administrators: { available: true, reason: null } });
  });

  it('answers one resource as the object itself, not wrapped', async () => {
    const source = (await admin.get(`/api/v1/sources/${ids.duo}`)).body as Record<string, unknown>;
    expect(source['id']).toBe(ids.duo);
    expect(source).not.toHaveProperty('source');
    const run = (await admin.get(`/api/v1/runs/${ids.run}`)).body as Record<string, unknown>;
    expect(run).not.toHaveProperty('run');
    const identity = (await admin.get(`/api/v1/identities/${ids.identity}`)).body;
    expect(identity).not.toHaveProperty('identity');
    const group = (await admin.get(`/api/v1/governance-groups/${ids.group}`)).body;
    expect(group).not.toHaveProperty('governanceGroup');
  });
});
