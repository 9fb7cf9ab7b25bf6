/**
 * `npm ci && npm start` is enough: a first start with no admin configured creates the user
 * `admin` with a generated password in a file only its owner can read, and says where.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type Server } from '../support/web.js';

describe('the first start', () => {
  let server: Server;

  beforeAll(async () => {
    server = await startServer(undefined);
  });

  afterAll(async () => {
    await server.stop();
  });

  it('creates the admin with a generated password kept in a 0600 file, never in the log', async () => {
    const path = join(server.dataDir, 'initial-admin-password');
    const password = (await readFile(path, 'utf8')).trim();
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(server.output()).toContain(path);
    expect(server.output()).not.toContain(password);

    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(login.status).toBe(200);
    expect(((await login.json()) as { user: { role: string } }).user.role).toBe('admin');
  });
});
