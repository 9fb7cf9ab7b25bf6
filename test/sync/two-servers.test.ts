/**
 * Two `duo-insights serve` processes (the built CLI, as a second machine would run it) on one
 * PostgreSQL database, started at the same moment on an empty database: the migrations run once
 * and one admin is created; a session made on one server works on the other and signing out on
 * either ends it on both; and each scheduled sync of a source runs exactly once, whichever
 * server's scheduler sees it due first — counted in the runs table and in the requests the
 * simulated Duo received. Needs `dist/` (npm test builds it first).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HOUR_MS } from '../../src/domain/time.js';
import type { RequestLogEntry } from '../../src/sim/server.js';
import { control } from '../../src/sim/testing.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { describeOnPostgres } from '../support/db.js';
import { eventually, startTestSimulator, type TestSimulator } from '../support/sync.js';
import { startServer, type Server } from '../support/web.js';

const PASSWORD = 'two servers, one admin';
/** How often each server's scheduler looks for due work: many ticks in a second. */
const TICK_MS = 50;

/** What each server is started with: the same database and the same credentials key. */
function serverEnv(databaseUrl: string, secretKey: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    DUO_INSIGHTS_SECRET_KEY: secretKey,
    DUO_INSIGHTS_SCHEDULER_TICK_MS: String(TICK_MS),
    LOG_LEVEL: 'debug',
  };
}

interface Answer<T> {
  readonly status: number;
  readonly body: T;
}

/** A signed-in browser's cookie and CSRF token, usable against either server. */
interface Session {
  readonly cookie: string;
  readonly csrf: string;
}

async function call<T = Record<string, unknown>>(
  server: Server,
  session: Session | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer<T>> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      ...(session === undefined ? {} : { cookie: session.cookie }),
      ...(session === undefined || method === 'GET' ? {} : { 'x-csrf-token': session.csrf }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text.length > 0 ? JSON.parse(text) : {}) as T };
}

async function signIn(server: Server, password: string): Promise<Session> {
  const res = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0] ?? '');
  return { cookie: cookie.join('; '), csrf: csrfToken };
}

/** The JSON log lines of a server with this message. */
function logLines(server: Server, message: string): Record<string, unknown>[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes(`"msg":"${message}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** How many times a server's scheduler has looked for due work so far. */
function ticks(server: Server): number {
  return logLines(server, 'scheduler looked for due work').length;
}

/** Waits until each server's scheduler has looked for due work `more` times again. */
async function waitForTicks(servers: readonly Server[], more: number): Promise<void> {
  const from = servers.map(ticks);
  await eventually(() =>
    Promise.resolve(servers.every((s, i) => ticks(s) >= (from[i] ?? 0) + more)),
  );
}

interface RunRow {
  readonly id: string;
  readonly trigger: string;
  readonly status: string;
  readonly counts: string;
  readonly started_at: number | null;
  readonly finished_at: number | null;
}

describeOnPostgres(
  'two serve processes on one database',
  (t) => {
    let sim: TestSimulator;
    let servers: Server[] = [];
    const secretKey = randomBytes(32).toString('base64');

    beforeAll(async () => {
      sim = await startTestSimulator({ users: 40, days: 1, authEventsPerDay: 400 });
      // Both at the same moment, on a database nothing has touched yet.
      const started = await Promise.allSettled([
        startServer(PASSWORD, serverEnv(t.url, secretKey)),
        startServer(PASSWORD, serverEnv(t.url, secretKey)),
      ]);
      servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      const failed = started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
      expect(failed, failed.join('\n')).toEqual([]);
    });

    afterAll(async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await sim.close();
    });

    const one = (): Server => servers[0] as Server;
    const two = (): Server => servers[1] as Server;

    it('start at once on an empty database: each migration is applied once, and one admin is created', async () => {
      const applied = servers.flatMap((s) =>
        logLines(s, 'applied migrations').flatMap((line) => line['migrations'] as string[]),
      );
      expect(applied.sort()).toEqual(MIGRATIONS.map((m) => m.id).sort());
      const { rows } = await sql<{ id: string }>`select id from schema_migrations`.execute(t.db);
      expect(rows).toHaveLength(MIGRATIONS.length);
      const users = await t.db.selectFrom('users').select(['username', 'role']).execute();
      expect(users).toEqual([{ username: 'admin', role: 'admin' }]);
      for (const server of servers)
        expect(server.output()).not.toMatch(/"level":(50|60)|duplicate key|already exists/);
    });

    it('share sign-in sessions: a session made on one works on the other, and signing out on either ends it on both', async () => {
      const session = await signIn(one(), PASSWORD);
      for (const server of servers)
        expect((await call(server, session, 'GET', '/auth/me')).status).toBe(200);
      // A change through the second server with the first one's session and CSRF token.
      const made = await call<{ id: string }>(two(), session, 'POST', '/identities', {
        displayName: 'Made Elsewhere',
      });
      expect(made.status).toBe(201);
      expect((await call(one(), session, 'GET', `/identities/${made.body.id}`)).status).toBe(200);

      expect((await call(two(), session, 'POST', '/auth/logout')).status).toBe(204);
      for (const server of servers)
        expect((await call(server, session, 'GET', '/auth/me')).status).toBe(401);
    });

    it('run each scheduled sync exactly once, whichever server sees it due first', async () => {
      const session = await signIn(two(), PASSWORD);
      const owner = await call<{ id: string }>(one(), session, 'POST', '/identities', {
        displayName: 'Scheduled Owner',
      });
      const source = await call<{ id: string }>(one(), session, 'POST', '/sources', {
        type: 'duo-activity',
        name: 'Duo logs on two servers',
        ownerIdentityId: owner.body.id,
        settings: { syncIntervalHours: 1, backfillDays: 1 },
      });
      expect(source.status, JSON.stringify(source.body)).toBe(201);
      const sourceId = source.body.id;
      await control(sim.sim, 'DELETE', '/_sim/requests');
      const configured = await call(two(), session, 'PUT', `/sources/${sourceId}/configuration`, {
        apiHost: sim.target.url,
        integrationKey: sim.ikey,
        secretKey: sim.skey,
      });
      expect(configured.status, JSON.stringify(configured.body)).toBe(200);
      const verdict = await call<{ ok: boolean }>(
        one(),
        session,
        'POST',
        `/sources/${sourceId}/test-connection`,
      );
      expect(verdict.body.ok, JSON.stringify(verdict.body)).toBe(true);

      const runs = async (): Promise<RunRow[]> =>
        t.db
          .selectFrom('runs')
          .select(['id', 'trigger', 'status', 'counts', 'started_at', 'finished_at'])
          .where('source_id', '=', sourceId)
          .where('kind', '=', 'sync')
          .orderBy('created_at')
          .execute();
      const finishedRuns = async (count: number): Promise<void> => {
        await eventually(async () => {
          const now = await runs();
          return now.length >= count && now.every((r) => r.finished_at !== null);
        });
      };

      // The first sync, then an hour passes three times (each sync moved an hour into the past,
      // as if the interval had gone by): each time, one sync.
      for (let round = 1; round <= 3; round++) {
        if (round > 1) {
          await t.db
            .updateTable('runs')
            .set((eb) => ({
              created_at: eb('created_at', '-', HOUR_MS),
              started_at: eb('started_at', '-', HOUR_MS),
              finished_at: eb('finished_at', '-', HOUR_MS),
              heartbeat_at: eb('heartbeat_at', '-', HOUR_MS),
            }))
            .where('source_id', '=', sourceId)
            .execute();
        }
        await finishedRuns(round);
        // Both schedulers look again, many times, with the sync done and not due.
        await waitForTicks(servers, 10);
        const now = await runs();
        expect(
          now.map((r) => [r.trigger, r.status]),
          `round ${String(round)}`,
        ).toEqual([
          ['create', 'succeeded'],
          ...Array.from({ length: round - 1 }, () => ['schedule', 'succeeded']),
        ]);
      }

      // No two syncs overlapped, and Duo was asked exactly for the pages the syncs stored.
      const all = await runs();
      for (let i = 1; i < all.length; i++)
        expect(all[i]?.started_at ?? 0).toBeGreaterThanOrEqual(all[i - 1]?.finished_at ?? Infinity);
      const pages = all
        .flatMap((r) => Object.values(JSON.parse(r.counts) as Record<string, unknown>))
        .reduce<number>((sum, c) => sum + ((c as { pages?: number }).pages ?? 0), 0);
      const { requests } = await control<{ requests: RequestLogEntry[] }>(
        sim.sim,
        'GET',
        '/_sim/requests',
      );
      const logReads = requests.filter(
        (r) => r.path.includes('/logs/') || r.path.endsWith('/trust_monitor/events'),
      );
      const connectionTests = logReads.filter((r) =>
        r.params.some(([name, value]) => name === 'limit' && value === '1'),
      );
      expect(connectionTests).toHaveLength(1);
      expect(pages).toBeGreaterThan(0);
      expect(logReads.length - connectionTests.length).toBe(pages);
    });
  },
  { migrate: false },
);

describeOnPostgres(
  'two serve processes on an empty database with no admin password configured',
  (t) => {
    let servers: Server[] = [];

    afterAll(async () => {
      await Promise.all(servers.map((s) => s.stop()));
    });

    it('create one admin, whose generated password only one of them wrote, and it signs in on both', async () => {
      const secretKey = randomBytes(32).toString('base64');
      const started = await Promise.allSettled([
        startServer(undefined, serverEnv(t.url, secretKey)),
        startServer(undefined, serverEnv(t.url, secretKey)),
      ]);
      servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      const failed = started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
      expect(failed, failed.join('\n')).toEqual([]);

      const passwords: string[] = [];
      for (const server of servers) {
        const text = await readFile(join(server.dataDir, 'initial-admin-password'), 'utf8').catch(
          (error: unknown) => {
            if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
            throw error;
          },
        );
        if (text !== undefined) passwords.push(text.trim());
      }
      expect(passwords).toHaveLength(1);
      const users = await t.db.selectFrom('users').select(['username', 'role']).execute();
      expect(users).toEqual([{ username: 'admin', role: 'admin' }]);
      for (const server of servers) await signIn(server, passwords[0] ?? '');
    });
  },
  { migrate: false },
);
