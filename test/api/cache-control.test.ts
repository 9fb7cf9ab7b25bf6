/**
 * No API answer is stored by a browser or a proxy (`Cache-Control: no-store`): JSON and CSV,
 * answers and errors, for every GET route of the route table that needs no id — while the
 * console's hashed files keep the caching their server gives them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type Client, type TestApi } from '../support/api.js';

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

  it('leaves the caching of the console’s hashed files to their server', async () => {
    const res = await api.anonymous('GET', '/assets/index-3f2a9c1b.js');
    expect(res.status).toBe(200);
    expect(res.text).toContain('console');
    expect(res.headers['cache-control']).not.toContain('no-store');
  });
});
