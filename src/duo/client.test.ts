/**
 * A connection test that cannot connect answers with the cause at once: one attempt, no retry
 * and no backoff, whatever the credential's retry budget for syncs.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createDuoClient, type DuoClient } from './client.js';
import { RateGovernor } from './governor.js';

const IKEY = 'DIWJ8X6AEYOR5OMC6TQ1';
const SKEY = 'Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep';

const opened: DuoClient[] = [];
afterEach(async () => {
  for (const duo of opened.splice(0)) {
    await duo.close();
    duo.governor.close();
  }
});

/** A loopback port nothing listens on: bound by a server, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return port;
}

/** A client with the retry budget syncs use (default transient retries and 429 backoff). */
function clientFor(apiHost: string): DuoClient {
  const duo = createDuoClient(
    { apiHost, ikey: IKEY, skey: SKEY },
    { governor: new RateGovernor({ rateLimits: 'off' }) },
  );
  opened.push(duo);
  return duo;
}

describe('a connection test that cannot connect', () => {
  it('says the connection was refused after one attempt, for a closed loopback port', async () => {
    const duo = clientFor(`http://127.0.0.1:${String(await closedPort())}`);
    for (const purpose of ['activity', 'accounts'] as const) {
      const verdict = await duo.testConnection(purpose);
      if (verdict.ok) throw new Error('a closed port cannot pass');
      expect(verdict.error.kind).toBe('network');
      expect(verdict.error.networkReason).toBe('refused');
      expect(verdict.error.attempts).toBe(1);
      expect(verdict.error.fix).toMatch(/hostname and port/);
    }
    expect(duo.stats().requests).toBeLessThanOrEqual(2);
  });

  it('says the host name does not resolve after one attempt, for a name under .invalid', async () => {
    const duo = clientFor('nonexistent.invalid');
    const verdict = await duo.testConnection('accounts');
    if (verdict.ok) throw new Error('a name under .invalid cannot resolve');
    expect(verdict.error.kind).toBe('network');
    expect(verdict.error.networkReason).toBe('dns');
    expect(verdict.error.attempts).toBe(1);
    expect(verdict.error.message).toMatch(/nonexistent\.invalid/);
  });
});
