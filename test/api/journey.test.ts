/**
 * The journey of a source through the whole product, in-process (`app.inject`) on SQLite with the
 * real simulator over HTTP behind it: configure, test, aggregate, sync, an identity's accounts,
 * timeline and insights, manual correlation, the reports, delete, the audit trail — and no secret
 * in any answer or log line of it all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomCredential, startSimulator, type Simulator } from '../../src/sim/server.js';
import { control } from '../../src/sim/testing.js';
import type { User } from '../../src/domain/users.js';
import {
  createIdentityVia,
  createSourceVia,
  errorOf,
  startTestApi,
  TEST_PASSWORD,
  waitForRun,
  type Client,
  type TestApi,
} from '../support/api.js';

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
      const accounts = await admin.get(`/api/v1/sources/${duo.id}/accounts?kind=user&limit=500`);
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
      // Test Connection while the sync runs: refused in words, without the source's or run's id.
      const runId = (started.body as { runId: string }).runId;
      const test = await admin.post(`/api/v1/sources/${activity.id}/test-connection`, {});
      expect(test.status).toBe(409);
      expect(errorOf(test.body).code).toBe('source_busy');
      expect(errorOf(test.body).message).toBe(
        'Test Connection cannot start while a sync of this source is running; try again when it ends',
      );
      expect(test.text).not.toContain(activity.id);
      expect(test.text).not.toContain(runId);
      const running = (await admin.get(`/api/v1/runs/${runId}`)).body as {
        status: string;
        startedAt: number | null;
        stats: { windows: { done: number; total: number } | null; firstSync: boolean };
      };
      expect(running.status).toBe('running');
      expect(running.startedAt).toEqual(expect.any(Number));
      const run = await waitForRun(admin, runId);
      expect(run.status).toBe('succeeded');
      const finished = (await admin.get(`/api/v1/runs/${runId}`)).body as {
        stats: {
          pages: number;
          events: number;
          windows: { done: number; total: number };
          warnings: string[];
        };
      };
      expect(finished.stats.pages).toBeGreaterThan(0);
      expect(finished.stats.events).toBeGreaterThan(0);
      expect(finished.stats.windows.total).toBeGreaterThan(0);
      expect(finished.stats.windows.done).toBe(finished.stats.windows.total);
      expect(finished.stats.warnings).toEqual([]);
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
        'trust_monitor',
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
        // A keep rests on days with events, or on Duo's own last login within 90 days.
        if (m.suggestion === 'keep' && m.daysActive90 === 0)
          expect(m.reason).toMatch(/Duo's last login/);
      }
      const reviewCsv = await admin.get(
        `/api/v1/reports/access-review?entitlementId=${groups.entitlements[0]?.id}&format=csv`,
      );
      expect(reviewCsv.text).toMatch(
        /^username,realname,email,identity,status,kind,last_activity,days_active_90,suggestion,reason/,
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
      expect(health.sources.find((s) => s.sourceName === 'Duo logs')?.streams).toHaveLength(6);
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
