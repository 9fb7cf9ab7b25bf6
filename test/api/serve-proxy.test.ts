/**
 * `serve` behind a proxy, over real HTTP: with `TRUST_PROXY` the client address comes from
 * `X-Forwarded-For` (throttling and the log use it); a bad value stops the start naming the
 * variable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type Server } from '../support/web.js';

const PASSWORD = 'serve behind a proxy 1';

async function login(server: Server, password: string, client: string): Promise<number> {
  const res = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
    body: JSON.stringify({ username: 'admin', password }),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('serve with TRUST_PROXY=1', () => {
  let server: Server;

  beforeAll(async () => {
    server = await startServer(PASSWORD, { TRUST_PROXY: '1' });
  });

  afterAll(async () => {
    await server.stop();
  });

  it('throttles each forwarded client on its own and logs its address', async () => {
    for (let i = 0; i < 5; i++) expect(await login(server, 'guessed', '203.0.113.7')).toBe(401);
    expect(await login(server, PASSWORD, '203.0.113.7')).toBe(429);
    expect(await login(server, PASSWORD, '198.51.100.20')).toBe(200);
    const failed = server
      .output()
      .split('\n')
      .filter((line) => line.includes('"failed sign-in"'));
    expect(failed).toHaveLength(5);
    for (const line of failed) expect(line).toContain('"ip":"203.0.113.7"');
  });
});

describe('serve with a TRUST_PROXY it cannot read', () => {
  it('does not start, and says which variable is wrong', async () => {
    const outcome = await startServer(PASSWORD, { TRUST_PROXY: 'the-proxy' }).then(
      async (started) => {
        await started.stop();
        return new Error('it started');
      },
      (error: unknown) => error,
    );
    expect(String(outcome)).toMatch(/TRUST_PROXY must be off, a hop count/);
  });
});
