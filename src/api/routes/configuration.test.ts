/** A source's configuration over HTTP (`app.inject`): which Duo API hosts it accepts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomCredential } from '../../sim/server.js';
import { startTestApi, type Client, type TestApi } from '../../../test/support/api.js';

interface ErrorShape {
  error: { code: string; message: string; details?: { field: string; message: string }[] };
}
const errorOf = (body: unknown) => (body as ErrorShape).error;

describe('PUT /sources/:id/configuration', () => {
  const credential = randomCredential();
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

  async function newIdentity(name: string): Promise<string> {
    const res = await admin.post('/api/v1/identities', {
      displayName: name,
      email: `${name.toLowerCase().replace(/\s+/g, '.')}@example.org`,
    });
    expect(res.status).toBe(201);
    return (res.body as { id: string }).id;
  }

  async function newSource(
    type: 'duo' | 'duo-activity',
    name: string,
    ownerIdentityId: string,
    extra = {},
  ) {
    const res = await admin.post('/api/v1/sources', { type, name, ownerIdentityId, ...extra });
    expect(res.status).toBe(201);
    return res.body as { id: string; name: string };
  }

  it('accepts only Duo API hosts, and loopback only where allowed', async () => {
    const owner = await newIdentity('Host Checker');
    const source = await newSource('duo', 'Host check', owner);
    const res = await admin.put(`/api/v1/sources/${source.id}/configuration`, {
      apiHost: 'evil.example.com',
      integrationKey: credential.ikey,
      secretKey: credential.skey,
    });
    expect(res.status).toBe(400);
    expect(errorOf(res.body).details?.[0]?.field).toBe('apiHost');
    const sshPort = await admin.put(`/api/v1/sources/${source.id}/configuration`, {
      apiHost: 'api-1234abcd.duosecurity.com:22',
      integrationKey: credential.ikey,
      secretKey: credential.skey,
    });
    expect(sshPort.status).toBe(400);
    expect(errorOf(sshPort.body).details?.[0]).toMatchObject({
      field: 'apiHost',
      message: expect.stringContaining('port 443 only') as unknown,
    });
  });
});
