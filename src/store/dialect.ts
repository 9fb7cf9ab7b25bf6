/**
 * The one seam between the store and its two databases. Everything that differs between SQLite
 * (better-sqlite3) and PostgreSQL (pg) lives here: opening and tuning a connection, int8
 * parsing, column types (bigint, blob, auto ids, JSON), the database's "now", locking and
 * on-disk size. Repositories call `dialectOf(db)` and never test which database they run on.
 *
 * @example const db = await openDatabase('sqlite:./data/duo-insights.db'); await migrate(db);
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  SqliteAdapter,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
  type CreateTableBuilder,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type RawBuilder,
  type SqlBool,
  type SqliteDialectConfig,
} from 'kysely';
import pg from 'pg';
import { encodeArray } from './pg-arrays.js';
import type { Database } from './schema.js';

export type DatabaseKind = 'sqlite' | 'postgres';

export type DatabaseLocation =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly connectionString: string };

/** The database handle every repository takes first; a transaction is one too. */
export type Db = Kysely<Database>;

/**
 * `postgres://…` / `postgresql://…` → PostgreSQL; `sqlite:path`, `sqlite://path` or a plain
 * file path → SQLite (`:memory:` works for throwaway use).
 */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres', connectionString: url };
  const path = url.replace(/^sqlite:(\/\/)?/i, '');
  if (path.length === 0) throw new Error('DATABASE_URL names no SQLite file');
  return { kind: 'sqlite', path };
}

export interface OpenOptions {
  /** PostgreSQL pool size. Default 10. */
  readonly maxConnections?: number;
  /** SQLite: how long a writer waits for another process's lock. Default 5 s. */
  readonly busyTimeoutMs?: number;
}

/** Opens (and for SQLite creates) the database. The caller owns it: `await db.destroy()`. */
export function openDatabase(url: string, options: OpenOptions = {}): Db {
  const location = parseDatabaseUrl(url);
  switch (location.kind) {
    case 'sqlite':
      return openSqlite(location.path, options);
    case 'postgres':
      return openPostgres(location.connectionString, options);
  }
}

function openSqlite(path: string, options: OpenOptions): Db {
  // Owner-only: the database holds password hashes, activity and the audit trail; SQLite gives
  // the -wal and -shm files the database file's mode.
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, 'a', 0o600));
  }
  const database = new BetterSqlite3(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  // Checkpoint (copy the WAL into the database and fsync) every ~40 MB of WAL instead of 4 MB:
  // bulk ingest otherwise spends as much time in checkpoints as in its own writes.
  database.pragma('wal_autocheckpoint = 10000');
  database.pragma('foreign_keys = ON');
  database.pragma(`busy_timeout = ${String(options.busyTimeoutMs ?? 5000)}`);
  return new Kysely<Database>({
    dialect: new ImmediateSqliteDialect({ database: new StatementCache(database) }),
  });
}

/**
 * How many prepared statements a connection keeps, and how many texts seen once it remembers.
 * Ingest runs a few dozen shapes over and over; a text is kept from its second use, so lists of
 * ids of every length (each a statement of its own, some of them large) do not push them out.
 */
const CACHED_STATEMENTS = 64;
/**
 * What the kept statements' texts may add up to, in characters. SQLite's memory for a prepared
 * statement grows with its text: a 2,000-row insert of 15 columns (64k characters) holds
 * ~2.6 MB outside the JavaScript heap, a 30,000-value `in (...)` list ~5 MB, so 64 of the
 * largest would hold over 150 MB. 256k characters keeps the few full-size batch statements a
 * sync repeats (~10–20 MB) and every small one.
 */
const CACHED_TEXT_CHARS = 256 * 1024;
const SEEN_ONCE = 256;

/**
 * better-sqlite3 behind Kysely's driver, which prepares every statement it runs: preparing a
 * multi-row insert (parsing, planning) costs as much as running it, so a text run again is
 * prepared once per connection and reused (least recently used out, by count and by the total
 * length of the kept texts, which bounds the native memory they hold). A cached statement still
 * streaming rows is busy: the same text then gets a statement of its own, uncached.
 */
export class StatementCache {
  readonly #database: BetterSqlite3.Database;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();
  readonly #seen = new Set<string>();
  readonly #max: number;
  readonly #maxChars: number;
  #chars = 0;
  constructor(
    database: BetterSqlite3.Database,
    max = CACHED_STATEMENTS,
    maxChars = CACHED_TEXT_CHARS,
  ) {
    this.#database = database;
    this.#max = max;
    this.#maxChars = maxChars;
  }
  /** How many statements are kept. */
  get size(): number {
    return this.#statements.size;
  }
  /** The total length of the kept statements' texts. */
  get textChars(): number {
    return this.#chars;
  }
  prepare(text: string): BetterSqlite3.Statement {
    const cached = this.#statements.get(text);
    if (cached !== undefined) {
      if (cached.busy) return this.#database.prepare(text);
      // Most recently used last.
      this.#statements.delete(text);
      this.#statements.set(text, cached);
      return cached;
    }
    const statement = this.#database.prepare(text);
    // A text longer than the whole budget would only push every other statement out.
    if (text.length > this.#maxChars) return statement;
    if (!this.#seen.delete(text)) {
      this.#seen.add(text);
      if (this.#seen.size > SEEN_ONCE) dropOldest(this.#seen);
      return statement;
    }
    this.#statements.set(text, statement);
    this.#chars += text.length;
    while (this.#statements.size > this.#max || this.#chars > this.#maxChars) {
      const oldest = dropOldest(this.#statements);
      if (oldest === undefined) break;
      this.#chars -= oldest.length;
    }
    return statement;
  }
  close(): void {
    this.#statements.clear();
    this.#seen.clear();
    this.#chars = 0;
    this.#database.close();
  }
}

/** Drops the oldest entry; returns its key. */
function dropOldest(items: Set<string> | Map<string, unknown>): string | undefined {
  const oldest = items.keys().next().value;
  if (oldest !== undefined) items.delete(oldest);
  return oldest;
}

/**
 * A read-only connection to an SQLite file another connection writes (a read worker's): in WAL
 * mode readers run beside the writer, each on its own snapshot. Refuses every write.
 *
 * @example const db = openReadOnlySqlite('./data/duo-insights.db'); await dormantAccountIds(db, q);
 */
export function openReadOnlySqlite(path: string, options: OpenOptions = {}): Db {
  const database = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  database.pragma(`busy_timeout = ${String(options.busyTimeoutMs ?? 5000)}`);
  return new Kysely<Database>({
    dialect: new ImmediateSqliteDialect({ database: new StatementCache(database) }),
  });
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

function openPostgres(connectionString: string, options: OpenOptions): Db {
  const pool = new pg.Pool({
    connectionString,
    max: options.maxConnections ?? 10,
    // pg returns int8 (our timestamps, ids, counts) and numeric (sums) as strings; parse them
    // on this pool only, never through pg's global type registry.
    types: { getTypeParser: numbersAsNumbers },
    // JIT compiling costs more than it saves on our queries: measured on an access review of
    // 50k members, 1.4 s with JIT, 0.8 s without (the compile alone took 1.3 s).
    options: '-c jit=off',
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

const pgDefaultParser = pg.types.getTypeParser as unknown as (
  oid: number,
  format?: 'text' | 'binary',
) => (value: string) => unknown;

const numbersAsNumbers = ((oid: number, format?: 'text' | 'binary') =>
  oid === INT8_OID || oid === NUMERIC_OID
    ? parseNumber
    : pgDefaultParser(oid, format)) as unknown as typeof pg.types.getTypeParser;

function parseNumber(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value)) throw new RangeError(`not a number from the database: ${text}`);
  return value;
}

/**
 * Kysely's SQLite driver starts transactions with a deferred `begin`; a deferred reader that
 * later writes fails with SQLITE_BUSY when another process wrote meanwhile (busy_timeout cannot
 * help). Every store transaction writes, so take the write lock up front: `begin immediate`.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect implements Dialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    this.#config = config;
  }
  createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }
  createAdapter() {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new SqliteIntrospector(db);
  }
}

// ---- per-database behaviour ---------------------------------------------------------------------

export interface TableSize {
  readonly table: string;
  /** Bytes of the table and all its indexes. */
  readonly bytes: number;
}

export interface StoreDialect {
  readonly kind: DatabaseKind;
  /** Column type of epoch-ms timestamps and other 64-bit integers. */
  readonly bigint: 'integer' | 'bigint';
  /** Column type of compressed payloads. */
  readonly blob: 'blob' | 'bytea';
  /**
   * Column type of JSON documents. Text on both, so mappers are identical and the stored text
   * is exactly what was written; nothing queries inside JSON.
   */
  readonly json: 'text';
  /** Bound parameters one statement may carry (with room to spare). */
  readonly maxParameters: number;
  /**
   * Whether a statement can bind a whole column as one array (`unnest($1::bigint[])`,
   * `pg-arrays.ts`): then one statement of one text serves any row count.
   */
  readonly columnArrays: boolean;
  /** Adds an auto-increment 64-bit integer primary key `id`. */
  autoId<T extends string, C extends string>(
    table: CreateTableBuilder<T, C>,
  ): CreateTableBuilder<T, C | 'id'>;
  /**
   * After rows were inserted with explicit ids (a table rebuilt by a migration): new rows get
   * ids above the highest one (PostgreSQL moves the identity sequence; SQLite's rowid already
   * takes the highest id + 1).
   */
  continueAutoId(db: Db, table: string): Promise<void>;
  /** Stores a table in its primary-key order where the database supports it (SQLite). */
  clustered<T extends string, C extends string>(
    table: CreateTableBuilder<T, C>,
  ): CreateTableBuilder<T, C>;
  /** The database clock in epoch ms: one clock for every process sharing the database. */
  now(): RawBuilder<number>;
  /** Serialises schema migrations between processes; call inside the migration transaction. */
  lockForMigration(trx: Db): Promise<void>;
  /**
   * Serialises the transactions that take the same named lock, until they end (PostgreSQL: a
   * transaction-level advisory lock; SQLite: `begin immediate` already serialises writers).
   */
  lockForTransaction(trx: Db, name: string): Promise<void>;
  /**
   * Like `lockForTransaction`, but shared: transactions taking it shared run side by side, one
   * taking it with `lockForTransaction` waits for them all and they for it.
   */
  lockSharedForTransaction(trx: Db, name: string): Promise<void>;
  /**
   * Drops the table's foreign keys where each costs a query per written row (PostgreSQL: a
   * trigger runs `select … for key share` on the referenced row); SQLite checks one with a probe
   * of the referenced index inside the write, and could drop one only by rebuilding the table,
   * so it keeps them. Whoever deletes the referenced rows must delete the referring ones.
   */
  dropPerRowForeignKeys(db: Db, table: string): Promise<void>;
  /** Bytes on disk per table (indexes included). */
  tableSizes(db: Db): Promise<TableSize[]>;
  /** The aggregate joining a group's non-null texts with `separator` (null for none). */
  joinText(text: RawBuilder<unknown>, separator: string): RawBuilder<string | null>;
  /**
   * `column in (ids)` for a list of integer ids of any length (none: false). PostgreSQL binds
   * the list as one array (`= any($1::bigint[])`): a list of a thousand parameters costs more to
   * parse and plan than a page of a report costs to run.
   */
  idIn(column: string, ids: readonly number[]): RawBuilder<SqlBool>;
}

const sqliteDialect: StoreDialect = {
  kind: 'sqlite',
  bigint: 'integer',
  blob: 'blob',
  json: 'text',
  maxParameters: 30_000,
  columnArrays: false,
  // INTEGER PRIMARY KEY is SQLite's rowid (64-bit): no extra index, ids never reused while
  // the highest row remains.
  autoId: (table) => table.addColumn('id', 'integer', (col) => col.primaryKey().notNull()),
  continueAutoId: async () => {
    // INTEGER PRIMARY KEY without AUTOINCREMENT: a new row's id is the highest id + 1.
  },
  clustered: (table) => table.modifyEnd(sql`without rowid`),
  now: () => sql<number>`cast(unixepoch('subsec') * 1000 as integer)`,
  lockForMigration: async () => {
    // `begin immediate` (ImmediateSqliteDriver) already holds the write lock.
  },
  lockForTransaction: async () => {
    // `begin immediate` (ImmediateSqliteDriver) already holds the write lock.
  },
  lockSharedForTransaction: async () => {
    // `begin immediate` (ImmediateSqliteDriver) already holds the write lock.
  },
  dropPerRowForeignKeys: async () => {
    // Checked inside the write by an index probe: no query per row to save.
  },
  joinText: (text, separator) => sql`group_concat(${text}, ${sql.lit(separator)})`,
  idIn: (column, ids) =>
    ids.length === 0 ? sql<SqlBool>`0 = 1` : sql<SqlBool>`${sql.ref(column)} in (${sql.join(ids)})`,
  tableSizes: async (db) => {
    const result = await sql<{ table: string; bytes: number }>`
      select m.tbl_name as "table", sum(d.pgsize) as bytes
      from dbstat d join sqlite_schema m on m.name = d.name
      group by m.tbl_name order by bytes desc`.execute(db);
    return result.rows.map((r) => ({ table: r.table, bytes: r.bytes }));
  },
};

const postgresDialect: StoreDialect = {
  kind: 'postgres',
  bigint: 'bigint',
  blob: 'bytea',
  json: 'text',
  maxParameters: 60_000,
  columnArrays: true,
  autoId: (table) =>
    table.addColumn('id', 'bigint', (col) => col.primaryKey().generatedByDefaultAsIdentity()),
  continueAutoId: async (db, table) => {
    await sql`select setval(pg_get_serial_sequence(${table}, 'id'), coalesce(max(id), 0) + 1, false)
      from ${sql.table(table)}`.execute(db);
  },
  clustered: (table) => table,
  now: () => sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`,
  lockForMigration: async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('duo-insights:migrate'))`.execute(trx);
  },
  lockForTransaction: async (trx, name) => {
    await sql`select pg_advisory_xact_lock(hashtext(${name}))`.execute(trx);
  },
  lockSharedForTransaction: async (trx, name) => {
    await sql`select pg_advisory_xact_lock_shared(hashtext(${name}))`.execute(trx);
  },
  dropPerRowForeignKeys: async (db, table) => {
    const keys = await sql<{ name: string }>`
      select conname as name from pg_constraint
      where contype = 'f' and conrelid = ${table}::regclass order by conname`.execute(db);
    for (const { name } of keys.rows)
      await sql`alter table ${sql.table(table)} drop constraint ${sql.id(name)}`.execute(db);
  },
  joinText: (text, separator) => sql`string_agg(${text}, ${sql.lit(separator)})`,
  idIn: (column, ids) =>
    sql<SqlBool>`${sql.ref(column)} = any(${encodeArray('bigint', ids)}::bigint[])`,
  tableSizes: async (db) => {
    const result = await sql<{ table: string; bytes: number }>`
      select c.relname as "table", pg_total_relation_size(c.oid) as bytes
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'r' and n.nspname = current_schema()
      order by bytes desc`.execute(db);
    return result.rows.map((r) => ({ table: r.table, bytes: r.bytes }));
  },
};

/** The behaviour of the database behind `db` (a transaction included). */
export function dialectOf(db: Db): StoreDialect {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return postgresDialect;
  if (adapter instanceof SqliteAdapter) return sqliteDialect;
  throw new Error('the store runs on SQLite or PostgreSQL only');
}

/** Rows of a batch insert that fit in one statement of this database. */
export function rowsPerStatement(db: Db, columnsPerRow: number): number {
  return Math.max(1, Math.floor(dialectOf(db).maxParameters / columnsPerRow));
}
