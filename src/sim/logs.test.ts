import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, ms, type EpochMs } from '../domain/time.js';
import type { DuoParams } from '../duo/signing.js';
import { canonicalJson } from './records.js';
import { startSimulator, type Simulator, type SimulatorOptions } from './server.js';
import { control, duoGet } from './testing.js';

const cred = { ikey: 'DILOGS00000000000001', skey: 'l'.repeat(40) };
const START = ms(Date.UTC(2025, 0, 15, 12, 0, 0));
const base: SimulatorOptions = {
  credentials: [cred],
  seed: 'logs-test',
  users: 300,
  days: 2,
  authEventsPerDay: 50_000,
  clock: { start: START, speed: 0 },
};

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator(base);
});
afterAll(() => sim.close());

type V2 = 'authentication' | 'telephony' | 'activity';
const KEY_FIELD: Record<V2, string> = {
  authentication: 'txid',
  telephony: 'telephony_id',
  activity: 'activity_id',
};

interface Truth {
  count: number;
  keys: string[];
}

function truth(s: Simulator, type: string, mintime: number, maxtime: number): Promise<Truth> {
  return control<Truth>(
    s,
    'GET',
    `/_sim/truth/${type}?mintime=${mintime}&maxtime=${maxtime}&keys=1`,
  );
}

interface LogPage {
  records: Record<string, unknown>[];
  metadata: { next_offset?: unknown; total_objects?: unknown };
}

async function logPage(s: Simulator, type: V2, params: DuoParams): Promise<LogPage> {
  const response = await duoGet(s, cred, `/admin/v2/logs/${type}`, params);
  expect(response.status, response.text).toBe(200);
  const body = response.body as { response: Record<string, unknown> };
  const records = (
    type === 'authentication' ? body.response.authlogs : body.response.items
  ) as Record<string, unknown>[];
  return { records, metadata: body.response.metadata as LogPage['metadata'] };
}

/** Follows next_offset the way a client does; returns the keys in the order served. */
async function pageAll(
  s: Simulator,
  type: V2,
  window: { mintime: number; maxtime: number },
  transport: 'joined' | 'repeated',
  sort: 'ts:asc' | 'ts:desc' = 'ts:asc',
): Promise<{ keys: string[]; requests: number; totals: unknown[] }> {
  const keys: string[] = [];
  const totals: unknown[] = [];
  let offset: string[] | undefined;
  let requests = 0;
  for (;;) {
    const params: [string, string][] = [
      ['mintime', String(window.mintime)],
      ['maxtime', String(window.maxtime)],
      ['limit', '1000'],
      ['sort', sort],
    ];
    if (offset) {
      if (transport === 'joined') params.push(['next_offset', offset.join(',')]);
      else for (const part of offset) params.push(['next_offset', part]);
    }
    const page = await logPage(s, type, params);
    requests++;
    totals.push(page.metadata.total_objects);
    if (page.records.length === 0) break;
    keys.push(...page.records.map((r) => String(r[KEY_FIELD[type]])));
    const next = page.metadata.next_offset;
    if (Array.isArray(next)) offset = next.map(String);
    else if (typeof next === 'string') offset = next.split(',');
    else break;
    if (requests > 100) throw new Error('paging does not end');
  }
  return { keys, requests, totals };
}

const logWindow = { mintime: START - 12 * HOUR_MS, maxtime: START - 2 * HOUR_MS };

describe('v2 logs paged by next_offset', () => {
  for (const type of ['authentication', 'telephony', 'activity'] as const) {
    for (const transport of ['joined', 'repeated'] as const) {
      it(`${type}: pages with next_offset ${transport} reassemble exactly the truth`, async () => {
        const expected = await truth(sim, type, logWindow.mintime, logWindow.maxtime);
        const served = await pageAll(sim, type, logWindow, transport);
        expect(served.keys).toEqual(expected.keys);
        expect(new Set(served.keys).size).toBe(served.keys.length);
        if (type === 'authentication') expect(expected.count).toBeGreaterThan(3000);
        else expect(expected.count).toBeGreaterThan(50);
      });
    }
  }

  it('authentication reports total_objects as an integer, telephony and activity as {relation, value}', async () => {
    const auth = await pageAll(sim, 'authentication', logWindow, 'joined');
    const count = (await truth(sim, 'authentication', logWindow.mintime, logWindow.maxtime)).count;
    expect(new Set(auth.totals)).toEqual(new Set([count]));
    for (const type of ['telephony', 'activity'] as const) {
      const expected = (await truth(sim, type, logWindow.mintime, logWindow.maxtime)).count;
      const page = await logPage(sim, type, [
        ['mintime', String(logWindow.mintime)],
        ['maxtime', String(logWindow.maxtime)],
      ]);
      expect(page.metadata.total_objects).toEqual({ relation: 'eq', value: expected });
    }
  });

  it('sorts newest first by default and when asked ts:desc, paging back through the truth', async () => {
    const expected = await truth(sim, 'authentication', logWindow.mintime, logWindow.maxtime);
    const served = await pageAll(sim, 'authentication', logWindow, 'joined', 'ts:desc');
    expect(served.keys).toEqual([...expected.keys].reverse());
    const first = await logPage(sim, 'authentication', [
      ['mintime', String(logWindow.mintime)],
      ['maxtime', String(logWindow.maxtime)],
    ]);
    expect(first.records.map((r) => r.txid)).toEqual(expected.keys.slice(-100).reverse());
  });

  it('gives next_offset as ["ms","txid"] for authentication and "ms,id" for telephony', async () => {
    const params: DuoParams = [
      ['mintime', String(logWindow.mintime)],
      ['maxtime', String(logWindow.maxtime)],
      ['limit', '5'],
      ['sort', 'ts:asc'],
    ];
    const auth = await logPage(sim, 'authentication', params);
    const last = auth.records.at(-1) ?? {};
    expect(auth.metadata.next_offset).toEqual([
      String(Date.parse(String(last.isotimestamp).slice(0, 23) + 'Z')),
      last.txid,
    ]);
    const phone = await logPage(sim, 'telephony', params);
    expect(phone.metadata.next_offset).toMatch(/^\d{13},.+$/);
    expect(String(phone.metadata.next_offset).split(',')[1]).toBe(
      phone.records.at(-1)?.telephony_id,
    );
  });

  it('clamps limit to 1000 and defaults it to 100', async () => {
    const window: DuoParams = [
      ['mintime', String(logWindow.mintime)],
      ['maxtime', String(logWindow.maxtime)],
    ];
    expect((await logPage(sim, 'authentication', window)).records).toHaveLength(100);
    const big = await logPage(sim, 'authentication', [...window, ['limit', '5000']]);
    expect(big.records).toHaveLength(1000);
  });
});

describe('the last page and next_offset', () => {
  const small = { mintime: START - 3 * HOUR_MS, maxtime: START - 3 * HOUR_MS + 10 * 60_000 };
  const params = (extra: DuoParams = [], limit = '1000'): DuoParams => [
    ['mintime', String(small.mintime)],
    ['maxtime', String(small.maxtime)],
    ['limit', limit],
    ['sort', 'ts:asc'],
    ...extra,
  ];

  it('by default the last non-empty page carries next_offset, and following it gives an empty page', async () => {
    const last = await logPage(sim, 'authentication', params());
    expect(last.records.length).toBeGreaterThan(0);
    expect(last.records.length).toBeLessThan(1000);
    expect(last.metadata.next_offset).toBeDefined();
    const after = await logPage(
      sim,
      'authentication',
      params([['next_offset', (last.metadata.next_offset as string[]).join(',')]]),
    );
    expect(after.records).toEqual([]);
    expect(after.metadata.next_offset).toBeUndefined();
  });

  it('with lastPageNextOffset off the last page has no next_offset', async () => {
    const strict = await startSimulator({ ...base, lastPageNextOffset: false });
    try {
      const last = await logPage(strict, 'authentication', params());
      expect(last.records.length).toBeGreaterThan(0);
      expect(last.metadata.next_offset).toBeUndefined();
      const partial = await logPage(strict, 'authentication', params([], '2'));
      expect(partial.metadata.next_offset).toBeDefined();
    } finally {
      await strict.close();
    }
  });
});

describe('v2 log parameters', () => {
  const now = START;
  const good = { mintime: String(now - HOUR_MS), maxtime: String(now - 120_000) };
  const cases: [string, DuoParams, number, string, string][] = [
    [
      'missing mintime',
      [['maxtime', good.maxtime]],
      40001,
      'Missing required request parameters',
      'mintime',
    ],
    [
      'missing maxtime',
      [['mintime', good.mintime]],
      40001,
      'Missing required request parameters',
      'maxtime',
    ],
    [
      'mintime in seconds',
      [
        ['mintime', good.mintime.slice(0, 10)],
        ['maxtime', good.maxtime],
      ],
      40002,
      'Invalid request parameters',
      'mintime',
    ],
    [
      'maxtime not a number',
      [
        ['mintime', good.mintime],
        ['maxtime', 'soon'],
      ],
      40002,
      'Invalid request parameters',
      'maxtime',
    ],
    [
      'mintime not before maxtime',
      [
        ['mintime', good.maxtime],
        ['maxtime', good.maxtime],
      ],
      40002,
      'Invalid request parameters',
      'mintime',
    ],
    [
      'mintime older than 180 days',
      [
        ['mintime', String(now - 181 * 24 * HOUR_MS)],
        ['maxtime', good.maxtime],
      ],
      40002,
      'Invalid request parameters',
      'mintime',
    ],
    [
      'an unknown sort',
      [
        ['mintime', good.mintime],
        ['maxtime', good.maxtime],
        ['sort', 'ts'],
      ],
      40002,
      'Invalid request parameters',
      'sort',
    ],
    [
      'a limit that is not a number',
      [
        ['mintime', good.mintime],
        ['maxtime', good.maxtime],
        ['limit', 'all'],
      ],
      40002,
      'Invalid request parameters',
      'limit',
    ],
    [
      'a next_offset without its key',
      [
        ['mintime', good.mintime],
        ['maxtime', good.maxtime],
        ['next_offset', '1736942400000'],
      ],
      40002,
      'Invalid request parameters',
      'next_offset',
    ],
  ];
  for (const [name, params, code, message, detail] of cases) {
    it(`answers ${name} with 400 ${code} naming ${detail}`, async () => {
      const response = await duoGet(sim, cred, '/admin/v2/logs/authentication', params);
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ stat: 'FAIL', code, message, message_detail: detail });
    });
  }
});

function authRecord(txid: string, at: EpochMs): Record<string, unknown> {
  const iso = new Date(at).toISOString().replace('Z', '000+00:00');
  return {
    txid,
    timestamp: Math.floor(at / 1000),
    isotimestamp: iso,
    event_type: 'authentication',
    result: 'success',
    reason: 'user_approved',
    factor: 'duo_push',
    user: { key: 'DUINJECTED0000000001', name: 'injected', groups: [] },
  };
}

describe('publication', () => {
  it('hides events younger than the two-minute delay, then serves them', async () => {
    const s = await startSimulator({ ...base, seed: 'publish' });
    try {
      const at = ms(s.now() - 30_000);
      await control(s, 'POST', '/_sim/events', {
        type: 'authentication',
        records: [authRecord('fresh-event', at)],
      });
      const window: DuoParams = [
        ['mintime', String(at - 1)],
        ['maxtime', String(at + 1)],
      ];
      expect((await logPage(s, 'authentication', window)).records).toEqual([]);
      expect((await truth(s, 'authentication', at - 1, at + 1)).keys).toEqual([]);
      await control(s, 'POST', '/_sim/clock', { advanceMs: 90_000 });
      const page = await logPage(s, 'authentication', window);
      expect(page.records.map((r) => r.txid)).toEqual(['fresh-event']);
      expect((await truth(s, 'authentication', at - 1, at + 1)).keys).toEqual(['fresh-event']);
    } finally {
      await s.close();
    }
  });

  it('serves a late event in its old place once it is published', async () => {
    const s = await startSimulator({ ...base, seed: 'late' });
    try {
      const at = ms(s.now() - HOUR_MS);
      await control(s, 'POST', '/_sim/events', {
        type: 'authentication',
        records: [authRecord('late-event', at)],
        publishedAt: s.now() + 10 * 60_000,
      });
      const window = { mintime: at - 60_000, maxtime: at + 60_000 };
      const before = await truth(s, 'authentication', window.mintime, window.maxtime);
      expect(before.keys).not.toContain('late-event');
      expect((await pageAll(s, 'authentication', window, 'joined')).keys).toEqual(before.keys);
      await control(s, 'POST', '/_sim/clock', { advanceMs: 13 * 60_000 });
      const after = await truth(s, 'authentication', window.mintime, window.maxtime);
      expect(after.count).toBe(before.count + 1);
      const served = await pageAll(s, 'authentication', window, 'repeated');
      expect(served.keys).toEqual(after.keys);
      expect(served.keys).toContain('late-event');
    } finally {
      await s.close();
    }
  });
});

// ---- v1 -----------------------------------------------------------------------------------------

function adminRecord(second: number, n: number): Record<string, unknown> {
  return {
    action: 'user_update',
    description: JSON.stringify({ notes: `bulk edit ${n}` }),
    isotimestamp: new Date(second * 1000).toISOString().replace('.000Z', '+00:00'),
    object: `user${n}`,
    timestamp: second,
    username: 'bulk-admin',
  };
}

async function v1Page(
  s: Simulator,
  type: string,
  mintime: number,
): Promise<Record<string, unknown>[]> {
  const response = await duoGet(s, cred, `/admin/v1/logs/${type}`, [['mintime', String(mintime)]]);
  expect(response.status, response.text).toBe(200);
  return (response.body as { response: Record<string, unknown>[] }).response;
}

/** Go's rule: next mintime = the page's latest second (inclusive), +1 when the page is one second. */
async function pageAllV1(s: Simulator, type: string, mintime: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let requests = 0; requests < 100; requests++) {
    const page = await v1Page(s, type, mintime);
    for (const record of page) seen.add(canonicalJson(record));
    if (page.length < 1000) return seen;
    const seconds = page.map((r) => Number(r.timestamp));
    const latest = Math.max(...seconds);
    mintime = seconds.every((t) => t === latest) ? latest + 1 : latest;
  }
  throw new Error('v1 paging does not end');
}

describe('v1 logs paged by mintime in seconds', () => {
  const second = Math.floor((START - HOUR_MS) / 1000);
  const bulk = [
    ...Array.from({ length: 600 }, (_, n) => adminRecord(second, n)),
    ...Array.from({ length: 600 }, (_, n) => adminRecord(second + 1, 600 + n)),
  ];

  it('by default answers at most 1000 records, as Duo does, even inside a busy second', async () => {
    const s = await startSimulator({ ...base, seed: 'v1-default' });
    try {
      await control(s, 'POST', '/_sim/events', { type: 'administrator', records: bulk });
      const page = await v1Page(s, 'administrator', second);
      expect(page).toHaveLength(1000);
      const all = await truth(s, 'administrator', second * 1000, START);
      expect(await pageAllV1(s, 'administrator', second)).toEqual(new Set(all.keys));
    } finally {
      await s.close();
    }
  });

  it("with 'complete', finishes the last second, so a page may hold more than 1000 records", async () => {
    const s = await startSimulator({ ...base, seed: 'v1-complete', v1LastSecond: 'complete' });
    try {
      await control(s, 'POST', '/_sim/events', { type: 'administrator', records: bulk });
      const page = await v1Page(s, 'administrator', second);
      expect(page.length).toBeGreaterThanOrEqual(1200);
      const lastSecond = Number(page.at(-1)?.timestamp);
      const inLast = page.filter((r) => r.timestamp === lastSecond).length;
      const truthLast = await truth(s, 'administrator', lastSecond * 1000, lastSecond * 1000 + 999);
      expect(inLast).toBe(truthLast.count);
      const all = await truth(s, 'administrator', START - 2 * 24 * HOUR_MS, START);
      expect(await pageAllV1(s, 'administrator', 0)).toEqual(new Set(all.keys));
    } finally {
      await s.close();
    }
  });

  it("with 'cut', a page ends inside a second and restarting at that second brings the rest", async () => {
    const s = await startSimulator({ ...base, seed: 'v1-cut', v1LastSecond: 'cut' });
    try {
      await control(s, 'POST', '/_sim/events', { type: 'administrator', records: bulk });
      const page = await v1Page(s, 'administrator', second);
      expect(page).toHaveLength(1000);
      const lastSecond = Number(page.at(-1)?.timestamp);
      const truthLast = await truth(s, 'administrator', lastSecond * 1000, lastSecond * 1000 + 999);
      expect(page.filter((r) => r.timestamp === lastSecond).length).toBeLessThan(truthLast.count);
      const all = await truth(s, 'administrator', second * 1000, START);
      expect(await pageAllV1(s, 'administrator', second)).toEqual(new Set(all.keys));
      expect(all.count).toBeGreaterThanOrEqual(1200);
    } finally {
      await s.close();
    }
  });

  it('serves identical records injected together as that many records, and again only as many', async () => {
    const s = await startSimulator({ ...base, seed: 'v1-identical', authEventsPerDay: 0 });
    try {
      const repeated = adminRecord(second, 7);
      const batch = { type: 'administrator', records: [repeated, repeated, repeated] };
      const injected = await control<{ keys: string[] }>(s, 'POST', '/_sim/events', batch);
      expect(injected.keys).toEqual(Array(3).fill(canonicalJson(repeated)));
      await control(s, 'POST', '/_sim/events', batch);
      const page = await v1Page(s, 'administrator', second);
      expect(page.filter((r) => canonicalJson(r) === canonicalJson(repeated))).toHaveLength(3);
      expect((await truth(s, 'administrator', second * 1000, second * 1000 + 999)).count).toBe(3);
    } finally {
      await s.close();
    }
  });

  it('offline enrollment pages reassemble the truth', async () => {
    const all = await truth(sim, 'offline_enrollment', START - 3 * 24 * HOUR_MS, START);
    expect(all.count).toBeGreaterThan(0);
    expect(await pageAllV1(sim, 'offline_enrollment', 0)).toEqual(new Set(all.keys));
  });

  it('answers a mintime that is not a number with 400 40002', async () => {
    const response = await duoGet(sim, cred, '/admin/v1/logs/administrator', [['mintime', 'x']]);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 40002, message_detail: 'mintime' });
  });
});
