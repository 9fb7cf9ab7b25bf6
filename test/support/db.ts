/**
 * Runs a store suite once per database: SQLite (a temporary file) and PostgreSQL (a database
 * `di_test_<random>` created on `TEST_DATABASE_URL` for this file, dropped at the end). When
 * PostgreSQL is unreachable the PostgreSQL half fails; it never skips.
 *
 * @example describeEachDatabase('accounts', (t) => { it('…', async () => { await f(t.db); }); });
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe } from 'vitest';
import { testDatabaseUrl } from '../../src/config.js';
import { openDatabase, type DatabaseKind, type Db } from '../../src/store/dialect.js';
import { migrate } from '../../src/store/migrate.js';

export const DATABASE_KINDS: readonly DatabaseKind[] = ['sqlite', 'postgres'];

export interface TestDatabase {
  readonly kind: DatabaseKind;
  /** The migrated database of this suite. */
  readonly db: Db;
  /** The URL to open more connections to the same database (e.g. a second process). */
  readonly url: string;
  /** Opens another, independent connection (closed with the suite). */
  connect(): Db;
}

export function describeEachDatabase(
  name: string,
  body: (t: TestDatabase) => void,
  options: { readonly migrate?: boolean } = {},
): void {
  for (const kind of DATABASE_KINDS) {
    describe(`${name} [${kind}]`, () => {
      const harness = new DatabaseHarness(kind, options.migrate ?? true);
      beforeAll(() => harness.start());
      afterAll(() => harness.stop());
      body(harness);
    });
  }
}

/**
 * A suite that needs PostgreSQL itself (several processes on one database, which SQLite does not
 * serve): one database on `TEST_DATABASE_URL`, left empty with `migrate: false`.
 *
 * @example describeOnPostgres('two servers', (t) => { it('…', () => start(t.url)); }, { migrate: false });
 */
export function describeOnPostgres(
  name: string,
  body: (t: TestDatabase) => void,
  options: { readonly migrate?: boolean } = {},
): void {
  describe(`${name} [postgres]`, () => {
    const harness = new DatabaseHarness('postgres', options.migrate ?? true);
    beforeAll(() => harness.start());
    afterAll(() => harness.stop());
    body(harness);
  });
}

/** The same helper under the name the store brief uses. */
export const forEachDatabase = describeEachDatabase;

class DatabaseHarness implements TestDatabase {
  readonly kind: DatabaseKind;
  readonly #migrate: boolean;
  #db: Db | undefined;
  #url: string | undefined;
  #extra: Db[] = [];
  #cleanup: (() => Promise<void>) | undefined;

  constructor(kind: DatabaseKind, runMigrations: boolean) {
    this.kind = kind;
    this.#migrate = runMigrations;
  }

  get db(): Db {
    if (!this.#db) throw new Error('the test database is not open (beforeAll failed?)');
    return this.#db;
  }

  get url(): string {
    if (this.#url === undefined) throw new Error('the test database is not open');
    return this.#url;
  }

  connect(): Db {
    const db = openDatabase(this.url);
    this.#extra.push(db);
    return db;
  }

  async start(): Promise<void> {
    if (this.kind === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'di-test-'));
      this.#url = `sqlite:${join(dir, 'test.db')}`;
      this.#cleanup = () => {
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      };
    } else {
      const admin = new URL(testDatabaseUrl());
      const name = `di_test_${randomBytes(6).toString('hex')}`;
      const adminDb = openDatabase(admin.toString(), { maxConnections: 1 });
      try {
        await sql.raw(`create database ${name}`).execute(adminDb);
      } finally {
        await adminDb.destroy();
      }
      const url = new URL(admin.toString());
      url.pathname = `/${name}`;
      this.#url = url.toString();
      this.#cleanup = async () => {
        const again = openDatabase(admin.toString(), { maxConnections: 1 });
        try {
          // A destroyed pool's connections end asynchronously; a forced drop would kill those
          // still ending and their clients would throw "terminating connection" at random.
          for (let tries = 0; tries < 100; tries++) {
            const { rows } = await sql<{ sessions: number }>`
              select count(*)::int as sessions from pg_stat_activity where datname = ${name}`.execute(
              again,
            );
            if ((rows[0]?.sessions ?? 0) === 0) break;
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          await sql.raw(`drop database if exists ${name} with (force)`).execute(again);
        } finally {
          await again.destroy();
        }
      };
    }
    this.#db = openDatabase(this.#url);
    if (this.#migrate) await migrate(this.#db);
  }

  async stop(): Promise<void> {
    for (const db of this.#extra) await db.destroy();
    await this.#db?.destroy();
    await this.#cleanup?.();
  }
}
