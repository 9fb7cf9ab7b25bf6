/**
 * What the server does for every route, in-process (`app.inject`): health and the API description
 * open, every other route closed with 401 in the one error shape, security headers, a button's
 * POST without a body, validation errors naming the field, not_found and payload_too_large.
 * No API answer is stored by a browser or a proxy (`Cache-Control: no-store`): JSON and CSV,
 * answers and errors, for every GET route of the route table that needs no id — while the
 * console's hashed files keep the caching their server gives them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, startTestApi, type Client, type TestApi } from '../../test/support/api.js';

describe('Cache-Control on API answers', () => {
  let api: TestApi;
  let admin: Client;
  let webRoot: string;

  beforeAll(async () => {
    webRoot = mkdtempSync(join(tmpdir(), 'di-web-'));
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(webRoot, 'assets', 'index-3f2a9c1b.js'), 'console.log("console");');
    api = await startTestApi({ webRoot });
    await api.createUser('admin', 'admin');
    admin = await api.signIn('admin');
  });

  afterAll(async () => {
    await api.close();
    rmSync(webRoot, { recursive: true, force: true });
  });

  it('sends no-store with every answer of the GET routes that need no id, JSON and CSV', async () => {
    const lists = api.server.routes.filter(
      (r) => r.method === 'GET' && r.url.startsWith('/api/') && !r.url.includes(':'),
    );
    expect(lists.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const route of lists) {
      const res = await admin.get(route.url);
      if (res.headers['cache-control'] !== 'no-store')
        missing.push(`${route.url} ${res.status} ${String(res.headers['cache-control'])}`);
    }
    for (const url of [
      '/api/v1/reports/dormant-accounts?days=90&format=csv',
      '/api/v1/reports/sync-health?format=csv',
    ]) {
      const res = await admin.get(url);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      if (res.headers['cache-control'] !== 'no-store') missing.push(url);
    }
    expect(missing).toEqual([]);
  });

  it('sends no-store with errors too: unauthenticated, not found, invalid, an unknown API route', async () => {
    const answers = [
      await api.anonymous('GET', '/api/v1/sources'),
      await admin.get('/api/v1/sources/00000000-0000-4000-8000-000000000000'),
      await admin.get('/api/v1/identities?limit=abc'),
      await admin.get('/api/v1/no-such-route'),
      await admin.get('/api/v1/identities/%E0%A4%A'),
    ];
    expect(answers.map((a) => a.status)).toEqual([401, 404, 400, 404, 400]);
    for (const answer of answers) expect(answer.headers['cache-control']).toBe('no-store');
  });

  it('answers every console page path with index.html, a missing built file and an unknown API path with a JSON 404', async () => {
    for (const path of [
      '/',
      '/sources/abc/accounts',
      '/reports/access-review?sourceId=a&entitlementId=1',
    ]) {
      const page = await api.anonymous('GET', path);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toContain('<div id="root">');
    }
    const deep = await api.anonymous('GET', '/sources/abc/accounts');
    expect(deep.headers['cache-control']).toBe('no-cache');
    for (const path of ['/assets/index-00000000.js', '/api/v1/no-such-route', '/api']) {
      const missing = await api.anonymous('GET', path);
      expect(missing.status).toBe(404);
      expect(missing.headers['content-type']).toMatch(/^application\/json/);
    }
    const unknown = await admin.get('/api/v1/no-such-route');
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown.body).code).toBe('not_found');
  });

  it('leaves the caching of the console’s hashed files to their server', async () => {
    const res = await api.anonymous('GET', '/assets/index-3f2a9c1b.js');
    expect(res.status).toBe(200);
    expect(res.text).toContain('console');
    expect(res.headers['cache-control']).not.toContain('no-store');
  });
});

describe('the HTTP server', () => {
  let api: TestApi;
  let admin: Client & { csrfToken: string; cookie: string };

  beforeAll(async () => {
    api = await startTestApi();
    await api.createUser('admin', 'admin');
    admin = await api.signIn('admin');
  });

  afterAll(async () => {
    await api.close();
  });

  it('answers health without sign-in, and every other route with 401 in the one error shape', async () => {
    const health = await api.anonymous('GET', '/api/v1/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok' });
    const doc = (await api.anonymous('GET', '/api/v1/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const open = new Set(['GET /api/v1/health', 'POST /api/v1/auth/login']);
    let closed = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods)) {
        const label = `${method.toUpperCase()} ${path}`;
        if (open.has(label)) continue;
        const res = await api.anonymous(
          method.toUpperCase(),
          path.replace(/\{[^}]+\}/g, '1'),
          method === 'get' ? undefined : {},
        );
        expect(res.status, label).toBe(401);
        expect(errorOf(res.body).code, label).toBe('unauthenticated');
        closed++;
      }
    }
    expect(closed).toBeGreaterThan(40);
  });
  it('sends security headers', async () => {
    const res = await api.anonymous('GET', '/api/v1/health');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBeDefined();
    expect(res.headers['x-frame-options']).toBeDefined();
  });
  it('takes a button’s POST with a JSON content type and no body', async () => {
    const res = await admin.request('POST', '/api/v1/sources/nope/test-connection', undefined, {
      'content-type': 'application/json',
    });
    expect(errorOf(res.body).code).toBe('not_found');
  });
  it('rejects unknown fields, short searches, bad cursors and bad ids with validation_failed naming the field', async () => {
    const extra = await admin.post('/api/v1/identities', { displayName: 'Ann', isAdmin: true });
    expect(extra.status).toBe(400);
    expect(errorOf(extra.body).code).toBe('validation_failed');
    const short = await admin.get('/api/v1/identities?q=a');
    expect(errorOf(short.body)).toMatchObject({
      code: 'validation_failed',
      details: [{ field: 'q' }],
    });
    const cursor = await admin.get('/api/v1/identities?cursor=bm9wZQ');
    expect(errorOf(cursor.body).details?.[0]?.field).toBe('cursor');
    const type = await admin.post('/api/v1/sources', {
      type: 'okta',
      name: 'x',
      ownerIdentityId: 'x',
    });
    expect(errorOf(type.body).code).toBe('validation_failed');
    expect(JSON.stringify(errorOf(type.body).details)).toMatch(/type/);
    const password = await admin.post('/api/v1/users', {
      username: 'shorty',
      password: 'short',
      role: 'viewer',
    });
    expect(errorOf(password.body).details?.[0]?.field).toBe('password');
  });
  it('answers unknown routes with not_found and oversized bodies with payload_too_large', async () => {
    const missing = await admin.get('/api/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(errorOf(missing.body).code).toBe('not_found');
    const unknownSource = await admin.get('/api/v1/sources/00000000-0000-0000-0000-000000000000');
    expect(errorOf(unknownSource.body).code).toBe('not_found');
    const big = await admin.post('/api/v1/identities', { displayName: 'x'.repeat(200_000) });
    expect(big.status).toBe(413);
    expect(errorOf(big.body).code).toBe('payload_too_large');
  });
});
