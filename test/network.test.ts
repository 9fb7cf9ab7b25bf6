/**
 * Meeting Duo through a private CA and an HTTPS proxy: `DUO_INSIGHTS_CA_FILE`, `HTTPS_PROXY` and
 * `NO_PROXY` read by the real configuration and composition root, a source's own CA file and
 * proxy set through the HTTP API, against the simulator over HTTPS with a generated CA and a
 * real CONNECT proxy on loopback.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { ConnectionTestResult } from '../src/domain/sources.js';
import { randomCredential, startSimulator, type Simulator } from '../src/sim/server.js';
import { createIdentity } from '../src/store/identities.js';
import { DuoConnections } from '../src/sync/duo-connections.js';
import {
  configureSourceCredentials,
  createSourceFromInput,
  testSourceConnection,
} from '../src/sync/sources.js';
import { startTestApi, type TestApi } from './support/api.js';

const credential = randomCredential();
let sim: Simulator;
let proxy: { server: Server; url: string; connects: string[] };
const dirs: string[] = [];

/** An HTTP proxy that tunnels CONNECT requests and remembers where each went. */
async function startConnectProxy(): Promise<typeof proxy> {
  const connects: string[] = [];
  const server = createServer((_req, res) => {
    res.writeHead(405).end();
  });
  server.on('connect', (req, client, head) => {
    connects.push(req.url ?? '');
    const [host = '', port = ''] = (req.url ?? '').split(/:(?=\d+$)/);
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, connects };
}

beforeAll(async () => {
  sim = await startSimulator({ credentials: [credential], users: 5, days: 1, tls: true });
  proxy = await startConnectProxy();
});
afterAll(async () => {
  proxy.server.closeAllConnections();
  proxy.server.close();
  await sim.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Test Connection of a fresh activity source, with the app built from `env` alone. */
async function testConnectionWith(env: Record<string, string>): Promise<ConnectionTestResult> {
  const dir = mkdtempSync(join(tmpdir(), 'di-network-'));
  dirs.push(dir);
  const config = loadConfig({
    DUO_INSIGHTS_DATA_DIR: dir,
    DUO_INSIGHTS_ALLOW_LOOPBACK_DUO_HOSTS: 'true',
    DUO_INSIGHTS_DUO_RATE_LIMIT: 'off',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const app = await openApp(config, { duo: { transientRetries: 0 } });
  try {
    const owner = await createIdentity(app.db, { displayName: 'Owner', email: 'o@example.com' });
    const source = await createSourceFromInput(app.sync, {
      type: 'duo-activity',
      name: 'Duo logs',
      ownerIdentityId: owner.id,
    });
    await configureSourceCredentials(
      app.sync,
      source.id,
      { apiHost: sim.url, integrationKey: credential.ikey, secretKey: credential.skey },
      true,
    );
    return await testSourceConnection(app.sync, source.id);
  } finally {
    await app.close();
  }
}

describe('a Duo host signed by a private CA', () => {
  it('is refused without the CA, with a fix that names DUO_INSIGHTS_CA_FILE', async () => {
    const result = await testConnectionWith({});
    expect(result).toMatchObject({ ok: false, code: 'network' });
    const details = result.details as { networkReason?: string; fix?: string };
    expect(details.networkReason).toBe('tls');
    expect(details.fix).toContain('DUO_INSIGHTS_CA_FILE');
    expect(details.fix).toContain('--ca-file');
  });

  it('is accepted with DUO_INSIGHTS_CA_FILE pointing at the CA certificate', async () => {
    const result = await testConnectionWith({ DUO_INSIGHTS_CA_FILE: sim.caFile ?? '' });
    expect(result, result.message).toMatchObject({ ok: true });
  });
});

describe('an HTTPS proxy', () => {
  it('carries every request to Duo when HTTPS_PROXY is set', async () => {
    const before = proxy.connects.length;
    const result = await testConnectionWith({
      DUO_INSIGHTS_CA_FILE: sim.caFile ?? '',
      HTTPS_PROXY: proxy.url,
    });
    expect(result, result.message).toMatchObject({ ok: true });
    expect(proxy.connects.slice(before)).toContain(`127.0.0.1:${sim.port}`);
  });

  it('honours https_proxy, and is skipped for a host NO_PROXY names', async () => {
    let before = proxy.connects.length;
    const lower = await testConnectionWith({
      DUO_INSIGHTS_CA_FILE: sim.caFile ?? '',
      https_proxy: proxy.url,
    });
    expect(lower, lower.message).toMatchObject({ ok: true });
    expect(proxy.connects.length).toBeGreaterThan(before);

    before = proxy.connects.length;
    const skipped = await testConnectionWith({
      DUO_INSIGHTS_CA_FILE: sim.caFile ?? '',
      HTTPS_PROXY: proxy.url,
      NO_PROXY: `localhost,127.0.0.1:${sim.port}`,
    });
    expect(skipped, skipped.message).toMatchObject({ ok: true });
    expect(proxy.connects.length).toBe(before);
  });

  it('that does not answer fails the test with a fix that names HTTPS_PROXY', async () => {
    const result = await testConnectionWith({
      DUO_INSIGHTS_CA_FILE: sim.caFile ?? '',
      HTTPS_PROXY: 'http://127.0.0.1:1',
    });
    expect(result).toMatchObject({ ok: false, code: 'network' });
    expect((result.details as { fix?: string }).fix).toContain('HTTPS_PROXY');
  });
});

describe('the in-process demo simulator', () => {
  it('is reached directly even when HTTPS_PROXY names a proxy, which cannot reach loopback', async () => {
    const demo = await startSimulator({ credentials: [credential], users: 5, days: 1 });
    const connections = new DuoConnections({
      allowLoopbackHosts: false,
      proxyUrl: 'http://127.0.0.1:1',
      transientRetries: 0,
    });
    connections.trustHost(demo.url);
    const duo = connections.clientFor({
      apiHost: demo.url,
      integrationKey: credential.ikey,
      secretKey: credential.skey,
    });
    try {
      expect(await duo.testConnection('activity')).toMatchObject({ ok: true });
    } finally {
      await duo.close();
      connections.close();
      await demo.close();
    }
  });
});

describe("a source's own CA file and proxy, set through the API", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
    await api.createUser('admin', 'admin');
  });
  afterAll(() => api.close());

  async function configuredSource(): Promise<{
    id: string;
    admin: Awaited<ReturnType<TestApi['signIn']>>;
  }> {
    const admin = await api.signIn('admin');
    const owner = await admin.post('/api/v1/identities', {
      displayName: 'Owner',
      email: `o-${randomBytes(3).toString('hex')}@example.com`,
    });
    const ownerId = (owner.body as { id: string }).id;
    const created = await admin.post('/api/v1/sources', {
      type: 'duo-activity',
      name: `logs ${randomBytes(3).toString('hex')}`,
      ownerIdentityId: ownerId,
    });
    const id = (created.body as { id: string }).id;
    const configured = await admin.put(`/api/v1/sources/${id}/configuration`, {
      apiHost: sim.url,
      integrationKey: credential.ikey,
      secretKey: credential.skey,
    });
    expect(configured.status, configured.text).toBe(200);
    return { id, admin };
  }

  it('trusts the CA and goes through the proxy the source names', async () => {
    const { id, admin } = await configuredSource();
    const refused = await admin.post(`/api/v1/sources/${id}/test-connection`);
    expect(refused.body).toMatchObject({ ok: false, code: 'network' });

    const patched = await admin.patch(`/api/v1/sources/${id}`, {
      settings: { caFile: sim.caFile, proxyUrl: proxy.url },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({
      settings: { caFile: sim.caFile, proxyUrl: proxy.url },
    });
    const before = proxy.connects.length;
    const passed = await admin.post(`/api/v1/sources/${id}/test-connection`);
    expect(passed.body, passed.text).toMatchObject({ ok: true });
    expect(proxy.connects.slice(before)).toContain(`127.0.0.1:${sim.port}`);
  });

  it('refuses a CA file that cannot be read and a proxy URL with a password, naming each', async () => {
    const { id, admin } = await configuredSource();
    const missing = await admin.patch(`/api/v1/sources/${id}`, {
      settings: { caFile: '/no/such/ca.pem' },
    });
    expect(missing.status).toBe(400);
    expect(missing.text).toMatch(/settings\.caFile/);
    expect(missing.text).toMatch(/cannot be read/);
    const relative = await admin.patch(`/api/v1/sources/${id}`, {
      settings: { caFile: 'ca.pem' },
    });
    expect(relative.text).toMatch(/absolute path/);
    const secret = await admin.patch(`/api/v1/sources/${id}`, {
      settings: { proxyUrl: 'http://user:pr0xy-secret@127.0.0.1:3128' },
    });
    expect(secret.status).toBe(400);
    expect(secret.text).toMatch(/settings\.proxyUrl/);
    expect(secret.text).not.toContain('pr0xy-secret');
  });
});
