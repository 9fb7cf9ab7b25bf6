/**
 * The strings dictionary of activity events: repeated values (user keys, usernames, results,
 * factors, applications, locations, devices) are stored once in `strings` and rows refer to
 * them by id. Interning inserts the missing values; lookups and reads never insert.
 *
 * @example
 *   const strings = new StringCache();
 *   const ids = await lookupStrings(db, ['DU3KC77WJ06Y5HIV7XKQ']);
 */
import { chunks } from '../columns.js';
import { rowsPerStatement, type Db } from '../dialect.js';

/**
 * An in-process cache of `strings` ids, so interning a page costs no query once its strings
 * are known. Owned by the caller (one per open database); only ids from committed
 * transactions enter it, so a rollback can never leave a stale id behind.
 */
export class StringCache {
  readonly #ids = new Map<string, number>();
  readonly #maxEntries: number;

  constructor(maxEntries = 200_000) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#ids.size;
  }

  get(value: string): number | undefined {
    return this.#ids.get(value);
  }

  /** Adds ids that are committed. When full, the oldest entries are dropped. */
  remember(entries: Iterable<readonly [string, number]>): void {
    for (const [value, id] of entries) this.#ids.set(value, id);
    if (this.#ids.size > this.#maxEntries) {
      let excess = this.#ids.size - this.#maxEntries;
      for (const key of this.#ids.keys()) {
        if (excess-- <= 0) break;
        this.#ids.delete(key);
      }
    }
  }

  clear(): void {
    this.#ids.clear();
  }
}

/**
 * Ids of `values` in the strings dictionary, inserting the missing ones. New ids go to
 * `staged`, to be remembered by the cache only once the transaction commits.
 */
export async function internStrings(
  trx: Db,
  values: Iterable<string>,
  cache: StringCache | undefined,
  staged: Map<string, number>,
): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  const missing: string[] = [];
  for (const value of values) {
    const id = cache?.get(value) ?? staged.get(value);
    if (id === undefined) missing.push(value);
    else ids.set(value, id);
  }
  // Sorted, so concurrent writers take row locks in the same order (no deadlock on PostgreSQL).
  missing.sort();
  for (const batch of chunks(missing, rowsPerStatement(trx, 1))) {
    await trx
      .insertInto('strings')
      .values(batch.map((value) => ({ value })))
      .onConflict((oc) => oc.column('value').doNothing())
      .execute();
    const rows = await trx
      .selectFrom('strings')
      .select(['id', 'value'])
      .where('value', 'in', batch)
      .execute();
    for (const row of rows) {
      const id = row.id;
      ids.set(row.value, id);
      staged.set(row.value, id);
    }
  }
  return ids;
}

/** Ids of strings already in the dictionary (no insert); unknown values are absent. */
export async function lookupStrings(
  db: Db,
  values: readonly string[],
): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const batch of chunks([...new Set(values)], rowsPerStatement(db, 1))) {
    const rows = await db
      .selectFrom('strings')
      .select(['id', 'value'])
      .where('value', 'in', batch)
      .execute();
    for (const row of rows) ids.set(row.value, row.id);
  }
  return ids;
}

/** Values of string ids (for reading rows back). */
export async function stringValues(db: Db, ids: Iterable<number>): Promise<Map<number, string>> {
  const values = new Map<number, string>();
  for (const batch of chunks([...new Set(ids)], rowsPerStatement(db, 1))) {
    const rows = await db
      .selectFrom('strings')
      .select(['id', 'value'])
      .where('id', 'in', batch)
      .execute();
    for (const row of rows) values.set(row.id, row.value);
  }
  return values;
}
