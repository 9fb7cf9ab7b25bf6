/**
 * End to end, as a newcomer would run it: `duo-insights serve` and `duo-insights sim` as separate
 * processes, everything over real HTTP. Both sources are created over the API; Test Connection
 * meets a good key and each kind of bad one; aggregation and sync run; one identity's insights
 * equal what the simulator's ground truth says (its deterministic tenant, rebuilt here from the
 * same seed and start). Needs `dist/` (npm test builds it first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayOf } from '../../src/domain/activity.js';
import { ms } from '../../src/domain/time.js';
import { createDataset } from '../../src/sim/dataset.js';
import { randomCredential } from '../../src/sim/server.js';

const MAIN = join(import.meta.dirname, '../../dist/cli/main.js');
const PASSWORD = 'an admin password for e2e';
const TENANT = { seed: 'e2e-tenant', users: 80, days: 3, authPerDay: 2000 };

interface Verdict {
  ok: boolean;
  code?: string;
  details: { fix: string; permission?: string; networkReason?: string };
}

interface Started {
  readonly child: ChildProcess;
  readonly firstLine: string;
  readonly stderr: () => string;
}

function start(args: string[], env: Record<string, string>, pattern: RegExp): Promise<Started> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no start within 20 s: ${err}`));
    }, 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => pattern.test(l));
      if (line) {
        clearTimeout(timer);
        resolve({ child, firstLine: line, stderr: () => err });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${String(code)}: ${err}`));
    });
  });
}

async function stop(child: ChildProcess | undefined): Promise<number | null> {
  if (!child || child.exitCode !== null) return child?.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      resolve(code);
    }),
  );
  child.kill('SIGTERM');
  return exited;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return port;
}

describe('end to end: server and simulator as separate processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'di-e2e-'));
  const good = randomCredential();
  const limited = randomCredential();
  let sim: Started;
  let server: Started;
  let simUrl = '';
  let base = '';
  let cookie = '';
  let csrf = '';

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the JSON shape it expects
  async function call<T = Record<string, never>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        cookie,
        ...(method === 'GET' ? {} : { 'x-csrf-token': csrf }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text.length > 0 ? JSON.parse(text) : {}) as T };
  }

  async function waitForRun(runId: string): Promise<{ status: string; error: unknown }> {
    const until = Date.now() + 60_000;
    for (;;) {
      const { body } = await call<{ status: string; error: unknown }>(
        'GET',
        `/api/v1/runs/${runId}`,
      );
      if (!['queued', 'running'].includes(body.status)) return body;
      if (Date.now() > until) throw new Error(`run ${runId} did not finish`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    sim = await start(
      [
        'sim',
        '--ikey',
        good.ikey,
        '--skey',
        good.skey,
        '--seed',
        TENANT.seed,
        '--users',
        String(TENANT.users),
        '--days',
        String(TENANT.days),
        '--auth-per-day',
        String(TENANT.authPerDay),
        '--rate-limit',
        'off',
      ],
      {},
      /"url"/,
    );
    simUrl = (JSON.parse(sim.firstLine) as { url: string }).url;
    // A second credential that lacks "Grant read log".
    const added = await fetch(`${simUrl}/_sim/credentials`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...limited, permissions: ['read_resource'] }),
    });
    expect(added.status).toBe(200);
    server = await start(
      ['serve'],
      {
        PORT: '0',
        DUO_INSIGHTS_DATA_DIR: dir,
        DUO_INSIGHTS_ADMIN_PASSWORD: PASSWORD,
        DUO_INSIGHTS_ALLOW_LOOPBACK_DUO_HOSTS: 'true',
        DUO_INSIGHTS_DUO_RATE_LIMIT: 'off',
        LOG_LEVEL: 'warn',
      },
      /listening on/,
    );
    base = /http:\/\/[^\s]+/.exec(server.firstLine)?.[0] ?? '';
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    csrf = ((await login.json()) as { csrfToken: string }).csrfToken;
  });

  afterAll(async () => {
    const code = await stop(server.child);
    await stop(sim.child);
    rmSync(dir, { recursive: true, force: true });
    expect(code, server.stderr()).toBe(0);
  });

  let activityId = '';
  let duoId = '';

  it('creates both sources over HTTP', async () => {
    const owner = await call<{ id: string }>('POST', '/api/v1/identities', {
      displayName: 'E2E Owner',
      email: 'owner@example.org',
    });
    const ownerId = owner.body.id;
    const activity = await call<{ id: string }>('POST', '/api/v1/sources', {
      type: 'duo-activity',
      name: 'Activity',
      ownerIdentityId: ownerId,
      settings: { backfillDays: TENANT.days + 1 },
    });
    const duo = await call<{ id: string }>('POST', '/api/v1/sources', {
      type: 'duo',
      name: 'Accounts',
      ownerIdentityId: ownerId,
    });
    expect([activity.status, duo.status]).toEqual([201, 201]);
    activityId = activity.body.id;
    duoId = duo.body.id;
  });

  it('tests the connection: passes with a good key, and names the cause and fix of each bad one', async () => {
    const closedPort = await freePort();
    const attempts: [
      string,
      { apiHost: string; integrationKey: string; secretKey: string },
      string,
    ][] = [
      [
        'wrong integration key',
        { apiHost: simUrl, integrationKey: randomCredential().ikey, secretKey: good.skey },
        'invalid_integration_key',
      ],
      [
        'wrong secret key',
        { apiHost: simUrl, integrationKey: good.ikey, secretKey: randomCredential().skey },
        'invalid_signature',
      ],
      [
        'missing permission',
        { apiHost: simUrl, integrationKey: limited.ikey, secretKey: limited.skey },
        'permission_missing',
      ],
      [
        'unreachable host',
        {
          apiHost: `http://127.0.0.1:${closedPort}`,
          integrationKey: good.ikey,
          secretKey: good.skey,
        },
        'network',
      ],
    ];
    for (const [label, credentials, code] of attempts) {
      expect(
        (await call('PUT', `/api/v1/sources/${activityId}/configuration`, credentials)).status,
        label,
      ).toBe(200);
      const verdict = await call<Verdict>('POST', `/api/v1/sources/${activityId}/test-connection`);
      expect(verdict.body.ok, label).toBe(false);
      expect(verdict.body.code, label).toBe(code);
      expect(verdict.body.details.fix.length, label).toBeGreaterThan(10);
      if (code === 'permission_missing') expect(verdict.body.details.permission).toMatch(/log/i);
      if (code === 'network') expect(verdict.body.details.networkReason).toBeTruthy();
      expect(JSON.stringify(verdict.body)).not.toContain(credentials.secretKey);
    }
    for (const id of [activityId, duoId]) {
      await call('PUT', `/api/v1/sources/${id}/configuration`, {
        apiHost: simUrl,
        integrationKey: good.ikey,
        secretKey: good.skey,
      });
      const verdict = await call('POST', `/api/v1/sources/${id}/test-connection`);
      expect(verdict.body).toMatchObject({ ok: true });
    }
  });

  it('aggregates and syncs', async () => {
    const aggregation = await call<{ runId: string }>('POST', `/api/v1/sources/${duoId}/aggregate`);
    expect(aggregation.status).toBe(202);
    expect((await waitForRun(aggregation.body.runId)).status).toBe('succeeded');
    // The scheduler may already have started the first sync after the passed test.
    let runId: string | undefined;
    for (let i = 0; i < 50 && runId === undefined; i++) {
      const sync = await call<{ runId: string; error: { code: string } }>(
        'POST',
        `/api/v1/sources/${activityId}/sync`,
        {},
      );
      if (sync.status === 202) runId = sync.body.runId;
      else {
        expect(sync.body.error.code).toBe('source_busy');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    if (!runId) throw new Error('the source stayed busy');
    expect((await waitForRun(runId)).status).toBe('succeeded');
  });

  it('shows an identity’s insights equal to the simulator’s ground truth', async () => {
    const clock = (await (await fetch(`${simUrl}/_sim/clock`)).json()) as {
      start: number;
      now: number;
    };
    const dataset = createDataset({
      seed: TENANT.seed,
      users: TENANT.users,
      days: TENANT.days,
      start: ms(clock.start),
      authEventsPerDay: TENANT.authPerDay,
    });
    const today = dayOf(ms(Date.now()));
    // Truth: authentication events per user, UTC day and result, before today (today's last
    // minutes are not yet published by Duo's delay, so the comparison stops at midnight).
    const truth = new Map<string, Map<string, number>>();
    for (const event of dataset.events(
      'authentication',
      dataset.historyStart,
      ms(today * 86_400_000 - 1),
    )) {
      const record = event.record as { user?: { key?: string }; result?: string };
      const user = record.user?.key;
      if (!user) continue;
      const cells = truth.get(user) ?? new Map<string, number>();
      const key = `${dayOf(event.ts)}|${record.result ?? ''}`;
      cells.set(key, (cells.get(key) ?? 0) + 1);
      truth.set(user, cells);
    }
    const busiest = [...truth.entries()].sort(
      (a, b) =>
        [...b[1].values()].reduce((s, n) => s + n, 0) -
        [...a[1].values()].reduce((s, n) => s + n, 0),
    )[0];
    if (!busiest) throw new Error('the tenant has no authentication events');
    const [duoUserId, expected] = busiest;
    const accounts = await call<{ accounts: { duoUserId: string; identityId: string }[] }>(
      'GET',
      `/api/v1/sources/${duoId}/accounts?limit=1000`,
    );
    const account = accounts.body.accounts.find((a) => a.duoUserId === duoUserId);
    if (!account) throw new Error(`no account for ${duoUserId}`);
    const insights = (
      await call<{
        daysActive90: number;
        dailyByStream: {
          day: string;
          dayMs: number;
          stream: string;
          result: string | null;
          count: number;
        }[];
      }>('GET', `/api/v1/identities/${account.identityId}/insights`)
    ).body;
    const actual = new Map<string, number>();
    for (const cell of insights.dailyByStream) {
      const day = cell.dayMs / 86_400_000;
      if (cell.stream !== 'authentication' || day >= today) continue;
      actual.set(`${day}|${cell.result ?? ''}`, cell.count);
    }
    expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
    const truthDays = new Set([...expected.keys()].map((k) => k.split('|')[0]));
    const activeDaysBeforeToday = new Set(
      insights.dailyByStream.filter((c) => c.dayMs / 86_400_000 < today).map((c) => c.day),
    );
    expect(activeDaysBeforeToday.size).toBeGreaterThanOrEqual(truthDays.size);
    expect(insights.daysActive90).toBeGreaterThanOrEqual(truthDays.size);
  });
});
