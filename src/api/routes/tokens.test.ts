/**
 * API tokens over HTTP with the server's clock in the test's hands: a token stops working at its
 * expiry (no waiting: the clock moves), its last use shows in the list, and an expiry that is in
 * the past, malformed or too far ahead is refused, naming `expiresAt`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, MINUTE_MS } from '../../domain/time.js';
import { startTestApi, type Client, type TestApi } from '../../../test/support/api.js';

interface TokenAnswer {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly expiresAt: number | null;
}
interface ErrorShape {
  error: { code: string; message: string; details?: { field: string; message: string }[] };
}

const START = Date.parse('2026-06-01T09:00:00Z');

describe('API tokens: expiry and last use', () => {
  let now = START;
  let api: TestApi;
  /** An admin acting through a token that never expires (a session would end as days pass). */
  let admin: Client;

  beforeAll(async () => {
    api = await startTestApi({}, { clock: () => now });
    admin = await api.withToken(await api.createUser('admin', 'admin'));
  });

  afterAll(async () => {
    await api.close();
  });

  async function create(body: unknown): Promise<{ status: number; body: unknown }> {
    return admin.post('/api/v1/tokens', body);
  }

  async function listed(id: string): Promise<TokenAnswer | undefined> {
    const res = await admin.get('/api/v1/tokens');
    expect(res.status).toBe(200);
    return (res.body as { tokens: TokenAnswer[] }).tokens.find((t) => t.id === id);
  }

  function asBearer(token: string, url = '/api/v1/auth/me') {
    return api.anonymous('GET', url, undefined, { authorization: `Bearer ${token}` });
  }

  it('shows expiresAt and lastUsedAt when a token is created and in the list', async () => {
    const res = await create({ name: 'nightly export', expiresAt: '2026-09-01T00:00:00Z' });
    expect(res.status).toBe(201);
    const { token, ...apiToken } = res.body as TokenAnswer & { token: string };
    expect(token).toMatch(/\S{20,}/);
    expect(apiToken).toMatchObject({
      name: 'nightly export',
      createdAt: START,
      expiresAt: Date.parse('2026-09-01T00:00:00Z'),
      lastUsedAt: null,
    });
    expect(apiToken).not.toHaveProperty('tokenHash');
    expect(await listed(apiToken.id)).toEqual(apiToken);

    const forever = await create({ name: 'no expiry' });
    expect((forever.body as TokenAnswer).expiresAt).toBeNull();
  });

  it('describes expiresAt in the OpenAPI document', async () => {
    const doc = (await api.anonymous('GET', '/api/v1/openapi.json')).body as {
      paths: Record<string, { post?: { requestBody?: unknown } }>;
    };
    const body = JSON.stringify(doc.paths['/api/v1/tokens']?.post?.requestBody);
    expect(body).toContain('"expiresAt"');
    expect(body).toContain('ISO 8601');
  });

  it('refuses an expired token everywhere with 401 saying it expired', async () => {
    now = START;
    const res = await create({ name: 'one day', expiresAt: START + DAY_MS });
    const { token } = res.body as { token: string };
    expect((await asBearer(token)).status).toBe(200);

    now = START + DAY_MS - 1;
    expect((await asBearer(token, '/api/v1/sources')).status).toBe(200);

    now = START + DAY_MS;
    for (const url of ['/api/v1/auth/me', '/api/v1/sources', '/api/v1/tokens']) {
      const refused = await asBearer(token, url);
      expect(refused.status).toBe(401);
      const { error } = refused.body as ErrorShape;
      expect(error.code).toBe('unauthenticated');
      expect(error.message).toMatch(/"one day" expired at 2026-06-02T09:00:00\.000Z/);
      expect(error.message).not.toContain(token);
    }
    const write = await api.anonymous(
      'POST',
      '/api/v1/identities',
      { displayName: 'Late Writer' },
      { authorization: `Bearer ${token}` },
    );
    expect(write.status).toBe(401);
    now = START;
  });

  it('moves a token’s lastUsedAt when it is used again', async () => {
    now = START;
    const res = await create({ name: 'siem' });
    const { token, ...apiToken } = res.body as TokenAnswer & { token: string };
    expect((await listed(apiToken.id))?.lastUsedAt).toBeNull();

    now = START + MINUTE_MS;
    expect((await asBearer(token)).status).toBe(200);
    expect((await listed(apiToken.id))?.lastUsedAt).toBe(START + MINUTE_MS);

    now = START + 2 * DAY_MS;
    expect((await asBearer(token)).status).toBe(200);
    expect((await listed(apiToken.id))?.lastUsedAt).toBe(START + 2 * DAY_MS);
    now = START;
  });

  it('refuses an expiry in the past, a malformed one and one beyond 10 years, naming expiresAt', async () => {
    now = START;
    const bad: [unknown, RegExp][] = [
      ['2026-05-31T09:00:00Z', /in the future/],
      [START, /in the future/],
      ['next tuesday', /ISO 8601/],
      ['2026-07-01', /ISO 8601/],
      [START + 3651 * DAY_MS, /within 3650 days/],
      [1.5, /whole epoch milliseconds/],
      [true, /expiresAt/],
      ['x'.repeat(41), /expiresAt/],
    ];
    for (const [expiresAt, message] of bad) {
      const res = await create({ name: 'bad expiry', expiresAt });
      expect(res.status, JSON.stringify(expiresAt)).toBe(400);
      const { error } = res.body as ErrorShape;
      expect(error.code).toBe('validation_failed');
      expect(error.details?.map((d) => d.field)).toEqual(['expiresAt']);
      expect(error.message).toMatch(message);
    }
    const tokens = (await admin.get('/api/v1/tokens')).body as { tokens: TokenAnswer[] };
    expect(tokens.tokens.map((t) => t.name)).not.toContain('bad expiry');
  });
});
