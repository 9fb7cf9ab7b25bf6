import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization } from '../duo/signing.js';
import { startSimulator, type Simulator } from './server.js';
import { control, duoGet } from './testing.js';

const owner = { ikey: 'DIOWNER0000000000001', skey: 'a'.repeat(40) };
const logReader = { ikey: 'DILOGREADER000000001', skey: 'b'.repeat(40) };
const resourceReader = { ikey: 'DIRESOURCE0000000001', skey: 'c'.repeat(40) };

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({
    credentials: [
      owner,
      { ...logReader, permissions: ['read_log'] },
      { ...resourceReader, permissions: ['read_resource'] },
    ],
    users: 50,
    days: 1,
    authEventsPerDay: 500,
  });
});
afterAll(() => sim.close());

const USERS = '/admin/v1/users';

function failure(body: unknown): { code?: unknown; message?: unknown } {
  return body as { code?: unknown; message?: unknown };
}

describe('authentication like Duo', () => {
  it('refuses a request without credentials with 401 40101', async () => {
    const response = await duoGet(sim, owner, USERS, [], { authorization: '' });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      stat: 'FAIL',
      code: 40101,
      message: 'Missing request credentials',
    });
  });

  it('refuses garbled credentials with 401 40101', async () => {
    const response = await duoGet(sim, owner, USERS, [], { authorization: 'Basic %%%' });
    expect(response.status).toBe(401);
    expect(failure(response.body).code).toBe(40101);
  });

  it('refuses a signed request that carries no date with 401 40101', async () => {
    const response = await duoGet(sim, owner, USERS, [], { dateHeader: 'none' });
    expect(response.status).toBe(401);
    expect(failure(response.body).code).toBe(40101);
  });

  it('refuses an unknown integration key with 401 40102', async () => {
    const response = await duoGet(sim, { ikey: 'DINOSUCHKEY000000000', skey: owner.skey }, USERS);
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      stat: 'FAIL',
      code: 40102,
      message: 'Invalid integration key in request credentials',
    });
  });

  it('refuses a wrong secret key with 401 40103', async () => {
    const response = await duoGet(sim, { ikey: owner.ikey, skey: 'z'.repeat(40) }, USERS);
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      stat: 'FAIL',
      code: 40103,
      message: 'Invalid signature in request credentials',
    });
  });

  it('refuses a signature over other parameters than those sent with 401 40103', async () => {
    const response = await duoGet(sim, owner, USERS, [['limit', '10']], { rawQuery: 'limit=11' });
    expect(failure(response.body).code).toBe(40103);
  });

  it('refuses a correctly signed request whose date is ten minutes old with 401 40103', async () => {
    const date = new Date(Date.now() - 10 * 60_000).toUTCString();
    const response = await duoGet(sim, owner, USERS, [], { date });
    expect(response.status).toBe(401);
    expect(failure(response.body).code).toBe(40103);
  });

  it('sends a Date header on every response so clients can measure their skew', async () => {
    const refused = await duoGet(sim, owner, USERS, [], { authorization: '' });
    const served = await duoGet(sim, owner, USERS);
    for (const response of [refused, served]) {
      const date = Date.parse(String(response.headers.date));
      expect(Math.abs(date - Date.now())).toBeLessThan(5_000);
    }
  });

  it('accepts v2 with HMAC-SHA1, v2 with HMAC-SHA512 and v5 signatures', async () => {
    for (const scheme of ['v2-sha1', 'v2-sha512', 'v5'] as const) {
      const response = await duoGet(sim, owner, USERS, [['limit', '1']], { scheme });
      expect(response.status, scheme).toBe(200);
    }
  });

  it("accepts a Date formatted as Duo's Python client sends it (-0000)", async () => {
    const date = new Date().toUTCString().replace('GMT', '-0000');
    expect(date).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} -0000$/);
    const response = await duoGet(sim, owner, USERS, [['limit', '1']], { date });
    expect(response.status).toBe(200);
  });

  it('accepts a request dated only by X-Duo-Date, as the C# client sends', async () => {
    const response = await duoGet(sim, owner, USERS, [['limit', '1']], {
      dateHeader: 'x-duo-date',
      scheme: 'v2-sha512',
    });
    expect(response.status).toBe(200);
  });

  it('decodes the query as a form (+ is a space) and keeps repeated keys when checking', async () => {
    const response = await duoGet(
      sim,
      owner,
      USERS,
      [
        ['username', 'no such user'],
        ['username', 'second'],
      ],
      { rawQuery: 'username=no+such+user&username=second' },
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ stat: 'OK', response: [] });
  });

  it('accepts the configured API hostname as the signed host, and refuses another name', async () => {
    const named = await startSimulator({
      credentials: [owner],
      users: 5,
      days: 1,
      apiHostname: 'api-sim0001.duosecurity.com',
    });
    try {
      expect(named.host).toBe('api-sim0001.duosecurity.com');
      expect((await duoGet(named, owner, USERS)).status).toBe(200);
      const other = { url: named.url, host: 'api-other.duosecurity.com' };
      expect(failure((await duoGet(other, owner, USERS)).body).code).toBe(40103);
    } finally {
      await named.close();
    }
  });

  it('accepts a signature over the Host header without its port, as Duo does for standard ports', async () => {
    const hostname = sim.host.replace(/:\d+$/, '');
    expect(hostname).not.toBe(sim.host);
    const response = await duoGet({ url: sim.url, host: hostname }, owner, USERS);
    expect(response.status, response.text).toBe(200);
    const elsewhere = { url: sim.url, host: '127.0.0.2' };
    expect(failure((await duoGet(elsewhere, owner, USERS)).body).code).toBe(40103);
  });

  it('answers an unknown path with 404 40401', async () => {
    const response = await duoGet(sim, owner, '/admin/v1/nothing');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ stat: 'FAIL', code: 40401, message: 'Resource not found' });
  });

  it('answers an unknown basic authorization value with 40101 rather than crashing', async () => {
    const response = await duoGet(sim, owner, USERS, [], {
      authorization: basicAuthorization('', 'abc'),
    });
    expect(failure(response.body).code).toBe(40101);
  });
});

describe('permissions per integration key', () => {
  const forbidden = { stat: 'FAIL', code: 40301, message: 'Access forbidden' };
  const now = Date.now();
  const logParams: [string, string][] = [
    ['mintime', String(now - 3_600_000)],
    ['maxtime', String(now - 120_000)],
  ];

  it('refuses users and groups without "read resource" with 403 40301', async () => {
    for (const path of [USERS, '/admin/v1/groups']) {
      const response = await duoGet(sim, logReader, path);
      expect(response.status).toBe(403);
      expect(response.body).toEqual(forbidden);
    }
  });

  it('refuses every log without "read log" with 403 40301', async () => {
    const paths = [
      '/admin/v2/logs/authentication',
      '/admin/v2/logs/telephony',
      '/admin/v2/logs/activity',
      '/admin/v1/logs/administrator',
      '/admin/v1/logs/offline_enrollment',
      '/admin/v1/trust_monitor/events',
    ];
    for (const path of paths) {
      const response = await duoGet(sim, resourceReader, path, logParams);
      expect(response.body, path).toEqual(forbidden);
      expect((await duoGet(sim, logReader, path, logParams)).status, path).toBe(200);
    }
  });

  it('refuses the info summary without "read information" with 403 40301', async () => {
    expect((await duoGet(sim, logReader, '/admin/v1/info/summary')).body).toEqual(forbidden);
    expect((await duoGet(sim, owner, '/admin/v1/info/summary')).status).toBe(200);
  });

  it('refuses administrators without "administrators" with 403 40301', async () => {
    expect((await duoGet(sim, resourceReader, '/admin/v1/admins')).body).toEqual(forbidden);
    expect((await duoGet(sim, owner, '/admin/v1/admins')).status).toBe(200);
  });

  it('applies permissions changed through the control API at once', async () => {
    const key = { ikey: 'DICHANGING0000000001', skey: 'd'.repeat(40) };
    await control(sim, 'POST', '/_sim/credentials', { ...key, permissions: ['read_log'] });
    expect((await duoGet(sim, key, USERS)).status).toBe(403);
    await control(sim, 'POST', '/_sim/credentials', {
      ikey: key.ikey,
      permissions: ['read_resource'],
    });
    expect((await duoGet(sim, key, USERS)).status).toBe(200);
  });
});
