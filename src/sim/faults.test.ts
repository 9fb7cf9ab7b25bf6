import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RequestLogEntry, type Simulator } from './server.js';
import { control, duoGet, manualClock } from './testing.js';

const cred = { ikey: 'DIFAULTS000000000001', skey: 'f'.repeat(40) };
const USERS = '/admin/v1/users';

const clock = manualClock();
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({
    credentials: [cred],
    seed: 'faults',
    users: 30,
    days: 1,
    realClock: clock,
  });
});
afterAll(() => sim.close());

async function addFault(spec: Record<string, unknown>): Promise<void> {
  await control(sim, 'DELETE', '/_sim/faults');
  await control(sim, 'POST', '/_sim/faults', spec);
}

function logWindow(): [string, string][] {
  const now = sim.now();
  return [
    ['mintime', String(now - 6 * 3_600_000)],
    ['maxtime', String(now - 120_000)],
    ['limit', '50'],
  ];
}

describe('faults on demand', () => {
  it('5xx answers the matching requests with the status and a FAIL body, then recovers', async () => {
    await addFault({ kind: '5xx', path: USERS, count: 2, status: 502 });
    for (let i = 0; i < 2; i++) {
      const failed = await duoGet(sim, cred, USERS);
      expect(failed.status).toBe(502);
      expect(failed.body).toEqual({ stat: 'FAIL', code: 50200, message: 'Bad Gateway' });
    }
    expect((await duoGet(sim, cred, USERS)).status).toBe(200);
  });

  it('lets the first matching requests through when told `after`', async () => {
    await addFault({ kind: '5xx', path: USERS, after: 2, count: 1 });
    expect((await duoGet(sim, cred, USERS)).status).toBe(200);
    expect((await duoGet(sim, cred, '/admin/v1/groups')).status).toBe(200);
    expect((await duoGet(sim, cred, USERS)).status).toBe(200);
    expect((await duoGet(sim, cred, USERS)).status).toBe(503);
    expect((await duoGet(sim, cred, USERS)).status).toBe(200);
  });

  it('5xx can answer with an HTML page, as a load balancer does', async () => {
    await addFault({ kind: '5xx', body: 'html' });
    const failed = await duoGet(sim, cred, USERS);
    expect(failed.status).toBe(503);
    expect(failed.headers['content-type']).toBe('text/html');
    expect(failed.text).toContain('<h1>503 Service Unavailable</h1>');
    expect(failed.body).toBeUndefined();
  });

  it('only requests whose path matches the glob are hit', async () => {
    await addFault({ kind: '5xx', path: '/admin/v2/logs/*', count: 1 });
    expect((await duoGet(sim, cred, USERS)).status).toBe(200);
    const log = await duoGet(sim, cred, '/admin/v2/logs/authentication', logWindow());
    expect(log.status).toBe(503);
  });

  it('slow delays the answer by the given time', async () => {
    await addFault({ kind: 'slow', delayMs: 300 });
    const started = clock.now();
    const response = await duoGet(sim, cred, USERS);
    expect(response.status).toBe(200);
    expect(clock.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('hang never answers, so the client times out; the next request is served', async () => {
    await addFault({ kind: 'hang' });
    const impatient = new Agent({ headersTimeout: 300 });
    try {
      await expect(duoGet(sim, cred, USERS, [], { dispatcher: impatient })).rejects.toThrow(
        /timeout/i,
      );
      expect((await duoGet(sim, cred, USERS, [], { dispatcher: impatient })).status).toBe(200);
    } finally {
      await impatient.close();
    }
  });

  it('reset destroys the connection before any answer', async () => {
    await addFault({ kind: 'reset' });
    await expect(duoGet(sim, cred, USERS)).rejects.toThrow();
    expect((await duoGet(sim, cred, USERS)).status).toBe(200);
  });

  it('truncate sends only the first half of the JSON', async () => {
    const whole = await duoGet(sim, cred, USERS, [['limit', '5']]);
    await addFault({ kind: 'truncate' });
    const cut = await duoGet(sim, cred, USERS, [['limit', '5']]);
    expect(cut.status).toBe(200);
    expect(cut.body).toBeUndefined();
    expect(cut.text.length).toBe(Math.floor(whole.text.length / 2));
    expect(whole.text.startsWith(cut.text)).toBe(true);
  });

  it('bad_record gives one record of a page a wrong type (txid as a number)', async () => {
    await addFault({ kind: 'bad_record', path: '/admin/v2/logs/authentication' });
    const page = await duoGet(sim, cred, '/admin/v2/logs/authentication', logWindow());
    const records = (page.body as { response: { authlogs: { txid: unknown }[] } }).response
      .authlogs;
    expect(records.length).toBeGreaterThan(2);
    expect(records.filter((r) => typeof r.txid !== 'string')).toHaveLength(1);
    const again = await duoGet(sim, cred, '/admin/v2/logs/authentication', logWindow());
    const clean = (again.body as { response: { authlogs: { txid: unknown }[] } }).response.authlogs;
    expect(clean.every((r) => typeof r.txid === 'string')).toBe(true);
  });

  it('rate_limit forces 429 42901 without Retry-After', async () => {
    await addFault({ kind: 'rate_limit', count: 1 });
    const limited = await duoGet(sim, cred, USERS);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ stat: 'FAIL', code: 42901, message: 'Too Many Requests' });
    expect(limited.headers['retry-after']).toBeUndefined();
  });

  it('a fault with a probability fires until the faults are cleared', async () => {
    await addFault({ kind: 'rate_limit', probability: 1 });
    expect((await duoGet(sim, cred, USERS)).status).toBe(429);
    expect((await duoGet(sim, cred, USERS)).status).toBe(429);
    await control(sim, 'DELETE', '/_sim/faults');
    expect((await duoGet(sim, cred, USERS)).status).toBe(200);
  });

  it('refuses a fault of an unknown kind with 400', async () => {
    await expect(control(sim, 'POST', '/_sim/faults', { kind: 'gremlins' })).rejects.toThrow(/400/);
  });
});

describe('rate limits', () => {
  it('answers 429 42901 once the bucket is empty and serves again after it refills', async () => {
    const limitedClock = manualClock();
    const limited = await startSimulator({
      realClock: limitedClock,
      credentials: [cred, { ikey: 'DIOTHER0000000000001', skey: 'x'.repeat(40) }],
      users: 10,
      days: 1,
      rateLimits: { objects_page: { perMinute: 60, burst: 2 } },
    });
    try {
      expect((await duoGet(limited, cred, USERS)).status).toBe(200);
      expect((await duoGet(limited, cred, USERS)).status).toBe(200);
      const refused = await duoGet(limited, cred, USERS);
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({ stat: 'FAIL', code: 42901, message: 'Too Many Requests' });
      expect(refused.headers['retry-after']).toBeUndefined();
      const other = { ikey: 'DIOTHER0000000000001', skey: 'x'.repeat(40) };
      expect((await duoGet(limited, other, USERS)).status).toBe(200);
      expect((await duoGet(limited, cred, '/admin/v1/info/summary')).status).toBe(200);
      limitedClock.advance(1100);
      expect((await duoGet(limited, cred, USERS)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('the request log', () => {
  it('records method, path, query, status, code and ikey of Duo requests, and can be cleared', async () => {
    await control(sim, 'DELETE', '/_sim/faults');
    await control(sim, 'DELETE', '/_sim/requests');
    await duoGet(sim, cred, USERS, [['limit', '2']]);
    await duoGet(sim, { ikey: cred.ikey, skey: 'wrong' }, USERS);
    const { requests } = await control<{ requests: RequestLogEntry[] }>(
      sim,
      'GET',
      '/_sim/requests',
    );
    expect(requests).toMatchObject([
      { method: 'GET', path: USERS, query: 'limit=2', status: 200, ikey: cred.ikey },
      { method: 'GET', path: USERS, status: 401, code: 40103, ikey: cred.ikey },
    ]);
    expect(requests[0]?.at).toBe(clock.now());
    await control(sim, 'DELETE', '/_sim/requests');
    expect((await control<{ requests: unknown[] }>(sim, 'GET', '/_sim/requests')).requests).toEqual(
      [],
    );
  });

  it('keeps only the newest entries when it is full', async () => {
    const small = await startSimulator({
      credentials: [cred],
      users: 5,
      days: 1,
      requestLogSize: 3,
    });
    try {
      for (let limit = 1; limit <= 5; limit++) {
        await duoGet(small, cred, USERS, [['limit', String(limit)]]);
      }
      const { requests } = await control<{ requests: RequestLogEntry[] }>(
        small,
        'GET',
        '/_sim/requests',
      );
      expect(requests.map((r) => r.query)).toEqual(['limit=3', 'limit=4', 'limit=5']);
    } finally {
      await small.close();
    }
  });
});
