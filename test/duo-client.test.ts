/**
 * The Duo client against the simulator, over real HTTP(S): every endpoint, pages reassembled
 * against the simulator's ground truth, each error produced by the condition that causes it in
 * Duo, 429 backoff, and TLS with the generated CA.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, ms, msToSeconds } from '../src/domain/time.js';
import { createDuoClient } from '../src/duo/client.js';
import type { DuoClient, DuoClientConfig } from '../src/duo/client.js';
import { DuoError } from '../src/duo/errors.js';
import { RateGovernor } from '../src/duo/governor.js';
import type { DuoPage } from '../src/duo/pages.js';
import { canonicalJson } from '../src/sim/records.js';
import { startSimulator } from '../src/sim/server.js';
import type { Simulator, SimulatorOptions } from '../src/sim/server.js';
import { control } from '../src/sim/testing.js';

const IKEY = 'DICLIENTTEST00000001';
const SKEY = 'clientTestSecretKey0000000000000000000001';
const LOG_ONLY = { ikey: 'DICLIENTLOGONLY00001', skey: 'logOnlySecret00000000000000000000000001' };
const RESOURCE_ONLY = {
  ikey: 'DICLIENTRESOURCE0001',
  skey: 'resourceOnlySecret000000000000000000001',
};

const FAST: Pick<DuoClientConfig, 'rateLimits' | 'backoff'> = {
  rateLimits: 'off',
  backoff: {
    rateLimit: { initialMs: 10, maxDelayMs: 50, maxTotalWaitMs: 2_000 },
    transient: { retries: 2, initialMs: 10, maxDelayMs: 20 },
  },
};

let sim: Simulator;
let duo: DuoClient;
const extra: { close(): Promise<void> }[] = [];

async function simulator(options: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  const started = await startSimulator({
    credentials: [
      { ikey: IKEY, skey: SKEY },
      { ...LOG_ONLY, permissions: ['read_log'] },
      { ...RESOURCE_ONLY, permissions: ['read_resource'] },
    ],
    seed: 'duo-client-test',
    users: 700,
    days: 7,
    authEventsPerDay: 100_000,
    clock: { speed: 0 },
    ...options,
  });
  return started;
}

function client(target: Simulator, config: Partial<DuoClientConfig> = {}, governor?: RateGovernor) {
  const created = createDuoClient(
    { apiHost: target.url, ikey: IKEY, skey: SKEY, ...FAST, ...config },
    governor ? { governor } : {},
  );
  extra.push(created);
  return created;
}

async function all<T, C>(pages: AsyncIterable<DuoPage<T, C>>): Promise<DuoPage<T, C>[]> {
  const out: DuoPage<T, C>[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

async function failureOf(promise: Promise<unknown>): Promise<DuoError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof DuoError)) throw new Error(`expected a DuoError, got ${String(error)}`);
  return error;
}

interface Truth {
  count: number;
  keys: string[];
  visibleAt: number;
}

function truth(type: string, mintime: number, maxtime?: number): Promise<Truth> {
  const range = `mintime=${mintime}${maxtime === undefined ? '' : `&maxtime=${maxtime}`}`;
  return control<Truth>(sim, 'GET', `/_sim/truth/${type}?${range}&keys=1`);
}

beforeAll(async () => {
  sim = await simulator();
  duo = createDuoClient({ apiHost: sim.url, ikey: IKEY, skey: SKEY, ...FAST });
});

afterEach(async () => {
  await control(sim, 'DELETE', '/_sim/faults');
  for (const closable of extra.splice(0)) await closable.close();
});

afterAll(async () => {
  await duo.close();
  await sim.close();
});

describe('accounts and entitlements', () => {
  it('reads every user exactly once, 300 a page, as the simulator holds them', async () => {
    const pages = await all(duo.users());
    const ids = pages.flatMap((page) => page.records.map((user) => user.user_id));
    const expected = await control<{ users: { user_id: string }[]; total: number }>(
      sim,
      'GET',
      '/_sim/truth/users',
    );
    expect(ids).toEqual(expected.users.map((user) => user.user_id));
    expect(pages.map((page) => page.records.length)).toEqual([300, 300, 100]);
    expect(pages[0]?.totalObjects).toBe(expected.total);
    expect(pages.flatMap((page) => page.rejected)).toEqual([]);
    expect(pages.at(-1)?.next).toBeUndefined();
  });

  it('reads one user by id, and says not_found for an unknown id', async () => {
    const first = sim.dataset.userAt(0);
    expect((await duo.user(first.user_id)).username).toBe(first.username);
    const error = await failureOf(duo.user('DUNOSUCHUSER00000000'));
    expect(error.kind).toBe('not_found');
  });

  it('reads every group, and each group’s members match the users’ memberships', async () => {
    const groups = (await all(duo.groups())).flatMap((page) => page.records);
    const expected = await control<{ groups: { group_id: string; member_count: number }[] }>(
      sim,
      'GET',
      '/_sim/truth/groups',
    );
    expect(groups.map((group) => group.group_id)).toEqual(
      expected.groups.map((group) => group.group_id),
    );
    const largest = [...expected.groups].sort((a, b) => b.member_count - a.member_count)[0];
    if (!largest) throw new Error('the simulator has no groups');
    const members = (await all(duo.groupMembers(largest.group_id))).flatMap((p) => p.records);
    expect(members).toHaveLength(largest.member_count);
    const users = await control<{ users: { user_id: string; group_ids: string[] }[] }>(
      sim,
      'GET',
      '/_sim/truth/users',
    );
    const inGroup = users.users.filter((user) => user.group_ids.includes(largest.group_id));
    expect(new Set(members.map((member) => member.user_id))).toEqual(
      new Set(inGroup.map((user) => user.user_id)),
    );
  });

  it('reads the administrators and the account summary', async () => {
    const admins = (await all(duo.admins())).flatMap((page) => page.records);
    expect(admins.length).toBe(sim.dataset.admins().length);
    expect((await duo.infoSummary()).user_count).toBe(sim.dataset.userCount());
  });
});

describe('logs reassembled against the ground truth', () => {
  const v2 = [
    ['authentication', 'authLogs', 3 * HOUR_MS, (r: Record<string, unknown>) => r['txid']],
    ['telephony', 'telephonyLogs', 7 * DAY_MS, (r: Record<string, unknown>) => r['telephony_id']],
    ['activity', 'activityLogs', DAY_MS, (r: Record<string, unknown>) => r['activity_id']],
  ] as const;

  it.each(v2)(
    'reads a %s window page by page with no gap and no duplicate',
    async (type, method, span, keyOf) => {
      const visibleAt = (await truth(type, sim.now() - HOUR_MS)).visibleAt;
      const maxtime = ms(visibleAt);
      const mintime = ms(Math.max(visibleAt - span, sim.dataset.historyStart));
      const expected = await truth(type, mintime, maxtime);
      const pages = await all<Record<string, unknown>, string>(duo[method]({ mintime, maxtime }));
      const keys = pages.flatMap((page) => page.records.map(keyOf));
      expect(expected.count).toBeGreaterThan(1_000);
      expect(keys).toHaveLength(expected.count);
      expect(new Set(keys).size).toBe(keys.length);
      expect([...keys].sort()).toEqual([...expected.keys].sort());
      expect(pages.flatMap((page) => page.rejected)).toEqual([]);
      expect(pages.at(-1)?.next).toBeUndefined();
    },
  );

  it('resumes an authentication window from a page’s next and ends with the same records', async () => {
    const maxtime = ms((await truth('authentication', sim.now() - HOUR_MS)).visibleAt);
    const mintime = ms(maxtime - HOUR_MS);
    const expected = await truth('authentication', mintime, maxtime);
    const seen: unknown[] = [];
    let resumeAt: string | undefined;
    let pages = 0;
    for await (const page of duo.authLogs({ mintime, maxtime, limit: 300 })) {
      seen.push(...page.records.map((record) => record.txid));
      resumeAt = page.next;
      if (++pages === 2) break; // "crash" after two committed pages
    }
    expect(resumeAt).toBeDefined();
    for await (const page of duo.authLogs({ mintime, maxtime, limit: 300, nextOffset: resumeAt })) {
      seen.push(...page.records.map((record) => record.txid));
    }
    expect(seen).toHaveLength(expected.count);
    expect(new Set(seen)).toEqual(new Set(expected.keys));
  });

  it.each([
    ['administrator', 'administratorLogs'],
    ['offline_enrollment', 'offlineEnrollmentLogs'],
  ] as const)(
    'reads %s logs from a mintime to the end, every record at least once',
    async (type, method) => {
      const mintime = msToSeconds(ms(sim.dataset.historyStart));
      const expected = await truth(type, mintime * 1000);
      const pages = await all<Record<string, unknown>, number>(duo[method]({ mintime }));
      const keys = new Set(pages.flatMap((page) => page.records.map(canonicalJson)));
      expect(expected.count).toBeGreaterThan(1_000);
      expect(keys).toEqual(new Set(expected.keys));
      expect(pages.length).toBeGreaterThan(1);
      expect(pages.at(-1)?.next).toBeUndefined();
    },
  );
});

describe('errors from the conditions that cause them', () => {
  it('says the secret key is wrong when the signature does not match', async () => {
    const error = await failureOf(client(sim, { skey: 'x'.repeat(40) }).infoSummary());
    expect(error.kind).toBe('invalid_signature');
    expect(error.duoCode).toBe(40103);
  });

  it('says the integration key is unknown', async () => {
    const error = await failureOf(client(sim, { ikey: 'DIUNKNOWN00000000000' }).infoSummary());
    expect(error.kind).toBe('invalid_integration_key');
  });

  it('blames a clock 10 minutes fast, with the skew', async () => {
    const fast = createDuoClient(
      { apiHost: sim.url, ikey: IKEY, skey: SKEY, ...FAST },
      { clock: () => Date.now() + 600_000 },
    );
    extra.push(fast);
    const error = await failureOf(fast.infoSummary());
    expect(error.kind).toBe('invalid_signature');
    expect(error.clockSkewSeconds).toBeLessThanOrEqual(-598);
    expect(error.message).toMatch(/clock skew of -(59[89]|60[0-2]) s/);
  });

  it('names "Grant read log" when a log endpoint is not granted, and passes with it', async () => {
    const resources = client(sim, RESOURCE_ONLY);
    const verdict = await resources.testConnection('activity');
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.error.kind).toBe('permission_missing');
    expect(verdict.error.permission).toBe('Grant read log');
    expect(await resources.testConnection('accounts')).toMatchObject({ ok: true });
  });

  it('names "Grant read resource" for accounts with a log-only credential', async () => {
    const logs = client(sim, LOG_ONLY);
    expect(await logs.testConnection('activity')).toMatchObject({ ok: true });
    const verdict = await logs.testConnection('accounts');
    expect(verdict).toMatchObject({ ok: false, purpose: 'accounts' });
    if (verdict.ok) return;
    expect(verdict.error.message).toContain('"Grant read resource"');
    const admins = await failureOf(all(logs.admins()));
    expect(admins.permission).toBe('Grant administrators');
  });

  it('reports a window older than Duo’s 180 days as bad_request naming mintime', async () => {
    const now = sim.now();
    const error = await failureOf(
      all(duo.authLogs({ mintime: ms(now - 200 * DAY_MS), maxtime: ms(now - DAY_MS) })),
    );
    expect(error.kind).toBe('bad_request');
    expect(error.messageDetail).toBe('mintime');
  });

  it('retries through a 503 and an HTML 502, then succeeds', async () => {
    await control(sim, 'POST', '/_sim/faults', { kind: '5xx', path: '/admin/v1/info/*', count: 1 });
    await control(sim, 'POST', '/_sim/faults', {
      kind: '5xx',
      path: '/admin/v1/info/*',
      count: 1,
      status: 502,
      body: 'html',
    });
    expect((await duo.infoSummary()).user_count).toBe(sim.dataset.userCount());
  });

  it('gives up on a persistent server error with server_error', async () => {
    await control(sim, 'POST', '/_sim/faults', { kind: '5xx', path: '/admin/v1/info/*', count: 5 });
    const error = await failureOf(duo.infoSummary());
    expect(error.kind).toBe('server_error');
    expect(error.attempts).toBe(3);
  });

  it('times out on a hung request, says reset on a dropped connection', async () => {
    const impatient = client(sim, {
      timeouts: { readMs: 300 },
      backoff: { transient: { retries: 0 } },
    });
    await control(sim, 'POST', '/_sim/faults', {
      kind: 'hang',
      path: '/admin/v1/info/*',
      count: 1,
    });
    expect((await failureOf(impatient.infoSummary())).networkReason).toBe('timeout');
    await control(sim, 'POST', '/_sim/faults', {
      kind: 'reset',
      path: '/admin/v1/info/*',
      count: 1,
    });
    expect((await failureOf(impatient.infoSummary())).networkReason).toBe('reset');
  });

  it('calls a cut-off answer a bad response', async () => {
    const once = client(sim, { backoff: { transient: { retries: 0 } } });
    await control(sim, 'POST', '/_sim/faults', {
      kind: 'truncate',
      path: '/admin/v1/info/*',
      count: 1,
    });
    expect((await failureOf(once.infoSummary())).kind).toBe('bad_response');
  });

  it('hands back a corrupted record as rejected and keeps the rest of its page', async () => {
    const maxtime = ms((await truth('authentication', sim.now() - HOUR_MS)).visibleAt);
    const mintime = ms(maxtime - 10 * 60_000);
    const expected = await truth('authentication', mintime, maxtime);
    await control(sim, 'POST', '/_sim/faults', {
      kind: 'bad_record',
      path: '/admin/v2/logs/authentication',
      count: 1,
    });
    const pages = await all(duo.authLogs({ mintime, maxtime }));
    const rejected = pages.flatMap((page) => page.rejected);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.error).toMatch(/txid/);
    expect(pages.flatMap((page) => page.records)).toHaveLength(expected.count - 1);
  });
});

describe('rate limits', () => {
  it('backs off on forced 429s and recovers, counting them', async () => {
    const governor = new RateGovernor({
      rateLimits: 'off',
      backoff: { initialMs: 10, maxDelayMs: 50, maxTotalWaitMs: 2_000 },
    });
    const paced = client(sim, {}, governor);
    await control(sim, 'POST', '/_sim/faults', {
      kind: 'rate_limit',
      path: '/admin/v1/info/*',
      count: 3,
    });
    expect((await paced.infoSummary()).user_count).toBe(sim.dataset.userCount());
    expect(governor.stats().rateLimited).toBe(3);
    governor.close();
  });

  it('gives up cleanly with rate_limited once the configured ceiling is reached', async () => {
    const governor = new RateGovernor({
      rateLimits: 'off',
      backoff: { initialMs: 20, maxDelayMs: 100, maxTotalWaitMs: 300 },
    });
    const paced = client(sim, {}, governor);
    await control(sim, 'POST', '/_sim/faults', {
      kind: 'rate_limit',
      path: '/admin/v1/info/*',
      probability: 1,
    });
    const started = Date.now();
    const error = await failureOf(paced.infoSummary());
    expect(error.kind).toBe('rate_limited');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(governor.stats().backoffMs).toBeLessThanOrEqual(300);
    governor.close();
  });

  it('recovers from the simulator’s real token bucket, and a matching pace avoids 429s', async () => {
    // The tenant's volume follows the time of day: read at a busy hour, whenever the test runs.
    const lastWednesdayNoon = new Date();
    lastWednesdayNoon.setUTCDate(
      lastWednesdayNoon.getUTCDate() - ((lastWednesdayNoon.getUTCDay() + 4) % 7) - 7,
    );
    lastWednesdayNoon.setUTCHours(17, 0, 0, 0);
    const limited = await simulator({
      rateLimits: { logs_activity: { perMinute: 240, burst: 2 } },
      clock: { speed: 0, start: ms(lastWednesdayNoon.getTime()) },
    });
    extra.push(limited);
    const maxtime = ms(limited.now() - 3 * 60_000);
    const window = { mintime: ms(maxtime - 4 * HOUR_MS), maxtime, limit: 100 };
    const expected = await control<Truth>(
      limited,
      'GET',
      `/_sim/truth/activity?mintime=${window.mintime}&maxtime=${maxtime}`,
    );
    expect(expected.count).toBeGreaterThan(300);

    // 180 a minute (333 ms apart) against a bucket of 240 (250 ms) that holds two, as Duo's
    // does: a request delayed on a busy machine and the next one arriving right behind it fit
    // in the bucket, so the test does not depend on when the machine schedules each request.
    const matched = new RateGovernor({
      rateLimits: { logs_activity: { perMinute: 180, burst: 1 } },
    });
    const paced = await all(client(limited, {}, matched).activityLogs(window));
    expect(paced.flatMap((page) => page.records)).toHaveLength(expected.count);
    expect(matched.stats().rateLimited).toBe(0);

    const eager = new RateGovernor({
      rateLimits: 'off',
      backoff: { initialMs: 100, maxDelayMs: 400 },
    });
    const pages = await all(client(limited, {}, eager).activityLogs(window));
    expect(pages.flatMap((page) => page.records)).toHaveLength(expected.count);
    expect(eager.stats().rateLimited).toBeGreaterThan(0);
    eager.close();
    matched.close();
  });
});

describe('TLS', () => {
  it('works with the simulator’s generated CA, and refuses its certificate without it', async () => {
    const secure = await simulator({ tls: true, users: 20 });
    extra.push(secure);
    expect(secure.url).toMatch(/^https:/);
    const trusted = client(secure, { caFile: secure.caFile ?? '' });
    expect(await trusted.testConnection('accounts')).toMatchObject({ ok: true });
    const verdict = await client(secure).testConnection('accounts');
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.error.networkReason).toBe('tls');
  });
});

describe('the requests Duo sees', () => {
  it('costs exactly one request per page', async () => {
    await control(sim, 'DELETE', '/_sim/requests');
    const pages = await all(duo.users());
    const log = await control<{ requests: { path: string }[] }>(sim, 'GET', '/_sim/requests');
    expect(log.requests.filter((request) => request.path === '/admin/v1/users')).toHaveLength(
      pages.length,
    );
  });
});
