/**
 * The demo a newcomer starts from the empty state (`POST /api/v1/demo`): the built-in simulator
 * in this process and both sources against it, on a server that accepts no loopback Duo host
 * otherwise, with the real scheduler — data within a minute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type Client, type TestApi } from '../../../test/support/api.js';

describe('the demo', () => {
  let api: TestApi;
  let admin: Client;

  beforeAll(async () => {
    api = await startTestApi({}, { allowLoopbackHosts: false, scheduler: { tickMs: 200 } });
    await api.createUser('admin', 'admin');
    admin = await api.signIn('admin');
  });

  afterAll(async () => {
    await api.close();
  });

  it('creates both sources against the built-in simulator, tested, and shows activity within a minute', async () => {
    expect((await admin.get('/api/v1/demo')).body).toEqual({ running: false });
    const started = await admin.post('/api/v1/demo', {});
    expect(started.status).toBe(201);
    const body = started.body as { sources: { type: string; state: string; hasSecret: boolean }[] };
    expect(body.sources.map((s) => s.type).sort()).toEqual(['duo', 'duo-activity']);
    expect(body.sources.every((s) => s.state === 'verified' && s.hasSecret)).toBe(true);

    const until = Date.now() + 60_000;
    let seen = 0;
    while (seen === 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      const identities = (await admin.get('/api/v1/identities?limit=5')).body as {
        identities: { id: string }[];
      };
      for (const identity of identities.identities) {
        const insights = (await admin.get(`/api/v1/identities/${identity.id}/insights`)).body as {
          counts: { d90: number };
        };
        seen = Math.max(seen, insights.counts.d90);
      }
    }
    expect(seen).toBeGreaterThan(0);
    expect((await admin.get('/api/v1/demo')).body).toEqual({ running: true });
  });

  it('says so when the demo already runs', async () => {
    const again = await admin.post('/api/v1/demo', {});
    expect(again.status).toBe(409);
    expect((again.body as { error: { code: string } }).error.code).toBe('conflict');
  });

  it('still refuses a loopback API host typed by a person', async () => {
    const sources = (await admin.get('/api/v1/sources')).body as { sources: { id: string }[] };
    const res = await admin.put(`/api/v1/sources/${sources.sources[0]?.id ?? ''}/configuration`, {
      apiHost: '127.0.0.1:1',
      integrationKey: 'DIAAAAAAAAAAAAAAAAAA',
      secretKey: 'a'.repeat(40),
    });
    expect(res.status).toBe(400);
    expect((res.body as { error: { details: { field: string }[] } }).error.details[0]?.field).toBe(
      'apiHost',
    );
  });
});
