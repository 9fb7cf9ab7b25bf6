/**
 * Multi-row statements on the ingest path, compiled by Kysely once per shape and then reused
 * with fresh parameters. Building a 1000-row insert through the query builder costs ~16 µs per
 * row, as much as the database's own work; the SQL text of a shape never changes, so it is
 * compiled once (per database kind, statement and row count) and checked against Kysely's own
 * parameter order the first time.
 *
 * Rows are split into a few canonical batch sizes so only a handful of shapes exist.
 *
 * @example await runBatches(trx, insertEvents, rows);
 */
import { CompiledQuery, type Compilable } from 'kysely';
import { dialectOf, rowsPerStatement, type Db } from './dialect.js';

export interface BatchStatement<Row, Out> {
  /** Unique per statement: part of the cache key. */
  readonly name: string;
  /** Row fields in the order Kysely binds them (the order of the keys in `build`'s values). */
  readonly columns: readonly (keyof Row & string)[];
  /** The Kysely query for these rows; its parameters must be the row values, row-major. */
  build(db: Db, rows: readonly Row[]): Compilable<Out>;
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
