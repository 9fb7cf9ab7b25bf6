/** A source's storage and "apply retention now" over HTTP (`app.inject`). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createIdentityVia,
  createSourceVia,
  errorOf,
  startTestApi,
  type Client,
  type TestApi,
} from '../../../test/support/api.js';
import { DAY_MS, ms } from '../../domain/time.js';
import { ingestActivityPage } from '../../store/activity/ingest.js';

describe('source storage and retention', () => {
  let api: TestApi;
  let admin: Client;
  let viewer: Client;
  let sourceId: string;
  const now = Date.now();
  const ages = [300, 250, 100, 10, 0];

  beforeAll(async () => {
    api = await startTestApi();
    await api.createUser('admin', 'admin');
    await api.createUser('val', 'viewer');
    admin = await api.signIn('admin');
    viewer = await api.signIn('val');
    const owner = await createIdentityVia(admin, 'Store Keeper');
    sourceId = (await createSourceVia(admin, 'duo-activity', 'Kept logs', owner)).id;
    await ingestActivityPage(api.app.db, {
      sourceId,
      stream: 'authentication',
      events: ages.map((age) => ({
        naturalKey: `tx-${String(age)}`,
        tsMs: ms(now - age * DAY_MS),
        userKey: 'DUKEEP00000000000001',
        result: 'success',
        payload: JSON.stringify({ txid: `tx-${String(age)}` }),
      })),
      cursor: 1,
    });
  });

  afterAll(async () => {
    await api.close();
  });

  it('says what each stream holds and the retention, to every reader', async () => {
    const res = await viewer.get(`/api/v1/sources/${sourceId}/storage`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      sourceId,
      retentionDays: 400,
      rollupRetentionDays: 1095,
      events: 5,
      lastPass: null,
      streams: [{ stream: 'authentication', events: 5, oldestMs: now - 300 * DAY_MS }],
    });
  });

  it('refuses rollups kept shorter than events, and less than Duo keeps, naming the field', async () => {
    const shorter = await admin.patch(`/api/v1/sources/${sourceId}`, {
      settings: { rollupRetentionDays: 200, retentionDays: 365 },
    });
    expect(shorter.status).toBe(400);
    expect(errorOf(shorter.body).details?.[0]?.field).toBe('settings.rollupRetentionDays');
    // Against the stored 400 days of events.
    const againstStored = await admin.patch(`/api/v1/sources/${sourceId}`, {
      settings: { rollupRetentionDays: 365 },
    });
    expect(againstStored.status).toBe(400);
    expect(errorOf(againstStored.body).message).toMatch(/at least retentionDays \(400\)/);
    const tooShort = await admin.patch(`/api/v1/sources/${sourceId}`, {
      settings: { retentionDays: 30 },
    });
    expect(tooShort.status).toBe(400);
    expect(errorOf(tooShort.body).details?.[0]?.field).toBe('settings.retentionDays');
  });

  it('applies a shorter retention now for a manager, audited; viewers may not', async () => {
    expect((await viewer.post(`/api/v1/sources/${sourceId}/retention`)).status).toBe(403);
    const patched = await admin.patch(`/api/v1/sources/${sourceId}`, {
      settings: { retentionDays: 180 },
    });
    expect(patched.status).toBe(200);
    const res = await admin.post(`/api/v1/sources/${sourceId}/retention`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      sourceId,
      retentionDays: 180,
      streams: [{ stream: 'authentication', deleted: 2 }],
    });
    const storage = await admin.get(`/api/v1/sources/${sourceId}/storage`);
    expect(storage.body).toMatchObject({
      events: 3,
      streams: [{ events: 3, oldestMs: now - 100 * DAY_MS }],
      lastPass: { streams: [{ deleted: 2 }] },
    });
    const audit = await admin.get('/api/v1/audit');
    expect(JSON.stringify(audit.body)).toContain('source.retention');
  });

  it('keeps what a forwarding destination has not delivered, and names it', async () => {
    await ingestActivityPage(api.app.db, {
      sourceId,
      stream: 'authentication',
      events: [200, 190].map((age) => ({
        naturalKey: `late-${String(age)}`,
        tsMs: ms(now - age * DAY_MS),
        userKey: 'DUKEEP00000000000001',
        result: 'success',
        payload: JSON.stringify({ txid: `late-${String(age)}` }),
      })),
      cursor: 2,
    });
    // Nothing listens on port 9 of loopback: the destination delivers nothing.
    const created = await admin.post('/api/v1/destinations', {
      name: 'Unreachable SIEM',
      type: 'syslog',
      transport: 'tcp',
      host: '127.0.0.1',
      port: 9,
    });
    expect(created.status).toBe(201);
    const held = await admin.post(`/api/v1/sources/${sourceId}/retention`);
    expect(held.body).toMatchObject({
      streams: [{ stream: 'authentication', deleted: 0, heldBy: 'destination Unreachable SIEM' }],
    });
    const id = (created.body as { id: string }).id;
    expect((await admin.delete(`/api/v1/destinations/${id}`)).status).toBe(204);
    const freed = await admin.post(`/api/v1/sources/${sourceId}/retention`);
    expect(freed.body).toMatchObject({ streams: [{ stream: 'authentication', deleted: 2 }] });
    expect((freed.body as { streams: { heldBy?: string }[] }).streams[0]?.heldBy).toBeUndefined();
  });

  it('answers a Duo source that it stores no events', async () => {
    const owner = await createIdentityVia(admin, 'Accounts Owner');
    const duo = (await createSourceVia(admin, 'duo', 'Accounts only', owner)).id;
    const res = await admin.get(`/api/v1/sources/${duo}/storage`);
    expect(res.status).toBe(400);
    expect(errorOf(res.body).message).toMatch(/only Activity Insights – Duo sources store events/);
  });
});
