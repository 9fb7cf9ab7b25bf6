/**
 * Trust Monitor events through the Duo client against the simulator over real HTTP: a window
 * reassembled page by page against the ground truth, resumed from a page's opaque offset, the
 * `type` filter, the simulator's parameter checks, and the 403 and 404 a plan without Trust
 * Monitor answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, ms, type EpochMs } from '../src/domain/time.js';
import { createDuoClient, type DuoClient } from '../src/duo/client.js';
import { DuoError } from '../src/duo/errors.js';
import { startFakeDuo } from '../src/duo/fake-duo.js';
import type { DuoTrustMonitorEvent } from '../src/duo/wire.js';
import { startSimulator, type Simulator } from '../src/sim/server.js';
import { control, duoGet } from '../src/sim/testing.js';

const FULL = { ikey: 'DITRUSTMONITOR000001', skey: 'trustMonitorSecret0000000000000000000001' };
const NO_LOG = { ikey: 'DITRUSTMONITORNOLOG1', skey: 'trustMonitorNoLog000000000000000000000001' };
const FAST = {
  rateLimits: 'off',
  backoff: {
    rateLimit: { initialMs: 10, maxDelayMs: 50, maxTotalWaitMs: 2_000 },
    transient: { retries: 0, initialMs: 10, maxDelayMs: 20 },
  },
} as const;

let sim: Simulator;
let duo: DuoClient;
let mintime: EpochMs;
let maxtime: EpochMs;

interface Truth {
  count: number;
  keys: string[];
  visibleAt: number;
}

beforeAll(async () => {
  sim = await startSimulator({
    credentials: [FULL, { ...NO_LOG, permissions: ['read_resource'] }],
    seed: 'trust-monitor-client',
    users: 400,
    days: 30,
    authEventsPerDay: 3_000,
    clock: { speed: 0 },
  });
  duo = createDuoClient({ apiHost: sim.url, ...FULL, ...FAST });
  maxtime = ms(sim.now() - 5 * 60_000);
  mintime = ms(maxtime - 30 * DAY_MS);
});

afterAll(async () => {
  await duo.close();
  await sim.close();
});

function truth(from: number, to: number): Promise<Truth> {
  return control<Truth>(
    sim,
    'GET',
    `/_sim/truth/trust_monitor?mintime=${from}&maxtime=${to}&keys=1`,
  );
}

async function read(
  client: DuoClient,
  query: Parameters<DuoClient['trustMonitorEvents']>[0],
): Promise<{ events: DuoTrustMonitorEvent[]; nexts: (string | undefined)[] }> {
  const events: DuoTrustMonitorEvent[] = [];
  const nexts: (string | undefined)[] = [];
  for await (const page of client.trustMonitorEvents(query)) {
    expect(page.rejected).toEqual([]);
    events.push(...page.records);
    nexts.push(page.next);
  }
  return { events, nexts };
}

describe('Trust Monitor events through the client', () => {
  it('reads a 30-day window page by page, nothing missing, nothing twice', async () => {
    const expected = await truth(mintime, maxtime);
    expect(expected.count).toBeGreaterThan(40);
    const { events, nexts } = await read(duo, { mintime, maxtime, limit: 17 });
    const keys = events.map((e) => e.sv4_id);
    expect(nexts.length).toBe(Math.ceil(expected.count / 17));
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual([...expected.keys].sort());
    expect(nexts.at(-1)).toBeUndefined();
    for (const e of events) expect(e.surfaced_timestamp).toBeGreaterThanOrEqual(mintime);
  });

  it('asks for 200 a page by default, as Duo allows at most', async () => {
    const fake = await startFakeDuo(() => ({
      body: { stat: 'OK', response: { events: [], metadata: {} } },
    }));
    const client = createDuoClient({ apiHost: fake.url, ...FULL, ...FAST });
    try {
      await read(client, { mintime, maxtime });
      expect(fake.requests[0]?.path).toBe('/admin/v1/trust_monitor/events');
      expect(fake.requests[0]?.params).toEqual(
        expect.arrayContaining([
          ['limit', '200'],
          ['mintime', String(mintime)],
          ['maxtime', String(maxtime)],
        ]),
      );
    } finally {
      await client.close();
      await fake.close();
    }
  });

  it('resumes a window from the opaque offset of the last page read', async () => {
    const expected = await truth(mintime, maxtime);
    const seen: string[] = [];
    let resume: string | undefined;
    let pages = 0;
    for await (const page of duo.trustMonitorEvents({ mintime, maxtime, limit: 10 })) {
      seen.push(...page.records.map((e) => e.sv4_id));
      resume = page.next;
      if (++pages === 2) break; // a crash after two committed pages
    }
    expect(resume).toBeDefined();
    const rest = await read(duo, { mintime, maxtime, limit: 10, nextOffset: resume });
    seen.push(...rest.events.map((e) => e.sv4_id));
    expect(seen).toHaveLength(expected.count);
    expect([...seen].sort()).toEqual([...expected.keys].sort());
  });

  it('filters by a documented type', async () => {
    const all = await read(duo, { mintime, maxtime });
    for (const type of ['auth', 'bypass_status']) {
      const only = await read(duo, { mintime, maxtime, type, limit: 7 });
      expect(only.events.length).toBeGreaterThan(0);
      expect(only.events.every((e) => e.type === type)).toBe(true);
      expect(only.events.length).toBe(all.events.filter((e) => e.type === type).length);
    }
  });

  it('is not available without "Grant read log" (403) or on a plan without the endpoint (404)', async () => {
    const forbidden = createDuoClient({ apiHost: sim.url, ...NO_LOG, ...FAST });
    const fake = await startFakeDuo(() => ({
      status: 404,
      body: { stat: 'FAIL', code: 40401, message: 'Resource not found' },
    }));
    const missing = createDuoClient({ apiHost: fake.url, ...FULL, ...FAST });
    try {
      const denied = await read(forbidden, { mintime, maxtime }).catch((e: unknown) => e);
      expect(denied).toBeInstanceOf(DuoError);
      expect((denied as DuoError).kind).toBe('permission_missing');
      const absent = await read(missing, { mintime, maxtime }).catch((e: unknown) => e);
      expect(absent).toBeInstanceOf(DuoError);
      expect((absent as DuoError).kind).toBe('not_found');
    } finally {
      await forbidden.close();
      await missing.close();
      await fake.close();
    }
  });
});

describe('the simulator’s Trust Monitor parameter checks', () => {
  const path = '/admin/v1/trust_monitor/events';
  const window = (): [string, string][] => [
    ['mintime', String(mintime)],
    ['maxtime', String(maxtime)],
  ];

  it.each([
    ['mintime missing', [['maxtime', '1700000000000']], 40001, 'mintime'],
    ['maxtime missing', [['mintime', '1700000000000']], 40001, 'maxtime'],
    [
      'mintime in seconds',
      [
        ['mintime', '1700000000'],
        ['maxtime', '1700000000000'],
      ],
      40002,
      'mintime',
    ],
    [
      'mintime not before maxtime',
      [
        ['mintime', '1700000000000'],
        ['maxtime', '1700000000000'],
      ],
      40002,
      'mintime',
    ],
  ] as const)('refuses %s', async (_name, params, code, detail) => {
    const answer = await duoGet(
      sim,
      FULL,
      path,
      params.map(([k, v]) => [k, v]),
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ stat: 'FAIL', code, message_detail: detail });
  });

  it('refuses an undocumented type, a bad limit and an offset it did not give', async () => {
    for (const [name, value] of [
      ['type', 'device_registration'],
      ['limit', '0'],
      ['offset', 'not-an-offset'],
    ] as const) {
      const answer = await duoGet(sim, FULL, path, [...window(), [name, value]]);
      expect(answer.status, name).toBe(400);
      expect(answer.body).toMatchObject({ stat: 'FAIL', code: 40002, message_detail: name });
    }
  });

  it('serves 50 by default, at most 200, and counts the requests in its log', async () => {
    const before = await control<{ requests: { path: string }[] }>(sim, 'GET', '/_sim/requests');
    const small = await duoGet(sim, FULL, path, window());
    const big = await duoGet(sim, FULL, path, [...window(), ['limit', '1000']]);
    const events = (answer: typeof small) =>
      (answer.body as { response: { events: unknown[] } }).response.events.length;
    expect(events(small)).toBe(Math.min(50, (await truth(mintime, maxtime)).count));
    expect(events(big)).toBe(Math.min(200, (await truth(mintime, maxtime)).count));
    const after = await control<{ requests: { path: string }[] }>(sim, 'GET', '/_sim/requests');
    const count = (log: { requests: { path: string }[] }) =>
      log.requests.filter((r) => r.path === path).length;
    expect(count(after) - count(before)).toBe(2);
  });
});
