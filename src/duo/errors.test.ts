import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createDuoClient } from './client.js';
import type { DuoClient, DuoClientConfig } from './client.js';
import { DUO_ERROR_KINDS, DuoError, errorFromHttp, permissionFor } from './errors.js';
import type { DuoErrorKind } from './errors.js';
import { fail, ok, startFakeDuo } from './fake-duo.js';
import type { FakeDuo, FakeDuoScript } from './fake-duo.js';
import { ms } from '../domain/time.js';

const IKEY = 'DIWJ8X6AEYOR5OMC6TQ1';
const SKEY = 'Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep';

/** Every DuoError these tests saw, checked at the end for leaked secrets. */
const seen: DuoError[] = [];
const open: { duo: FakeDuo; client: DuoClient }[] = [];

async function duoAnswering(
  script: FakeDuoScript,
  config: Partial<DuoClientConfig> = {},
): Promise<{ duo: FakeDuo; client: DuoClient }> {
  const duo = await startFakeDuo(script);
  const client = createDuoClient({
    apiHost: duo.url,
    ikey: IKEY,
    skey: SKEY,
    rateLimits: 'off',
    backoff: {
      rateLimit: { initialMs: 5, maxDelayMs: 20, maxTotalWaitMs: 100 },
      transient: { retries: 2, initialMs: 5, maxDelayMs: 10 },
    },
    ...config,
  });
  open.push({ duo, client });
  return { duo, client };
}

async function failureOf(promise: Promise<unknown>): Promise<DuoError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DuoError);
    seen.push(error as DuoError);
    return error as DuoError;
  }
  throw new Error('expected a DuoError, the call succeeded');
}

async function firstPage<T>(pages: AsyncIterable<T>): Promise<T> {
  for await (const page of pages) return page;
  throw new Error('no page');
}

const window = { mintime: ms(1_700_000_000_000), maxtime: ms(1_700_000_600_000) };

afterEach(async () => {
  for (const { duo, client } of open.splice(0)) {
    await client.close();
    await duo.close();
  }
});

describe('Duo answers mapped to what the user must fix', () => {
  it('says the integration key is wrong on 40102, and does not retry', async () => {
    const { duo, client } = await duoAnswering(() =>
      fail(40102, 'Invalid integration key in request credentials'),
    );
    const error = await failureOf(client.user('DU1'));
    expect(error.kind).toBe('invalid_integration_key');
    expect(error.message).toContain('40102');
    expect(error.fix).toMatch(/Integration key/);
    expect(duo.requests).toHaveLength(1);
  });

  it('says the signature is wrong on 40103 and points at the secret key', async () => {
    const { client } = await duoAnswering(() =>
      fail(40103, 'Invalid signature in request credentials'),
    );
    const error = await failureOf(client.user('DU1'));
    expect(error.kind).toBe('invalid_signature');
    expect(error.message).not.toMatch(/clock skew/);
    expect(error.fix).toMatch(/Secret key/);
  });

  it('blames the clock, with the skew in seconds, when Duo’s Date is 5 minutes off ours', async () => {
    const { client } = await duoAnswering(() => ({
      ...fail(40103, 'Invalid signature in request credentials'),
      headers: { date: new Date(Date.now() + 300_000).toUTCString() },
    }));
    const error = await failureOf(client.user('DU1'));
    expect(error.kind).toBe('invalid_signature');
    expect(error.clockSkewSeconds).toBeGreaterThanOrEqual(298);
    expect(error.clockSkewSeconds).toBeLessThanOrEqual(302);
    expect(error.message).toMatch(/clock skew of (29[89]|30[0-2]) s/);
    expect(error.fix).toMatch(/NTP/);
  });

  it('says plainly that the secret key is wrong when Duo’s clock agrees with ours', async () => {
    const { client } = await duoAnswering(() => ({
      ...fail(40103, 'Invalid signature in request credentials'),
      headers: { date: new Date().toUTCString() },
    }));
    const error = await failureOf(client.user('DU1'));
    expect(error.kind).toBe('invalid_signature');
    expect(Math.abs(error.clockSkewSeconds ?? 99)).toBeLessThanOrEqual(2);
    expect(error.message).toMatch(/^The secret key is wrong: /);
    expect(error.message).toMatch(/the clock is not the cause/);
    expect(error.fix).toMatch(/^Copy the Secret key again/);
    expect(error.fix).not.toMatch(/clock|NTP/);
  });

  it.each([
    [0, 'wrong'],
    [-5, 'wrong'],
    [5, 'wrong'],
    [6, 'either'],
    [-30, 'either'],
    [60, 'either'],
    [61, 'clock'],
  ] as const)('words a 40103 with %i s of clock skew as %s', (skew, verdict) => {
    const error = errorFromHttp({
      path: '/admin/v1/users',
      httpStatus: 401,
      duoCode: 40103,
      duoMessage: 'Invalid signature in request credentials',
      clockSkewSeconds: skew,
    });
    expect(error.kind).toBe('invalid_signature');
    expect(error.clockSkewSeconds).toBe(skew);
    const wrongKey = /^The secret key is wrong/.test(error.message);
    const clock = /clock skew of/.test(error.message);
    expect({ wrongKey, clock }).toEqual({
      wrongKey: verdict === 'wrong',
      clock: verdict === 'clock',
    });
  });

  it('says credentials are missing on 40101', async () => {
    const { client } = await duoAnswering(() => fail(40101, 'Missing request credentials'));
    expect((await failureOf(client.infoSummary())).kind).toBe('missing_credentials');
  });

  it.each([
    ['activity logs', 'Grant read log'],
    ['users', 'Grant read resource'],
    ['the summary', 'Grant read information'],
    ['administrators', 'Grant administrators'],
  ] as const)('names the missing permission for %s on 40301', async (what, permission) => {
    const { duo, client } = await duoAnswering(() => fail(40301, 'Access forbidden'));
    const call: Record<typeof what, () => Promise<unknown>> = {
      'activity logs': () => firstPage(client.activityLogs(window)),
      users: () => firstPage(client.users()),
      'the summary': () => client.infoSummary(),
      administrators: () => firstPage(client.admins()),
    };
    const error = await failureOf(call[what]());
    expect(error.kind).toBe('permission_missing');
    expect(error.permission).toBe(permission);
    expect(error.message).toContain(`"${permission}"`);
    expect(error.fix).toContain(`tick "${permission}"`);
    expect(duo.requests).toHaveLength(1);
  });

  it('says a change whose answer was cut after a 200 may have been applied, without sending it again', async () => {
    const { duo, client } = await duoAnswering(() => ({
      ...ok({ user_id: 'DU1', username: 'a', status: 'disabled' }),
      action: 'truncate',
    }));
    const error = await failureOf(client.setUserStatus('DU1', 'disabled'));
    expect(error.kind).toBe('uncertain_outcome');
    expect(error.message).toContain('POST /admin/v1/users/DU1');
    expect(duo.requests).toHaveLength(1);
  });

  it('names "Grant write resource" for a refused change', async () => {
    const { client } = await duoAnswering(() => fail(40301, 'Access forbidden'));
    const error = await failureOf(client.removeUserFromGroup('DU1', 'DG1'));
    expect(error.permission).toBe('Grant write resource');
  });

  it('reports a missing object as not_found, without retrying', async () => {
    const { duo, client } = await duoAnswering(() => fail(40401, 'Resource not found'));
    const error = await failureOf(client.user('DUNOSUCHUSER'));
    expect(error.kind).toBe('not_found');
    expect(error.path).toBe('/admin/v1/users/DUNOSUCHUSER');
    expect(duo.requests).toHaveLength(1);
  });

  it('reports rejected parameters with Duo’s message_detail, without retrying', async () => {
    const { duo, client } = await duoAnswering(() =>
      fail(40002, 'Invalid request parameters', 'mintime'),
    );
    const error = await failureOf(firstPage(client.authLogs(window)));
    expect(error.kind).toBe('bad_request');
    expect(error.messageDetail).toBe('mintime');
    expect(error.message).toContain('Invalid request parameters: mintime');
    expect(duo.requests).toHaveLength(1);
  });

  it('retries a 5xx a few times, then reports a server error with the attempts', async () => {
    const { duo, client } = await duoAnswering(() => ({
      status: 503,
      body: '<html>Service Unavailable</html>',
    }));
    const error = await failureOf(client.user('DU1'));
    expect(error.kind).toBe('server_error');
    expect(error.httpStatus).toBe(503);
    expect(error.attempts).toBe(3);
    expect(error.message).toContain('after 3 attempts');
    expect(duo.requests).toHaveLength(3);
  });

  it('recovers when a 5xx is followed by a good answer', async () => {
    const { client } = await duoAnswering((_request, index) =>
      index === 0 ? fail(50000, 'Internal error') : ok({ user_count: 3 }),
    );
    expect(await client.infoSummary()).toEqual({ user_count: 3 });
  });

  it('backs off on 429 and recovers when Duo lets requests through again', async () => {
    const { duo, client } = await duoAnswering((_request, index) =>
      index < 3 ? fail(42901, 'Too Many Requests') : ok({ user_count: 1 }),
    );
    expect(await client.infoSummary()).toEqual({ user_count: 1 });
    expect(duo.requests).toHaveLength(4);
    expect(client.stats().rateLimited).toBe(3);
  });

  it('gives up with rate_limited once the 429 wait budget is spent', async () => {
    const { duo, client } = await duoAnswering(() => fail(42901, 'Too Many Requests'));
    const error = await failureOf(client.infoSummary());
    expect(error.kind).toBe('rate_limited');
    expect(error.message).toMatch(/429 Too Many Requests/);
    expect(duo.requests.length).toBeGreaterThan(3);
    expect(client.stats().backoffMs).toBeLessThanOrEqual(100);
  });

  it('calls a 200 that is not JSON a bad response, after retrying it', async () => {
    const { duo, client } = await duoAnswering(() => ({ body: '<html>proxy login</html>' }));
    const error = await failureOf(client.infoSummary());
    expect(error.kind).toBe('bad_response');
    expect(duo.requests).toHaveLength(3);
  });

  it('calls a cut-off body a bad response', async () => {
    const { client } = await duoAnswering(() => ({
      ...ok({ user_count: 1, admin_count: 2, integration_count: 3 }),
      action: 'truncate',
    }));
    expect((await failureOf(client.infoSummary())).kind).toBe('bad_response');
  });

  it('calls a JSON body without Duo’s envelope a bad response, without retrying', async () => {
    const { duo, client } = await duoAnswering(() => ({ body: { users: [] } }));
    const error = await failureOf(firstPage(client.users()));
    expect(error.kind).toBe('bad_response');
    expect(error.message).toMatch(/envelope/);
    expect(duo.requests).toHaveLength(1);
  });

  it('calls a single object that fails its schema a bad response', async () => {
    const { client } = await duoAnswering(() => ok({ user_id: 42 }));
    const error = await failureOf(client.user('DU1'));
    expect(error.kind).toBe('bad_response');
    expect(error.message).toMatch(/user_id/);
  });

  it('reads the kind from the code of a FAIL sent with status 200', async () => {
    const { client } = await duoAnswering(() => ({ body: fail(40301, 'Access forbidden').body }));
    expect((await failureOf(client.infoSummary())).kind).toBe('permission_missing');
  });
});

describe('permissionFor', () => {
  it('maps every endpoint family to the Admin API permission Duo asks for', () => {
    expect(permissionFor('/admin/v2/logs/authentication')).toBe('Grant read log');
    expect(permissionFor('/admin/v1/logs/offline_enrollment')).toBe('Grant read log');
    expect(permissionFor('/admin/v2/groups/DG1/users')).toBe('Grant read resource');
    expect(permissionFor('/admin/v1/info/summary')).toBe('Grant read information');
    expect(permissionFor('/admin/v1/admins')).toBe('Grant administrators');
    expect(permissionFor('/admin/v1/users/DU1', 'POST')).toBe('Grant write resource');
    expect(permissionFor('/admin/v1/users/DU1/groups/DG1', 'DELETE')).toBe('Grant write resource');
  });
});

// Tests in a file run in order: this one sees every error produced above.
it('produces every kind above, and none of them shows the secret key or an Authorization header', () => {
  const kinds = new Set<DuoErrorKind>(seen.map((error) => error.kind));
  for (const kind of DUO_ERROR_KINDS) {
    if (kind !== 'network') expect(kinds, `no test produced ${kind}`).toContain(kind);
  }
  for (const error of seen) {
    const everything = [
      error.message,
      error.fix,
      error.stack ?? '',
      inspect(error, { depth: null }),
      JSON.stringify(error),
    ].join('\n');
    expect(everything).not.toContain(SKEY);
    expect(everything).not.toMatch(/Basic [A-Za-z0-9+/=]{8,}/);
  }
});
