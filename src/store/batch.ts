/**
 * Multi-row statements on the ingest path, compiled by Kysely once per shape and then reused
 * with fresh parameters. Building a 1000-row insert through the query builder costs ~16 µs per
 * row, as much as the database's own work; the SQL text of a shape never changes, so it is
 * compiled once (per database kind, statement and row count) and checked against Kysely's own
 * parameter order the first time.
 *
 * Rows are split into a few canonical batch sizes so only a handful of shapes exist. On
 * PostgreSQL a statement that names its columns' types (`arrayTypes`) instead binds one array
 * per column to `select * from unnest(…)`: every row in one statement of one text, whose parse
 * and plan cost the server nothing next to a `values` list of thousands of parameters.
 *
 * @example await runBatches(trx, insertEvents, rows);
 */
import { CompiledQuery, type Compilable } from 'kysely';
import { dialectOf, rowsPerStatement, type Db } from './dialect.js';
import { encodeArray, type PgArrayType } from './pg-arrays.js';

export interface BatchStatement<Row, Out> {
  /** Unique per statement: part of the cache key. */
  readonly name: string;
  /** Row fields in the order Kysely binds them (the order of the keys in `build`'s values). */
  readonly columns: readonly (keyof Row & string)[];
  /** The Kysely query for these rows; its parameters must be the row values, row-major. */
  build(db: Db, rows: readonly Row[]): Compilable<Out>;
  /**
   * PostgreSQL: each column's type, for an `insert … values (…)` statement sent as
   * `insert … select * from unnest($1::type[], …)` with one array per column.
   */
  readonly arrayTypes?: { readonly [column in keyof Row & string]?: PgArrayType };
}

const BATCH_SIZES = [512, 128, 32, 8, 2, 1];

/**
 * SQL text per (database kind, statement, row count). A memo of pure compilations: the same
 * key always yields the same text, so sharing it across databases of one kind is safe.
 */
const compiledSql = new Map<string, string>();

/** Splits into canonical batch sizes (no larger than the database allows). */
export function canonicalBatches<T>(db: Db, items: readonly T[], columns: number): T[][] {
  const max = rowsPerStatement(db, columns);
  const out: T[][] = [];
  let i = 0;
  while (i < items.length) {
    const left = items.length - i;
    const size = BATCH_SIZES.find((s) => s <= left && s <= max) ?? 1;
    out.push(items.slice(i, i + size));
    i += size;
  }
  return out;
}

/** Runs the statement over all rows in canonical batches and returns every result row. */
export async function runBatches<Row, Out>(
  db: Db,
  statement: BatchStatement<Row, Out>,
  rows: readonly Row[],
): Promise<Out[]> {
  if (rows.length === 0) return [];
  if (statement.arrayTypes !== undefined && dialectOf(db).columnArrays)
    return runUnnest(db, statement, statement.arrayTypes, rows);
  const results: Out[] = [];
  for (const batch of canonicalBatches(db, rows, statement.columns.length)) {
    const parameters: unknown[] = [];
    for (const row of batch) for (const column of statement.columns) parameters.push(row[column]);
    const key = `${dialectOf(db).kind}:${statement.name}:${String(batch.length)}`;
    let text = compiledSql.get(key);
    if (text === undefined) {
      const compiled = statement.build(db, batch).compile();
      const same =
        compiled.parameters.length === parameters.length &&
        compiled.parameters.every((p, i) => p === parameters[i]);
      if (!same)
        throw new Error(`batch statement ${statement.name}: parameters differ from Kysely's order`);
      text = compiled.sql;
      compiledSql.set(key, text);
    }
    const result = await db.executeQuery<Out>(CompiledQuery.raw(text, parameters));
    results.push(...result.rows);
  }
  return results;
}

/** Rows per unnest statement: bounds one message's size (a backlog's events hold payloads). */
const UNNEST_ROWS = 4096;

async function runUnnest<Row, Out>(
  db: Db,
  statement: BatchStatement<Row, Out>,
  types: NonNullable<BatchStatement<Row, Out>['arrayTypes']>,
  rows: readonly Row[],
): Promise<Out[]> {
  const text = unnestSql(db, statement, types, rows);
  const results: Out[] = [];
  for (let start = 0; start < rows.length; start += UNNEST_ROWS) {
    const batch = rows.slice(start, start + UNNEST_ROWS);
    const parameters = statement.columns.map((column) =>
      encodeArray(
        types[column] ?? 'bigint',
        batch.map((row) => row[column]),
      ),
    );
    const result = await db.executeQuery<Out>(CompiledQuery.raw(text, parameters));
    results.push(...result.rows);
  }
  return results;
}

/**
 * The statement compiled for one row, its `values ($1, …, $n)` replaced by
 * `select * from unnest($1::type[], …, $n::type[])`; refused if Kysely's text has no such list.
 */
function unnestSql<Row, Out>(
  db: Db,
  statement: BatchStatement<Row, Out>,
  types: NonNullable<BatchStatement<Row, Out>['arrayTypes']>,
  rows: readonly Row[],
): string {
  const key = `unnest:${statement.name}`;
  const known = compiledSql.get(key);
  if (known !== undefined) return known;
  const first = rows.slice(0, 1);
  const compiled = statement.build(db, first).compile();
  const placeholders = statement.columns.map((_, i) => `$${String(i + 1)}`).join(', ');
  const values = `values (${placeholders})`;
  const missing = statement.columns.filter((column) => types[column] === undefined);
  if (!compiled.sql.includes(values) || missing.length > 0)
    throw new Error(
      `batch statement ${statement.name}: cannot bind arrays (${missing.length > 0 ? `no type for ${missing.join(', ')}` : 'not one values list'})`,
    );
  const arrays = statement.columns
    .map((column, i) => `$${String(i + 1)}::${types[column] ?? 'bigint'}[]`)
    .join(', ');
  const text = compiled.sql.replace(values, `select * from unnest(${arrays})`);
  compiledSql.set(key, text);
  return text;
}

/**
 * The row's fields in `columns` order: the order Kysely binds them in, so a statement's
 * `build` binds its parameters in the order of `BatchStatement.columns`.
 *
 * @example db.insertInto('activity_daily').values(rows.map((r) => pick(r, DAILY_COLUMNS)))
 */
export function pick<Row extends object>(row: Row, columns: readonly (keyof Row)[]): Row {
  const out: Partial<Row> = {};
  for (const column of columns) out[column] = row[column];
  return out as Row;
}
