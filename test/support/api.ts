/**
 * The HTTP API in-process for tests: the real composition root (`openApp`) on a temporary SQLite
 * database, `buildServer` without a port (`app.inject`), logs captured in memory, and clients
 * that sign in (cookie + CSRF token) or carry an API token. Every answer is kept, so a suite can
 * check that no secret ever appeared in one.
 *
 * @example const api = await startTestApi(); const admin = await api.signIn('admin', password);
 *   const res = await admin.post('/api/v1/identities', { displayName: 'Ann' });
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { buildServer, type ApiServer, type ServerOptions } from '../../src/api/server.js';
import { createScheduler, openApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { nowMs } from '../../src/domain/time.js';
import type { Role, User } from '../../src/domain/users.js';
import { createLogger } from '../../src/logging.js';
import { createUserFromInput, issueApiToken } from '../../src/sync/users.js';

export const TEST_PASSWORD = 'correct horse battery staple';

export interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
  readonly headers: LightMyRequestResponse['headers'];
}

export interface Client {
  readonly user: User;
  request(
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Answer>;
  get(url: string): Promise<Answer>;
  post(url: string, body?: unknown): Promise<Answer>;
  put(url: string, body?: unknown): Promise<Answer>;
  patch(url: string, body?: unknown): Promise<Answer>;
  delete(url: string): Promise<Answer>;
}

export interface TestApi {
  readonly app: App;
  readonly server: ApiServer;
  /** Every log line written so far (JSON text). */
  readonly logs: string[];
  /** Every answer given so far (text), for secret checks. */
  readonly answers: string[];
  /** Sends a request with no credentials (or with the headers given). */
  anonymous(
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Answer>;
  createUser(username: string, role: Role, identityId?: string | null): Promise<User>;
  signIn(
    username: string,
    password?: string,
  ): Promise<Client & { readonly csrfToken: string; readonly cookie: string }>;
  withToken(user: User): Promise<Client & { readonly token: string }>;
  close(): Promise<void>;
}

export interface TestApiOptions {
  /** Accept loopback Duo hosts (default true: sources point at a simulator). */
  readonly allowLoopbackHosts?: boolean;
  /** Run the real scheduler, looking for due work every `tickMs`. */
  readonly scheduler?: { readonly tickMs: number };
  /** The server's clock (default `Date.now`), to move time without waiting. */
  readonly clock?: () => number;
  /** Another database (e.g. a PostgreSQL one from `describeEachDatabase`); default SQLite. */
  readonly databaseUrl?: string;
  /** The secret key (base64), to open a database an earlier test API wrote (a restart). */
  readonly secretKey?: string;
}

export async function startTestApi(
  options: ServerOptions = {},
  test: TestApiOptions = {},
): Promise<TestApi> {
  const allowLoopbackHosts = test.allowLoopbackHosts ?? true;
  const dir = mkdtempSync(join(tmpdir(), 'di-api-'));
  const logs: string[] = [];
  const answers: string[] = [];
  const log = createLogger({
    level: 'debug',
    destination: {
      write: (line: string) => {
        logs.push(line);
      },
    },
  });
  const config = loadConfig(
    {},
    {
      dataDir: dir,
      databaseUrl: test.databaseUrl ?? `sqlite:${join(dir, 'api.db')}`,
      secretKey: test.secretKey ?? randomBytes(32).toString('base64'),
      allowLoopbackDuoHosts: allowLoopbackHosts,
      duoRateLimit: 'off',
    },
  );
  const app = await openApp(config, {
    log,
    duo: {
      rateLimitBackoff: { initialMs: 20, maxDelayMs: 200, maxTotalWaitMs: 5000 },
      transientRetries: 1,
    },
    ...(test.clock ? { clock: test.clock } : {}),
  });
  const scheduler = test.scheduler
    ? createScheduler(app, { tickMs: test.scheduler.tickMs })
    : undefined;
  const server = await buildServer(app, {
    ...(scheduler ? { scheduler } : {}),
    ...options,
  });
  scheduler?.start();

  async function send(
    method: string,
    url: string,
    body: unknown,
    headers: Record<string, string>,
  ): Promise<Answer> {
    const res = await server.app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    answers.push(`${res.statusCode} ${method} ${url} ${JSON.stringify(res.headers)} ${res.body}`);
    let parsed: unknown;
    try {
      parsed = res.body.length > 0 ? (JSON.parse(res.body) as unknown) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.statusCode, body: parsed, text: res.body, headers: res.headers };
  }

  function client(user: User, headers: (method: string) => Record<string, string>): Client {
    const request = (
      method: string,
      url: string,
      body?: unknown,
      extra: Record<string, string> = {},
    ) => send(method, url, body, { ...headers(method), ...extra });
    return {
      user,
      request,
      get: (url) => request('GET', url),
      post: (url, body) => request('POST', url, body),
      put: (url, body) => request('PUT', url, body),
      patch: (url, body) => request('PATCH', url, body),
      delete: (url) => request('DELETE', url),
    };
  }

  return {
    app,
    server,
    logs,
    answers,
    anonymous: (method, url, body, headers = {}) => send(method, url, body, headers),
    createUser: (username, role, identityId = null) =>
      createUserFromInput(app.db, { username, password: TEST_PASSWORD, role, identityId }),
    async signIn(username, password = TEST_PASSWORD) {
      const res = await server.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username, password },
      });
      answers.push(`${res.statusCode} login ${JSON.stringify(res.headers)} ${res.body}`);
      if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
      const { user, csrfToken } = JSON.parse(res.body) as { user: User; csrfToken: string };
      const cookie = res.cookies.find((c) => c.name === 'duo_insights_session')?.value ?? '';
      const base = client(user, (method) => ({
        cookie: `duo_insights_session=${cookie}`,
        ...(method === 'GET' ? {} : { 'x-csrf-token': csrfToken }),
      }));
      return { ...base, csrfToken, cookie };
    },
    async withToken(user) {
      const { token } = await issueApiToken(
        app.db,
        { name: `test ${user.username}` },
        user.id,
        nowMs(app.sync.clock),
      );
      return { ...client(user, () => ({ authorization: `Bearer ${token}` })), token };
    },
    async close() {
      await scheduler?.stop();
      await server.app.close();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls a run until it has finished. */
export async function waitForRun(
  client: Client,
  runId: string,
  timeoutMs = 30_000,
): Promise<{ status: string; counts: Record<string, unknown>; error: unknown }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.get(`/api/v1/runs/${runId}`);
    const run = res.body as { status: string; counts: Record<string, unknown>; error: unknown };
    if (!['queued', 'running'].includes(run.status)) return run;
    if (Date.now() > until)
      throw new Error(`run ${runId} still ${run.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The error body every 4xx and 5xx answer has. */
export interface ErrorShape {
  error: { code: string; message: string; details?: { field: string; message: string }[] };
}

/** The `error` of an error answer. */
export const errorOf = (body: unknown): ErrorShape['error'] => (body as ErrorShape).error;

/**
 * Creates an identity through the API (`client` may create identities) and answers its id; its
 * email is derived from the name.
 *
 * @example const ownerId = await createIdentityVia(admin, 'Ada Owner');
 */
export async function createIdentityVia(client: Client, name: string): Promise<string> {
  const res = await client.post('/api/v1/identities', {
    displayName: name,
    email: `${name.toLowerCase().replace(/\s+/g, '.')}@example.org`,
  });
  if (res.status !== 201) throw new Error(`creating identity ${name}: ${String(res.status)}`);
  return (res.body as { id: string }).id;
}

/**
 * Creates a source through the API and answers its id and name.
 *
 * @example const source = await createSourceVia(admin, 'duo', 'Duo', ownerId);
 */
export async function createSourceVia(
  client: Client,
  type: 'duo' | 'duo-activity',
  name: string,
  ownerIdentityId: string,
  extra = {},
): Promise<{ id: string; name: string }> {
  const res = await client.post('/api/v1/sources', { type, name, ownerIdentityId, ...extra });
  if (res.status !== 201) throw new Error(`creating source ${name}: ${String(res.status)}`);
  return res.body as { id: string; name: string };
}
