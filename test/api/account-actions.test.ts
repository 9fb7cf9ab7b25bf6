/**
 * Test Connection's write probe and the account actions (disable, enable, unlock) over HTTP
 * (`app.inject`), against the simulator over real HTTP: what the test says and stores with and
 * without "Grant write resource", who may act on an account, what Duo then holds (read back
 * through the simulator), the stored account and the audit trail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/server.js';
import { control, duoGet } from '../../src/sim/testing.js';
import {
  createIdentityVia,
  createSourceVia,
  errorOf,
  startTestApi,
  waitForRun,
  type Client,
  type TestApi,
} from '../support/api.js';

const WRITER = { ikey: 'DIACTIONSWRITER00001', skey: 'actionsWriterSecret000000000000000000001' };
const READER = { ikey: 'DIACTIONSREADER00001', skey: 'actionsReaderSecret000000000000000000001' };
const ALL = ['read_log', 'read_resource', 'read_info', 'admins', 'write_resource'];

interface AccountAnswer {
  id: number;
  kind: string;
  username: string;
  duoUserId: string;
  status: string;
  lockoutReason: string | null;
}

interface Verdict {
  ok: boolean;
  message: string;
  writeGranted?: boolean | null;
}

describe('account actions', () => {
  let api: TestApi;
  let sim: Simulator;
  let admin: Client;
  let owner: Client;
  let otherManager: Client;
  let viewer: Client;
  let writable: { id: string; name: string };
  let readOnly: { id: string; name: string };
  let ownerIdentity: string;

  async function configure(sourceId: string, credential: { ikey: string; skey: string }) {
    const res = await admin.put(`/api/v1/sources/${sourceId}/configuration`, {
      apiHost: sim.url,
      ...{ integrationKey: credential.ikey, secretKey: credential.skey },
    });
    expect(res.status, res.text).toBe(200);
  }

  async function testConnection(sourceId: string): Promise<Verdict> {
    const res = await admin.post(`/api/v1/sources/${sourceId}/test-connection`);
    expect(res.status, res.text).toBe(200);
    return res.body as Verdict;
  }

  async function aggregate(sourceId: string): Promise<void> {
    const started = await admin.post(`/api/v1/sources/${sourceId}/aggregate`);
    expect(started.status, started.text).toBe(202);
    const run = await waitForRun(admin, (started.body as { runId: string }).runId);
    expect(run.status).toBe('succeeded');
  }

  async function accounts(sourceId: string, query = ''): Promise<AccountAnswer[]> {
    const res = await admin.get(`/api/v1/sources/${sourceId}/accounts?limit=500${query}`);
    return (res.body as { accounts: AccountAnswer[] }).accounts;
  }

  async function duoStatus(duoUserId: string): Promise<string> {
    const res = await duoGet(sim, WRITER, `/admin/v1/users/${duoUserId}`);
    return (res.body as { response: { status: string } }).response.status;
  }

  const act = (client: Client, accountId: number, action: string) =>
    client.post(`/api/v1/accounts/${String(accountId)}/actions`, { action });

  let taken = 0;
  /** A different active Duo user of the writable source for each test. */
  async function activeUser(): Promise<AccountAnswer> {
    const list = await accounts(writable.id, '&kind=user&status=active');
    const account = list[taken++];
    if (!account) throw new Error('no active account left');
    return account;
  }

  beforeAll(async () => {
    sim = await startSimulator({
      credentials: [WRITER, { ...READER, permissions: ['read_resource', 'read_log', 'admins'] }],
      users: 80,
      days: 1,
      authEventsPerDay: 200,
      seed: 'account-actions',
    });
    api = await startTestApi();
    await api.createUser('admin', 'admin');
    admin = await api.signIn('admin');
    ownerIdentity = await createIdentityVia(admin, 'Olive Owner');
    const otherIdentity = await createIdentityVia(admin, 'Otto Other');
    await api.createUser('owner', 'source_manager', ownerIdentity);
    await api.createUser('other', 'source_manager', otherIdentity);
    await api.createUser('viewer', 'viewer');
    owner = await api.signIn('owner');
    otherManager = await api.signIn('other');
    viewer = await api.signIn('viewer');
    writable = await createSourceVia(admin, 'duo', 'Duo (can write)', ownerIdentity);
    readOnly = await createSourceVia(admin, 'duo', 'Duo (read only)', ownerIdentity);
    await configure(writable.id, WRITER);
    await configure(readOnly.id, READER);
  });

  afterAll(async () => {
    await api.close();
    await sim.close();
  });

  describe('Test Connection', () => {
    it('says and stores that the credential can change users and groups when it has "Grant write resource"', async () => {
      const verdict = await testConnection(writable.id);
      expect(verdict.ok).toBe(true);
      expect(verdict.writeGranted).toBe(true);
      expect(verdict.message).toMatch(/can read users and groups/);
      expect(verdict.message).toMatch(/can change them in Duo \("Grant write resource"\)/);
      const source = await admin.get(`/api/v1/sources/${writable.id}`);
      expect(source.body).toMatchObject({ state: 'verified', writeGranted: true });
    });

    it('stays OK without it, and says which permission to grant for access reviews to remove access', async () => {
      const verdict = await testConnection(readOnly.id);
      expect(verdict.ok).toBe(true);
      expect(verdict.writeGranted).toBe(false);
      expect(verdict.message).toMatch(/can read users and groups/);
      expect(verdict.message).toContain(
        'cannot change them in Duo: grant "Grant write resource" in the Admin API application to let access reviews remove revoked access',
      );
      const source = await admin.get(`/api/v1/sources/${readOnly.id}`);
      expect(source.body).toMatchObject({ state: 'verified', writeGranted: false });
      // The probe changed nothing: it asked about a user no tenant has.
      const probes = (
        await control<{ requests: { method: string; path: string; status: number }[] }>(
          sim,
          'GET',
          '/_sim/requests',
        )
      ).requests.filter((r) => r.method === 'POST');
      expect(probes.map((r) => [r.path, r.status])).toEqual([
        ['/admin/v1/users/DU0000000000000000000', 404],
        ['/admin/v1/users/DU0000000000000000000', 403],
      ]);
    });

    it('forgets the answer when the credentials change, until tested again', async () => {
      await configure(readOnly.id, READER);
      expect((await admin.get(`/api/v1/sources/${readOnly.id}`)).body).toMatchObject({
        writeGranted: null,
      });
      expect((await testConnection(readOnly.id)).writeGranted).toBe(false);
    });
  });

  describe('disable, enable, unlock', () => {
    beforeAll(async () => {
      await aggregate(writable.id);
      await aggregate(readOnly.id);
    });

    it('refuses a viewer and a source manager of other sources, and changes nothing in Duo', async () => {
      const account = await activeUser();
      for (const client of [viewer, otherManager]) {
        const res = await act(client, account.id, 'disable');
        expect(res.status).toBe(403);
        expect(errorOf(res.body).code).toBe('forbidden');
      }
      expect(await duoStatus(account.duoUserId)).toBe('active');
    });

    it('lets the source’s owner disable a user: Duo has it disabled, the account says so, the audit trail has it', async () => {
      const account = await activeUser();
      const res = await act(owner, account.id, 'disable');
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ id: account.id, status: 'disabled' });
      expect(await duoStatus(account.duoUserId)).toBe('disabled');
      const shown = await admin.get(`/api/v1/accounts/${String(account.id)}`);
      expect(shown.body).toMatchObject({ status: 'disabled', actions: ['enable'] });
      const audit = await admin.get('/api/v1/audit?limit=5');
      const entry = (
        audit.body as { entries: { action: string; targetId: string; details: unknown }[] }
      ).entries.find((e) => e.action === 'account.disable');
      expect(entry).toMatchObject({
        targetId: String(account.id),
        details: {
          sourceId: writable.id,
          before: 'active',
          after: 'disabled',
          duo: { status: 'disabled' },
        },
      });
    });

    it('lets an admin enable it again, and refuses what does not apply, naming the field', async () => {
      const account = await activeUser();
      expect((await act(admin, account.id, 'disable')).status).toBe(200);
      const enabled = await act(admin, account.id, 'enable');
      expect(enabled.status, enabled.text).toBe(200);
      expect(enabled.body).toMatchObject({ status: 'active' });
      expect(await duoStatus(account.duoUserId)).toBe('active');

      const again = await act(admin, account.id, 'enable');
      expect(again.status).toBe(400);
      expect(errorOf(again.body).details).toEqual([
        expect.objectContaining({ field: 'action' }) as unknown,
      ]);
      const unlock = await act(admin, account.id, 'unlock');
      expect(unlock.status).toBe(400);
      expect(errorOf(unlock.body).message).toMatch(/only a locked-out account can be unlocked/);
      const unknown = await act(admin, account.id, 'delete');
      expect(unknown.status).toBe(400);
      expect(errorOf(unknown.body).message).toMatch(/action/);
    });

    it('unlocks a locked-out user (as aggregated), and Duo has it active', async () => {
      const account = await activeUser();
      await control(sim, 'POST', `/_sim/users/${account.duoUserId}/status`, {
        status: 'locked out',
        lockout_reason: 'Failed Attempts',
      });
      await aggregate(writable.id);
      const shown = await admin.get(`/api/v1/accounts/${String(account.id)}`);
      expect(shown.body).toMatchObject({ status: 'locked out', actions: ['disable', 'unlock'] });
      const res = await act(admin, account.id, 'unlock');
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ status: 'active', lockoutReason: null });
      expect(await duoStatus(account.duoUserId)).toBe('active');
    });

    it('refuses an administrator account, naming accountId', async () => {
      const [administrator] = await accounts(writable.id, '&kind=administrator');
      if (!administrator) throw new Error('the aggregation found no administrator');
      const res = await act(admin, administrator.id, 'disable');
      expect(res.status).toBe(400);
      expect(errorOf(res.body).message).toMatch(/Duo administrator/);
      expect(errorOf(res.body).details).toEqual([
        expect.objectContaining({ field: 'accountId' }) as unknown,
      ]);
    });

    it('refuses at once, without asking Duo, when the last test found no "Grant write resource"', async () => {
      const [account] = await accounts(readOnly.id, '&kind=user&status=active');
      if (!account) throw new Error('no active account in the read-only source');
      await control(sim, 'DELETE', '/_sim/requests');
      const res = await act(admin, account.id, 'disable');
      expect(res.status).toBe(403);
      expect(errorOf(res.body).message).toMatch(/lacks "Grant write resource"/);
      const shown = await admin.get(`/api/v1/accounts/${String(account.id)}`);
      expect(shown.body).toMatchObject({ writeGranted: false, status: 'active' });
      const posts = (
        await control<{ requests: { method: string }[] }>(sim, 'GET', '/_sim/requests')
      ).requests.filter((r) => r.method === 'POST');
      expect(posts).toEqual([]);
    });

    it('says which permission to grant when Duo answers 40301, and remembers it on the source', async () => {
      const account = await activeUser();
      await control(sim, 'POST', '/_sim/credentials', {
        ikey: WRITER.ikey,
        permissions: ['read_resource', 'read_log', 'admins'],
      });
      try {
        const res = await act(admin, account.id, 'disable');
        expect(res.status).toBe(403);
        expect(errorOf(res.body).message).toMatch(/Duo refused to disable/);
        expect(errorOf(res.body).message).toMatch(/tick "Grant write resource"/);
        expect((await admin.get(`/api/v1/sources/${writable.id}`)).body).toMatchObject({
          writeGranted: false,
        });
      } finally {
        await control(sim, 'POST', '/_sim/credentials', { ikey: WRITER.ikey, permissions: ALL });
      }
      expect(await duoStatus(account.duoUserId)).toBe('active');
      expect((await testConnection(writable.id)).writeGranted).toBe(true);
    });

    it('answers 404 for an account that does not exist', async () => {
      const res = await act(admin, 999_999, 'disable');
      expect(res.status).toBe(404);
    });
  });
});
