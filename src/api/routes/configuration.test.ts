/** A source's configuration over HTTP (`app.inject`): which Duo API hosts it accepts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomCredential } from '../../sim/server.js';
import {
  createIdentityVia,
  createSourceVia,
  errorOf,
  startTestApi,
  type Client,
  type TestApi,
} from '../../../test/support/api.js';

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

  const newIdentity = (name: string): Promise<string> => createIdentityVia(admin, name);

  const newSource = (
    type: 'duo' | 'duo-activity',
    name: string,
    ownerIdentityId: string,
    extra = {},
  ) => createSourceVia(admin, type, name, ownerIdentityId, extra);

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
