/**
 * Signing in and out over HTTP, in-process (`app.inject`) on SQLite: the session cookie's flags,
 * one answer for a wrong username and a wrong password, CSRF on cookie sessions (API tokens need
 * none), sign-out. Sign-in under attack: a concurrent burst never gets more
 * password checks than the limit, nobody at another address can lock a named user out, one
 * address spraying usernames is stopped, the client address comes from `X-Forwarded-For` only
 * behind `TRUST_PROXY`, and a failed sign-in never logs what was typed as the username.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerOptions } from '../server.js';
import { loadConfig } from '../../config.js';
import { listAudit } from '../../store/audit.js';
import type { User } from '../../domain/users.js';
import {
  errorOf,
  startTestApi,
  TEST_PASSWORD,
  type Answer,
  type Client,
  type TestApi,
} from '../../../test/support/api.js';

const opened: TestApi[] = [];

async function apiWith(options: ServerOptions = {}): Promise<TestApi> {
  const api = await startTestApi(options);
  opened.push(api);
  return api;
}

/** The server options `serve` derives from `TRUST_PROXY`. */
function behindProxy(value: string): ServerOptions {
  return { trustProxy: loadConfig({ TRUST_PROXY: value }).trustProxy };
}

function login(api: TestApi, username: string, password: string, from?: string): Promise<Answer> {
  return api.anonymous(
    'POST',
    '/api/v1/auth/login',
    { username, password },
    from === undefined ? {} : { 'x-forwarded-for': from },
  );
}

function statuses(answers: readonly Answer[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
}

async function auditedLogins(api: TestApi): Promise<{ name: string | null; ip: string | null }[]> {
  const entries = await listAudit(api.app.db, { limit: 1000 });
  return entries
    .filter((e) => e.action === 'auth.login')
    .map((e) => ({ name: e.targetName, ip: e.ip }));
}

afterEach(async () => {
  for (const api of opened.splice(0)) await api.close();
});

describe('sign-in throttling', () => {
  it('checks at most five passwords of a concurrent burst, and refuses the right one sent with it', async () => {
    const api = await apiWith();
    await api.createUser('alice', 'viewer');
    const burst = [
      ...Array.from({ length: 24 }, () => login(api, 'alice', 'wrong password')),
      login(api, 'alice', TEST_PASSWORD),
    ];
    const answers = await Promise.all(burst);
    // 401 = a password was checked and was wrong; 429 = refused before any check.
    expect(statuses(answers.slice(0, 24))).toEqual({ 401: 5, 429: 19 });
    const right = answers[24];
    expect(right?.status).toBe(429);
    expect(Number(right?.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('takes back the attempt of a right password, so sign-ins never use up the limit', async () => {
    const api = await apiWith({ throttle: { perAddress: 3 } });
    await api.createUser('alice', 'viewer');
    // In flight, a right password holds its attempt too: a burst gets at most the limit checked.
    const burst = await Promise.all(
      Array.from({ length: 3 }, () => login(api, 'alice', TEST_PASSWORD)),
    );
    expect(statuses(burst)).toEqual({ 200: 3 });
    for (let i = 0; i < 6; i++) expect((await login(api, 'alice', TEST_PASSWORD)).status).toBe(200);
    expect((await login(api, 'alice', 'wrong password')).status).toBe(401);
  });

  it('behind TRUST_PROXY=1, wrong passwords from one client do not stop the right one from another', async () => {
    const api = await apiWith(behindProxy('1'));
    await api.createUser('admin', 'admin');
    for (let i = 0; i < 5; i++)
      expect((await login(api, 'admin', 'guessed', '203.0.113.7')).status).toBe(401);
    expect((await login(api, 'admin', TEST_PASSWORD, '203.0.113.7')).status).toBe(429);
    expect((await login(api, 'admin', TEST_PASSWORD, '198.51.100.20')).status).toBe(200);
    expect(await auditedLogins(api)).toEqual([{ name: 'admin', ip: '198.51.100.20' }]);
    const line = api.logs
      .map((l) => JSON.parse(l) as { msg?: string; ip?: string; status?: number })
      .find((l) => l.msg === 'request' && l.status === 200);
    expect(line?.ip).toBe('198.51.100.20');
  });

  it('believes only as many X-Forwarded-For hops as TRUST_PROXY counts, so a forged entry does not help', async () => {
    const one = await apiWith(behindProxy('1'));
    await one.createUser('admin', 'admin');
    // The client wrote "198.51.100.1"; the proxy appended the address it saw.
    for (let i = 0; i < 5; i++)
      await login(one, 'admin', 'guessed', `198.51.100.${i + 1}, 203.0.113.7`);
    expect((await login(one, 'admin', TEST_PASSWORD, '198.51.100.99, 203.0.113.7')).status).toBe(
      429,
    );
    const two = await apiWith(behindProxy('2'));
    await two.createUser('admin', 'admin');
    expect((await login(two, 'admin', TEST_PASSWORD, '1.1.1.1, 192.0.2.9, 10.1.2.3')).status).toBe(
      200,
    );
    expect(await auditedLogins(two)).toEqual([{ name: 'admin', ip: '192.0.2.9' }]);
  });

  it('takes the client address from the hop a TRUST_PROXY address list trusts', async () => {
    const api = await apiWith(behindProxy('127.0.0.1/32, 10.0.0.0/8'));
    await api.createUser('admin', 'admin');
    // 127.0.0.1 (the test peer) and 10.1.2.3 are trusted proxies; 192.0.2.55 is the client.
    const res = await login(api, 'admin', TEST_PASSWORD, '192.0.2.55, 10.1.2.3');
    expect(res.status).toBe(200);
    expect(await auditedLogins(api)).toEqual([{ name: 'admin', ip: '192.0.2.55' }]);
  });

  it('lets no one lock a user out by failing from many addresses: later tries are only slowed', async () => {
    const api = await apiWith({
      ...behindProxy('1'),
      throttle: { slowDownMs: 1, maxSlowDownMs: 4 },
    });
    await api.createUser('admin', 'admin');
    for (let i = 0; i < 25; i++)
      expect((await login(api, 'admin', 'guessed', `203.0.113.${i + 1}`)).status).toBe(401);
    expect((await login(api, 'admin', TEST_PASSWORD, '198.51.100.20')).status).toBe(200);
    const slowed = api.logs
      .map((l) => JSON.parse(l) as { msg?: string; slowedMs?: number })
      .filter((l) => l.msg === 'failed sign-in' && (l.slowedMs ?? 0) > 0);
    expect(slowed.length).toBeGreaterThan(0);
  });

  it('makes each try of a much-failed username wait before its password is checked', async () => {
    const api = await apiWith({
      ...behindProxy('1'),
      throttle: { slowDownAfter: 3, slowDownMs: 300, maxSlowDownMs: 300 },
    });
    await api.createUser('admin', 'admin');
    for (let i = 0; i < 3; i++) await login(api, 'admin', 'guessed', `203.0.113.${i + 1}`);
    const started = performance.now();
    expect((await login(api, 'admin', TEST_PASSWORD, '198.51.100.20')).status).toBe(200);
    // A lower bound only: a busy machine makes it longer, never shorter.
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('stops one address trying many usernames, and only that address', async () => {
    const api = await apiWith(behindProxy('1'));
    await api.createUser('admin', 'admin');
    for (let i = 0; i < 20; i++)
      expect((await login(api, `user${i}`, 'guessed', '203.0.113.7')).status).toBe(401);
    expect((await login(api, 'admin', TEST_PASSWORD, '203.0.113.7')).status).toBe(429);
    expect((await login(api, 'admin', TEST_PASSWORD, '198.51.100.20')).status).toBe(200);
  });

  it('ignores X-Forwarded-For without TRUST_PROXY', async () => {
    const api = await apiWith();
    await api.createUser('admin', 'admin');
    for (let i = 0; i < 5; i++) await login(api, 'admin', 'guessed', '203.0.113.7');
    // Both "clients" are the one peer: the header is not believed.
    expect((await login(api, 'admin', TEST_PASSWORD, '198.51.100.20')).status).toBe(429);
    expect((await login(api, 'admin', TEST_PASSWORD)).status).toBe(429);
    const other = await apiWith();
    await other.createUser('admin', 'admin');
    expect((await login(other, 'admin', TEST_PASSWORD, '198.51.100.20')).status).toBe(200);
    expect(await auditedLogins(other)).toEqual([{ name: 'admin', ip: '127.0.0.1' }]);
  });
});

describe('the failed sign-in log line', () => {
  it('never contains the typed username, only a short hash of it', async () => {
    const api = await apiWith();
    const typed = 'Tr0ub4dor&3-typed-in-the-user-field';
    expect((await login(api, typed, 'x')).status).toBe(401);
    const lines = api.logs.filter((l) => l.includes('failed sign-in'));
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line['usernameHash']).toMatch(/^[0-9a-f]{12}$/);
    expect(line).not.toHaveProperty('username');
    for (const l of api.logs) expect(l).not.toContain(typed);
    // The same text gives the same hash (failures of one name can be grouped), another a different one.
    await login(api, typed, 'y');
    await login(api, 'someone-else', 'y');
    const hashes = api.logs
      .filter((l) => l.includes('failed sign-in'))
      .map((l) => (JSON.parse(l) as { usernameHash?: string }).usernameHash);
    expect(hashes[1]).toBe(hashes[0]);
    expect(hashes[2]).not.toBe(hashes[0]);
  });
});

describe('sessions, sign-in and CSRF', () => {
  let api: TestApi;
  let admin: Client & { csrfToken: string; cookie: string };
  let adminUser: User;

  beforeAll(async () => {
    api = await startTestApi({ throttle: { perUsernameAndAddress: 5, perAddress: 50 } });
    adminUser = await api.createUser('admin', 'admin');
    admin = await api.signIn('admin');
  });

  afterAll(async () => {
    await api.close();
  });

  it('signs in with an HttpOnly SameSite=Strict cookie, Secure behind TLS, and tells who is signed in', async () => {
    const plain = await api.anonymous('POST', '/api/v1/auth/login', {
      username: 'admin',
      password: TEST_PASSWORD,
    });
    const cookie = String(plain.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/);
    const tls = await api.anonymous(
      'POST',
      '/api/v1/auth/login',
      { username: 'admin', password: TEST_PASSWORD },
      { 'x-forwarded-proto': 'https' },
    );
    expect(String(tls.headers['set-cookie'])).toMatch(/Secure/);
    const me = await admin.get('/api/v1/auth/me');
    expect(me.body).toMatchObject({
      user: { username: 'admin', role: 'admin' },
      csrfToken: admin.csrfToken,
    });
    // No password nor its hash: the one field naming passwords is the flag of a required change.
    expect(JSON.stringify(me.body)).not.toMatch(/"password|hash|scrypt\$/i);
    expect(me.body).toMatchObject({ user: { mustChangePassword: false } });
  });
  it('gives a wrong username and a wrong password the same answer, then throttles even the right password', async () => {
    await api.createUser('throttled', 'viewer');
    const unknown = await api.anonymous('POST', '/api/v1/auth/login', {
      username: 'nobody',
      password: 'x',
    });
    const wrong = await api.anonymous('POST', '/api/v1/auth/login', {
      username: 'throttled',
      password: 'wrong password',
    });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(errorOf(unknown.body).message).toBe(errorOf(wrong.body).message);
    for (let i = 0; i < 4; i++)
      await api.anonymous('POST', '/api/v1/auth/login', {
        username: 'throttled',
        password: 'wrong password',
      });
    const right = await api.anonymous('POST', '/api/v1/auth/login', {
      username: 'throttled',
      password: TEST_PASSWORD,
    });
    expect(right.status).toBe(429);
    expect(errorOf(right.body).code).toBe('rate_limited');
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    // Another user from the same address is not locked out by it.
    const other = await api.signIn('admin');
    expect(other.user.username).toBe('admin');
  });
  it('refuses a change without the session’s CSRF token, and API tokens need none', async () => {
    const noHeader = await admin.request(
      'POST',
      '/api/v1/identities',
      { displayName: 'No Csrf' },
      { 'x-csrf-token': '' },
    );
    expect(noHeader.status).toBe(403);
    expect(errorOf(noHeader.body).code).toBe('csrf_failed');
    const wrongHeader = await admin.request(
      'POST',
      '/api/v1/identities',
      { displayName: 'No Csrf' },
      { 'x-csrf-token': 'guess' },
    );
    expect(errorOf(wrongHeader.body).code).toBe('csrf_failed');
    const token = await api.withToken(adminUser);
    const viaToken = await token.post('/api/v1/identities', { displayName: 'Via Token' });
    expect(viaToken.status).toBe(201);
    const bad = await api.anonymous('GET', '/api/v1/sources', undefined, {
      authorization: 'Bearer dit_not-a-token',
    });
    expect(errorOf(bad.body).code).toBe('unauthenticated');
  });
  it('signs out: the session no longer opens anything', async () => {
    const session = await api.signIn('admin');
    expect((await session.post('/api/v1/auth/logout')).status).toBe(204);
    expect((await session.get('/api/v1/auth/me')).status).toBe(401);
  });
});
