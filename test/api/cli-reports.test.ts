/**
 * `duo-insights reports …` against a store with data: both sources created, tested, aggregated
 * and synced from the simulator through the HTTP API on a SQLite file, which the built CLI then
 * opens with DATABASE_URL. Each report, piped (no terminal: JSON), equals the API's answer for
 * the same filters; `--csv` prints the API's CSV export, every row; a bad flag exits 2 naming
 * it. Needs `dist/` (npm test builds it first).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomCredential, startSimulator, type Simulator } from '../../src/sim/server.js';
import { startTestApi, waitForRun, type Client, type TestApi } from '../support/api.js';

const MAIN = join(import.meta.dirname, '../../dist/cli/main.js');
const run = promisify(execFile);

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('duo-insights reports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'di-cli-reports-'));
  const credential = randomCredential();
  let sim: Simulator;
  let api: TestApi;
  let admin: Client;
  let env: Record<string, string | undefined>;
  let duo: { id: string; name: string };
  let logs: { id: string; name: string };

  async function cli(args: readonly string[]): Promise<Outcome> {
    try {
      const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], {
        env,
        maxBuffer: 64 * 1024 * 1024,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failure = error as { code?: unknown; stdout?: string; stderr?: string };
      return {
        code: Number(failure.code),
        stdout: failure.stdout ?? '',
        stderr: failure.stderr ?? '',
      };
    }
  }

  async function cliJson(args: readonly string[]): Promise<unknown> {
    const outcome = await cli(args);
    expect(outcome.code, outcome.stderr).toBe(0);
    return JSON.parse(outcome.stdout) as unknown;
  }

  async function cliCsv(args: readonly string[]): Promise<string> {
    const outcome = await cli([...args, '--csv']);
    expect(outcome.code, outcome.stderr).toBe(0);
    return outcome.stdout;
  }

  async function apiGet(url: string) {
    const res = await admin.get(url);
    expect(res.status, res.text).toBe(200);
    return res;
  }

  /** The CLI's report computed after the API's: the same answer but for when it was made. */
  function sameButWhen(cliAnswer: unknown, apiAnswer: unknown): void {
    const c = cliAnswer as { generatedAt: number };
    const a = apiAnswer as { generatedAt: number };
    expect(c.generatedAt).toBeGreaterThanOrEqual(a.generatedAt);
    expect({ ...c, generatedAt: a.generatedAt }).toEqual(a);
  }

  /** Idle days count whole days from the report's own time: checked, then set aside. */
  function idleDaysChecked(answer: unknown): unknown {
    const report = answer as {
      generatedAt: number;
      accounts: { lastActivityMs: number | null; idleDays: number | null }[];
    };
    return {
      ...report,
      accounts: report.accounts.map((a) => {
        expect(a.idleDays).toBe(
          a.lastActivityMs === null
            ? null
            : Math.floor((report.generatedAt - a.lastActivityMs) / 86_400_000),
        );
        return { ...a, idleDays: null };
      }),
    };
  }

  beforeAll(async () => {
    sim = await startSimulator({
      credentials: [credential],
      users: 40,
      days: 3,
      authEventsPerDay: 600,
      seed: 'cli-reports',
    });
    const databaseUrl = `sqlite:${join(dir, 'reports.db')}`;
    api = await startTestApi({}, { databaseUrl });
    await api.createUser('admin', 'admin');
    admin = await api.signIn('admin');
    env = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      DUO_INSIGHTS_DATA_DIR: dir,
      DUO_INSIGHTS_SECRET_KEY: api.app.config.secretKey,
      LOG_LEVEL: 'warn',
    };
    const owner = await admin.post('/api/v1/identities', {
      displayName: 'Report Owner',
      email: 'report.owner@example.org',
    });
    const ownerIdentityId = (owner.body as { id: string }).id;
    const create = async (type: string, name: string) => {
      const res = await admin.post('/api/v1/sources', { type, name, ownerIdentityId });
      expect(res.status, res.text).toBe(201);
      const source = res.body as { id: string; name: string };
      const configured = await admin.put(`/api/v1/sources/${source.id}/configuration`, {
        apiHost: sim.url,
        integrationKey: credential.ikey,
        secretKey: credential.skey,
      });
      expect(configured.status, configured.text).toBe(200);
      const tested = await admin.post(`/api/v1/sources/${source.id}/test-connection`);
      expect(tested.status, tested.text).toBe(200);
      return source;
    };
    duo = await create('duo', 'Duo accounts');
    logs = await create('duo-activity', 'Duo logs');
    const aggregated = await admin.post(`/api/v1/sources/${duo.id}/aggregate`);
    expect((await waitForRun(admin, (aggregated.body as { runId: string }).runId)).status).toBe(
      'succeeded',
    );
    const synced = await admin.post(`/api/v1/sources/${logs.id}/sync`, {});
    expect((await waitForRun(admin, (synced.body as { runId: string }).runId, 60_000)).status).toBe(
      'succeeded',
    );
  }, 120_000);

  afterAll(async () => {
    await api.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('dormant-accounts, piped, prints the API answer for the same days and source; --csv every row', async () => {
    for (const [args, query] of [
      [['--days', '1'], 'days=1'],
      [['--days', '1', '--source', 'Duo accounts'], `days=1&sourceId=${duo.id}`],
      [[], ''],
    ] as const) {
      const fromApi = (await apiGet(`/api/v1/reports/dormant-accounts?${query}`)).body as {
        accounts: unknown[];
      };
      sameButWhen(
        idleDaysChecked(await cliJson(['reports', 'dormant-accounts', ...args])),
        idleDaysChecked(fromApi),
      );
      const csv = await cliCsv(['reports', 'dormant-accounts', ...args]);
      expect(csv).toBe((await apiGet(`/api/v1/reports/dormant-accounts?${query}&format=csv`)).text);
      expect(csv.split('\r\n').slice(1, -1)).toHaveLength(fromApi.accounts.length);
    }
    const some = (await apiGet('/api/v1/reports/dormant-accounts?days=1')).body as {
      accounts: unknown[];
    };
    expect(some.accounts.length).toBeGreaterThan(0);
  });

  it('access-review of a Duo group named by id, Duo group id or name equals the API answer; --csv every member', async () => {
    const groups = (await apiGet(`/api/v1/sources/${duo.id}/entitlements`)).body as {
      entitlements: { id: number; duoGroupId: string; name: string }[];
    };
    const group = groups.entitlements[0];
    if (!group) throw new Error('the simulator tenant has no groups');
    const fromApi = (await apiGet(`/api/v1/reports/access-review?entitlementId=${group.id}`))
      .body as { members: unknown[] };
    expect(fromApi.members.length).toBeGreaterThan(0);
    for (const ref of [String(group.id), group.duoGroupId, group.name])
      sameButWhen(await cliJson(['reports', 'access-review', '--group', ref]), fromApi);
    const csv = await cliCsv(['reports', 'access-review', '--group', String(group.id)]);
    expect(csv).toBe(
      (await apiGet(`/api/v1/reports/access-review?entitlementId=${group.id}&format=csv`)).text,
    );
    expect(csv.split('\r\n').slice(1, -1)).toHaveLength(fromApi.members.length);
  });

  it('admin-actions pages as the API does (limit, cursor, source, from/to); --csv holds every action', async () => {
    type Page = { actions: { tsMs: number }[]; next: string | null };
    const first = (await apiGet('/api/v1/reports/admin-actions?limit=5')).body as Page;
    expect(first.actions).toHaveLength(5);
    expect(first.next).not.toBeNull();
    expect(await cliJson(['reports', 'admin-actions', '--limit', '5'])).toEqual(first);
    const second = (await apiGet(`/api/v1/reports/admin-actions?limit=5&cursor=${first.next}`))
      .body as Page;
    expect(
      await cliJson(['reports', 'admin-actions', '--limit', '5', '--cursor', first.next ?? '']),
    ).toEqual(second);

    const all: Page['actions'] = [];
    let cursor: string | null = null;
    do {
      const page = (
        await apiGet(`/api/v1/reports/admin-actions?limit=1000${cursor ? `&cursor=${cursor}` : ''}`)
      ).body as Page;
      all.push(...page.actions);
      cursor = page.next;
    } while (cursor);
    const csv = await cliCsv(['reports', 'admin-actions']);
    expect(csv).toBe((await apiGet('/api/v1/reports/admin-actions?format=csv')).text);
    expect(csv.split('\r\n').slice(1, -1)).toHaveLength(all.length);

    const middle = all[Math.floor(all.length / 2)]?.tsMs ?? 0;
    const from = new Date(middle).toISOString();
    const to = middle + 3_600_000;
    const query = `sourceId=${logs.id}&from=${encodeURIComponent(from)}&to=${to}`;
    const args = ['--source', 'Duo logs', '--from', from, '--to', String(to)];
    expect(await cliJson(['reports', 'admin-actions', ...args])).toEqual(
      (await apiGet(`/api/v1/reports/admin-actions?${query}`)).body,
    );
    expect(await cliCsv(['reports', 'admin-actions', ...args])).toBe(
      (await apiGet(`/api/v1/reports/admin-actions?${query}&format=csv`)).text,
    );
  });

  it('security-events equals the API answer for the same filters; --csv every event; a bad state exits 2', async () => {
    type Page = { events: { sv4Id: string; state: string }[]; next: string | null };
    const all = (await apiGet('/api/v1/reports/security-events')).body as Page;
    expect(all.events.length).toBeGreaterThan(0);
    expect(await cliJson(['reports', 'security-events'])).toEqual(all);
    const fresh = (await apiGet(`/api/v1/reports/security-events?state=new&sourceId=${logs.id}`))
      .body as Page;
    expect(
      await cliJson(['reports', 'security-events', '--state', 'new', '--source', 'Duo logs']),
    ).toEqual(fresh);
    expect(fresh.events.every((e) => e.state === 'new')).toBe(true);
    const csv = await cliCsv(['reports', 'security-events']);
    expect(csv).toBe((await apiGet('/api/v1/reports/security-events?format=csv')).text);
    expect(csv.split('\r\n').slice(1, -1)).toHaveLength(all.events.length);
    const bad = await cli(['reports', 'security-events', '--state', 'closed']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--state');
    expect(bad.stderr).toContain('"closed" is not one of new, processed');
  });

  it('sync-health equals the API answer, its lag measured at its own time; --csv every stream', async () => {
    type Health = {
      generatedAt: number;
      sources: {
        sourceName: string;
        streams: { syncedUntil: number | null; lagMs: number | null }[];
      }[];
    };
    const fromApi = (await apiGet('/api/v1/reports/sync-health')).body as Health;
    const fromCli = (await cliJson(['reports', 'sync-health'])) as Health;
    expect(fromCli.sources.find((s) => s.sourceName === 'Duo logs')?.streams).toHaveLength(6);
    const withoutLag = (report: Health) => {
      for (const source of report.sources)
        for (const stream of source.streams)
          expect(stream.lagMs).toBe(
            stream.syncedUntil === null
              ? null
              : Math.max(0, report.generatedAt - stream.syncedUntil),
          );
      return {
        ...report,
        sources: report.sources.map((s) => ({
          ...s,
          streams: s.streams.map((stream) => ({ ...stream, lagMs: null })),
        })),
      };
    };
    sameButWhen(withoutLag(fromCli), withoutLag(fromApi));

    // The lag column (seconds, the 8th) moves with the clock; every other cell is the API's.
    const dropLag = (csv: string) =>
      csv.split('\r\n').map((line) =>
        line
          .split(',')
          .filter((_, i) => i !== 7)
          .join(','),
      );
    const csv = await cliCsv(['reports', 'sync-health']);
    expect(dropLag(csv)).toEqual(
      dropLag((await apiGet('/api/v1/reports/sync-health?format=csv')).text),
    );
    expect(csv.split('\r\n').slice(1, -1)).toHaveLength(
      fromApi.sources.reduce((n, s) => n + Math.max(1, s.streams.length), 0),
    );
  });

  it('a bad flag exits 2 with one line naming it', async () => {
    const cases: [readonly string[], RegExp][] = [
      [['dormant-accounts', '--days', '0'], /--days must be a whole number from 1 to 3650/],
      [['dormant-accounts', '--dayz', '3'], /unknown option '--dayz'/],
      [['dormant-accounts', '--json', '--csv'], /--json.*--csv/],
      [['access-review'], /--group/],
      [['admin-actions', '--from', 'yesterday'], /--from must be epoch milliseconds or an ISO/],
      [['admin-actions', '--limit', '1001'], /--limit must be a whole number from 1 to 1000/],
      [['admin-actions', '--cursor', 'not-a-cursor'], /--cursor is not a cursor/],
      [['admin-actions', '--csv', '--limit', '5'], /--csv holds every action.*--limit/],
    ];
    for (const [args, pattern] of cases) {
      const outcome = await cli(['reports', ...args]);
      expect(outcome.code, `${args.join(' ')}: ${outcome.stderr}`).toBe(2);
      expect(outcome.stderr).toMatch(pattern);
      expect(outcome.stdout).toBe('');
    }
    const unknown = await cli(['reports', 'dormant-accounts', '--source', 'No such source']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/source No such source was not found/);
  });
});
