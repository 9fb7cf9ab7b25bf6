import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from './server.js';
import { duoGet } from './testing.js';

const cred = { ikey: 'DITLS000000000000001', skey: 't'.repeat(40) };
const dir = mkdtempSync(join(tmpdir(), 'sim-tls-test-'));

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ credentials: [cred], users: 5, days: 1, tls: { dir } });
});
afterAll(() => sim.close());

describe('TLS with a generated CA', () => {
  it('serves HTTPS and writes the CA to ca.pem in the directory asked for', () => {
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.caFile).toBe(join(dir, 'ca.pem'));
    expect(existsSync(join(dir, 'ca.pem'))).toBe(true);
    expect(readFileSync(join(dir, 'ca.pem'), 'utf8')).toBe(sim.caPem);
  });

  it('a client that trusts the CA is served', async () => {
    const trusting = new Agent({ connect: { ca: readFileSync(sim.caFile ?? '') } });
    try {
      const response = await duoGet(sim, cred, '/admin/v1/users', [], { dispatcher: trusting });
      expect(response.status).toBe(200);
    } finally {
      await trusting.close();
    }
  });

  it('a client without the CA refuses the certificate', async () => {
    const plain = new Agent();
    try {
      await expect(
        duoGet(sim, cred, '/admin/v1/users', [], { dispatcher: plain }),
      ).rejects.toMatchObject({ code: expect.stringMatching(/CERT|SIGNATURE|ISSUER/) as unknown });
    } finally {
      await plain.close();
    }
  });
});
