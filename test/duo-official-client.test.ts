/**
 * Duo's own Node client (@duosecurity/duo_api, unchanged) talks to our simulator: proof that
 * the simulator signs, pages and answers like Duo. The client pins Duo's CA and ignores ports,
 * so the simulator serves HTTPS on 127.0.0.1:443 (CI runs as root) and the test trusts the
 * simulator's CA in place of Duo's, as a company's TLS-inspecting proxy would be trusted.
 */
import { createRequire } from 'node:module';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/sim/server.js';
import { control } from '../src/sim/testing.js';

interface DuoNodeClient {
  jsonApiCall(
    method: string,
    path: string,
    params: Record<string, string | string[]>,
    callback: (body: Record<string, unknown>) => void,
  ): void;
}
interface DuoApiModule {
  Client: new (ikey: string, skey: string, host: string, sigVersion?: number) => DuoNodeClient;
  SIGNATURE_VERSION_5: number;
}

const require = createRequire(import.meta.url);
const duoApi = require('@duosecurity/duo_api') as DuoApiModule;
const duoConstants = require('@duosecurity/duo_api/lib/constants') as { DUO_PINNED_CERT: string };

const ikey = 'DIOFFICIALCLIENT0001';
const skey = 'officialclientsecretkey0000000000000000x';

function call(
  client: DuoNodeClient,
  path: string,
  params: Record<string, string | string[]> = {},
): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    client.jsonApiCall('GET', path, params, resolve);
  });
}

describe("Duo's official Node client against the simulator", () => {
  let sim: Simulator;
  const pinned = duoConstants.DUO_PINNED_CERT;

  beforeAll(async () => {
    sim = await startSimulator({
      port: 443,
      tls: true,
      credentials: [{ ikey, skey }],
      users: 650,
      days: 2,
      authEventsPerDay: 8000,
      seed: 'official-client',
      clock: { speed: 0 },
    });
    duoConstants.DUO_PINNED_CERT = sim.caPem ?? '';
  });

  afterAll(async () => {
    duoConstants.DUO_PINNED_CERT = pinned;
    await sim.close();
  });

  for (const [label, version] of [
    ['v2 (its default)', 2],
    ['v5', 5],
  ] as const) {
    it(`pages every user with signature ${label}`, async () => {
      const client = new duoApi.Client(ikey, skey, '127.0.0.1', version);
      const ids: string[] = [];
      let offset: number | undefined = 0;
      while (offset !== undefined) {
        const body = await call(client, '/admin/v1/users', {
          limit: '300',
          offset: String(offset),
        });
        expect(body['stat']).toBe('OK');
        for (const user of body['response'] as { user_id: string }[]) ids.push(user.user_id);
        const next = (body['metadata'] as { next_offset?: number | null }).next_offset;
        offset = typeof next === 'number' ? next : undefined;
      }
      expect(ids).toHaveLength(650);
      expect(new Set(ids).size).toBe(650);
    });
  }

  it('pages authentication logs with next_offset sent as repeated parameters, as it does', async () => {
    const client = new duoApi.Client(ikey, skey, '127.0.0.1');
    const maxtime = sim.now() - 3 * 60_000;
    const mintime = maxtime - 24 * 3_600_000;
    const trustSim = new Agent({ connect: { ca: sim.caPem ?? '' } });
    const truth = await control<{ count: number; keys: string[] }>(
      sim,
      'GET',
      `/_sim/truth/authentication?mintime=${mintime}&maxtime=${maxtime}&keys=1`,
      undefined,
      trustSim,
    );
    await trustSim.close();
    const txids: string[] = [];
    let nextOffset: string[] | undefined;
    for (;;) {
      const params: Record<string, string | string[]> = {
        mintime: String(mintime),
        maxtime: String(maxtime),
        limit: '1000',
        sort: 'ts:asc',
        ...(nextOffset ? { next_offset: nextOffset } : {}),
      };
      const body = await call(client, '/admin/v2/logs/authentication', params);
      expect(body).toMatchObject({ stat: 'OK' });
      const response = body['response'] as {
        authlogs: { txid: string }[];
        metadata: { next_offset?: string[] | null };
      };
      txids.push(...response.authlogs.map((a) => a.txid));
      if (response.authlogs.length === 0 || !response.metadata.next_offset) break;
      nextOffset = response.metadata.next_offset;
    }
    expect(truth.count).toBeGreaterThan(1000); // several pages of 1000
    expect(txids).toHaveLength(truth.count);
    expect(new Set(txids)).toEqual(new Set(truth.keys));
  });

  it('gets a FAIL envelope with 40103 for a wrong secret key', async () => {
    const client = new duoApi.Client(
      ikey,
      'not-the-secret-key-0000000000000000000000',
      '127.0.0.1',
    );
    const body = await call(client, '/admin/v1/info/summary');
    expect(body).toMatchObject({ stat: 'FAIL', code: 40103 });
  });
});
