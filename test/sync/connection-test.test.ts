/**
 * Test Connection against hosts that cannot be reached: the verdict names the cause (refused,
 * connect timeout) after one attempt, with the connection test's short connect timeout, instead
 * of holding the request through the retries and backoff a sync would use.
 */
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { listRuns } from '../../src/store/runs.js';
import { createIdentity } from '../../src/store/identities.js';
import {
  configureSourceCredentials,
  createSourceFromInput,
  testSourceConnection,
} from '../../src/sync/sources.js';
import type { SyncContext } from '../../src/sync/context.js';
import { describeEachDatabase } from '../support/db.js';
import { syncContext } from '../support/sync.js';

const IKEY = 'DIWJ8X6AEYOR5OMC6TQ1';
const SKEY = 'Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep';

async function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function closedPort(): Promise<number> {
  const server = createHttpServer();
  const port = await listen(server);
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return port;
}

/** Accepts TCP connections and never says a word: a TLS handshake there never completes. */
const silent = createTcpServer((socket: Socket) => {
  sockets.push(socket);
});
const sockets: Socket[] = [];
const silentPort = listen(silent);
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) =>
    silent.close(() => {
      resolve();
    }),
  );
});

async function sourceAt(ctx: SyncContext, apiHost: string): Promise<string> {
  const owner = await createIdentity(ctx.db, { displayName: 'Connection Tester' });
  const source = await createSourceFromInput(ctx, {
    type: 'duo',
    name: `unreachable ${apiHost}`,
    ownerIdentityId: owner.id,
  });
  await configureSourceCredentials(
    ctx,
    source.id,
    { apiHost, integrationKey: IKEY, secretKey: SKEY },
    true,
  );
  return source.id;
}

describeEachDatabase('a connection test to an unreachable host', (t) => {
  // The retry budget of syncs, as the composition root sets it (3 retries of network errors).
  const ctx = (): SyncContext => syncContext(t.db, { clock: Date.now });

  it('says the connection was refused, after one attempt, for a closed port', async () => {
    const context = ctx();
    const sourceId = await sourceAt(context, `http://127.0.0.1:${String(await closedPort())}`);
    const result = await testSourceConnection(context, sourceId);
    expect(result).toMatchObject({
      ok: false,
      code: 'network',
      details: { networkReason: 'refused', attempts: 1 },
    });
    expect(result.message).toMatch(/the connection was refused/);
    const [run] = await listRuns(t.db, { sourceId, kind: 'test', limit: 1 });
    expect([run?.status, run?.error?.code]).toEqual(['failed', 'network']);
  });

  it('gives up connecting with the connection test’s short timeout, after one attempt', async () => {
    const context = ctx();
    const port = await silentPort;
    const sourceId = await sourceAt(context, `https://127.0.0.1:${String(port)}`);
    const result = await testSourceConnection(context, sourceId);
    expect(result).toMatchObject({
      ok: false,
      code: 'network',
      details: { networkReason: 'timeout', attempts: 1 },
    });
    // undici names the connect timeout it applied: the test's, not the 10 s of syncs.
    expect(result.message).toMatch(/timeout: 4000 ?ms/);
  });
});
