/**
 * Throwaway PostgreSQL databases for benchmarks: one created on the server of `adminUrl` under a
 * random name, dropped (connections forced closed) when done. Tests use test/support/db.ts.
 *
 * @example const scratch = await createThrowawayDatabase(adminUrl, 'di_bench'); … await scratch.drop();
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { openDatabase } from './dialect.js';

export interface ThrowawayDatabase {
  readonly name: string;
  /** `adminUrl` with the database name replaced. */
  readonly url: string;
  drop(): Promise<void>;
}

export async function createThrowawayDatabase(
  adminUrl: string,
  prefix: string,
): Promise<ThrowawayDatabase> {
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(prefix))
    throw new RangeError(`a database name prefix is lower-case letters, digits and _ (${prefix})`);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await onServer(adminUrl, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => dropWhenIdle(adminUrl, name),
  };
}

/**
 * Drops the database once no session is left on it (waiting up to 2 s), then forcibly: a pool
 * destroyed a moment ago ends its connections asynchronously, and a forced drop that kills one
 * still ending makes its client emit "terminating connection", which, unhandled, ends the
 * process that owned the pool.
 */
async function dropWhenIdle(adminUrl: string, name: string): Promise<void> {
  const admin = openDatabase(adminUrl, { maxConnections: 1 });
  try {
    for (let tries = 0; tries < 100; tries++) {
      const { rows } = await sql<{ sessions: number }>`
        select count(*)::int as sessions from pg_stat_activity where datname = ${name}`.execute(
        admin,
      );
      if ((rows[0]?.sessions ?? 0) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await sql.raw(`drop database if exists ${name} with (force)`).execute(admin);
  } finally {
    await admin.destroy();
  }
}

async function onServer(adminUrl: string, statement: string): Promise<void> {
  const admin = openDatabase(adminUrl, { maxConnections: 1 });
  try {
    await sql.raw(statement).execute(admin);
  } finally {
    await admin.destroy();
  }
}
