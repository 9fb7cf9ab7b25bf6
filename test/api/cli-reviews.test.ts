/**
 * `duo-insights reviews …` as a real process: a Duo source created, tested and aggregated from
 * the simulator through the HTTP API on a SQLite file, which the built CLI then opens with
 * DATABASE_URL. A campaign is created, decided, signed off, remediated (the CLI waits for the
 * end) and its evidence written, each step piped (JSON); bad flags exit 2 naming the flag.
 * Needs `dist/` (npm test builds it first).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listEntitlements } from '../../src/store/entitlements.js';
import type { RequestLogEntry } from '../../src/sim/request-log.js';
import { randomCredential, startSimulator, type Simulator } from '../../src/sim/server.js';
import { control } from '../../src/sim/testing.js';
import { startTestApi, waitForRun, type Client, type TestApi } from '../support/api.js';

const MAIN = join(import.meta.dirname, '../../dist/cli/main.js');
const run = promisify(execFile);

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface CampaignJson {
  id: string;
  name: string;
  state: string;
  progress: { decided: number; total: number; revoke: number };
  remediation: { mode: string | null; steps: number; accepted: number; removed: number };
}

describe('duo-insights reviews', () => {
  const dir = mkdtempSync(join(tmpdir(), 'di-cli-reviews-'));
  const credential = randomCredential();
  let sim: Simulator;
  let api: TestApi;
  let admin: Client;
  let env: Record<string, string | undefined>;
  let group: { name: string; duoGroupId: string };
  let campaign: CampaignJson;
  let revoked: { id: number; duoUserId: string }[];

  async function cli(args: readonly string[]): Promise<Outcome> {
    try {
      const { stdout, stderr } = await run(process.execPath, [MAIN, 'reviews', ...args], {
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

  async function cliJson<T>(args: readonly string[]): Promise<T> {
    const outcome = await cli(args);
    expect(outcome.code, outcome.stderr).toBe(0);
    return JSON.parse(outcome.stdout) as T;
  }

  async function writes(): Promise<RequestLogEntry[]> {
    const reply = await control<{ requests: RequestLogEntry[] }>(sim, 'GET', '/_sim/requests');
    return reply.requests.filter((r) => r.method === 'POST' || r.method === 'DELETE');
  }

  beforeAll(async () => {
    sim = await startSimulator({
      credentials: [credential],
      users: 60,
      days: 2,
      authEventsPerDay: 300,
      seed: 'cli-reviews',
    });
    const databaseUrl = `sqlite:${join(dir, 'reviews.db')}`;
    api = await startTestApi({}, { databaseUrl });
    await api.createUser('admin', 'admin');
    admin = await api.signIn('admin');
    env = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      DUO_INSIGHTS_DATA_DIR: dir,
      DUO_INSIGHTS_SECRET_KEY: api.app.config.secretKey,
      DUO_INSIGHTS_ALLOW_LOOPBACK_DUO_HOSTS: 'true',
      DUO_INSIGHTS_DUO_RATE_LIMIT: 'off',
      LOG_LEVEL: 'warn',
    };
    const owner = await admin.post('/api/v1/identities', {
      displayName: 'Review Owner',
      email: 'review.owner@example.org',
    });
    const source = await admin.post('/api/v1/sources', {
      type: 'duo',
      name: 'Duo accounts',
      ownerIdentityId: (owner.body as { id: string }).id,
    });
    const sourceId = (source.body as { id: string }).id;
    await admin.put(`/api/v1/sources/${sourceId}/configuration`, {
      apiHost: sim.url,
      integrationKey: credential.ikey,
      secretKey: credential.skey,
    });
    expect((await admin.post(`/api/v1/sources/${sourceId}/test-connection`)).body).toMatchObject({
      ok: true,
    });
    const started = await admin.post(`/api/v1/sources/${sourceId}/aggregate`, {});
    expect((await waitForRun(admin, (started.body as { runId: string }).runId)).status).toBe(
      'succeeded',
    );
    const [first] = (await listEntitlements(api.app.db, { sourceId })).filter(
      (e) => e.kind === 'group',
    );
    if (!first) throw new Error('the tenant has no Duo group');
    group = first;
  }, 120_000);

  afterAll(async () => {
    await api.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses bad flags with exit code 2, naming the flag', async () => {
    const due = await cli([
      'create',
      '--name',
      'x',
      '--groups',
      group.name,
      '--reviewers',
      'owner',
      '--due',
      'soon',
    ]);
    expect(due.code).toBe(2);
    expect(due.stderr).toContain('--due');
    const scope = await cli([
      'create',
      '--name',
      'x',
      '--reviewers',
      'owner',
      '--due',
      '2099-12-31',
    ]);
    expect(scope.code).toBe(2);
    expect(scope.stderr).toContain('--groups');
    const unknown = await cli([
      'create',
      '--name',
      'x',
      '--groups',
      'No such group',
      '--reviewers',
      'owner',
      '--due',
      '2099-12-31',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No such group');
    const select = await cli(['decide', 'any', '--select', 'everyone', '--keep']);
    expect(select.code).toBe(2);
    expect(select.stderr).toContain('--select');
  });

  it('creates a campaign over a Duo group, decides its items, signs it off and lists it', async () => {
    campaign = await cliJson<CampaignJson>([
      'create',
      '--name',
      'CLI review',
      '--groups',
      group.name,
      '--reviewers',
      'owner',
      '--due',
      '2099-12-31',
    ]);
    expect(campaign).toMatchObject({ name: 'CLI review', state: 'open' });
    expect(campaign.progress.total).toBeGreaterThan(2);

    const shown = await cliJson<{ items: { id: number; duoUserId: string }[]; total: number }>([
      'show',
      campaign.id,
      '--items',
    ]);
    expect(shown.items).toHaveLength(campaign.progress.total);
    revoked = [...shown.items].sort((a, b) => a.id - b.id).slice(0, 2);
    const noDecision = await cli(['decide', campaign.id, '--item', String(revoked[0]?.id)]);
    expect(noDecision.code).toBe(2);
    expect(noDecision.stderr).toContain('--keep or --revoke');

    const first = await cliJson<{ decided: number }>([
      'decide',
      campaign.id,
      '--item',
      revoked.map((i) => i.id).join(','),
      '--revoke',
    ]);
    expect(first.decided).toBe(2);
    const early = await cli(['sign-off', campaign.id]);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('undecided');
    const rest = await cliJson<{ decided: number; campaign: CampaignJson }>([
      'decide',
      campaign.id,
      '--select',
      'undecided',
      '--keep',
      '--comment',
      'still on the project',
    ]);
    expect(rest.decided).toBe(campaign.progress.total - 2);

    const signed = await cliJson<CampaignJson>(['sign-off', 'CLI review']);
    expect(signed).toMatchObject({ state: 'signed_off', remediation: { mode: 'duo' } });
    const listed = await cliJson<{ campaigns: CampaignJson[] }>(['list', '--state', 'signed_off']);
    expect(listed.campaigns.map((c) => c.id)).toContain(campaign.id);
  });

  it('remediates: the dry run sends nothing, the run waits for the end and Duo holds the change', async () => {
    await control(sim, 'DELETE', '/_sim/requests');
    const dry = await cliJson<{ dryRun: boolean; changes: { itemId: number; action: string }[] }>([
      'remediate',
      campaign.id,
      '--dry-run',
    ]);
    expect(dry.dryRun).toBe(true);
    expect(dry.changes.map((c) => [c.itemId, c.action])).toEqual(
      revoked.map((i) => [i.id, 'remove_from_group']),
    );
    expect(await writes()).toEqual([]);

    const done = await cliJson<{ campaign: CampaignJson }>(['remediate', campaign.id]);
    expect(done.campaign).toMatchObject({
      state: 'remediated',
      remediation: { steps: 2, accepted: 2, removed: 2 },
    });
    expect((await writes()).map((w) => `${w.method} ${w.path} ${String(w.status)}`).sort()).toEqual(
      revoked
        .map((i) => `DELETE /admin/v1/users/${i.duoUserId}/groups/${group.duoGroupId} 200`)
        .sort(),
    );
  }, 60_000);

  it('writes the evidence as CSV and as JSON to a file', async () => {
    const csv = await cli(['evidence', campaign.id, '--format', 'csv']);
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.split('\r\n').filter((l) => l !== '');
    expect(lines[0]).toMatch(/^campaign,source,username,.*decision.*step_state.*verification/);
    expect(lines).toHaveLength(campaign.progress.total + 1);
    expect(lines.filter((l) => l.includes('remove_from_group,accepted'))).toHaveLength(2);

    const out = join(dir, 'evidence.json');
    const written = await cli(['evidence', campaign.id, '--format', 'json', '--out', out]);
    expect(written.code, written.stderr).toBe(0);
    const evidence = JSON.parse(readFileSync(out, 'utf8')) as {
      items: { history: unknown[]; step: { verification: string } | null }[];
    };
    expect(evidence.items).toHaveLength(campaign.progress.total);
    expect(evidence.items.filter((i) => i.step?.verification === 'removed')).toHaveLength(2);
  });
});
