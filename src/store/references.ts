/**
 * The one check every write that takes a reference id makes first: each referenced row must
 * exist, or the write fails with a `MissingReferenceError` naming each field at fault — never the
 * database's foreign-key error, which on SQLite does not even say which column it was.
 *
 * @example await assertReferencesExist(trx, [{ field: 'ownerIdentityId', table: 'identities', id }]);
 */
import { MissingReferenceError, type MissingReference } from '../domain/errors.js';
import type { Db } from './dialect.js';

/** The tables a write may refer to, with the name of one row in the user's words. */
const REFERENCED = {
  identities: 'identity',
  governance_groups: 'governance group',
} as const;

export interface Reference {
  /** The field as the caller wrote it, for the error. */
  readonly field: string;
  readonly table: keyof typeof REFERENCED;
  /** `null` or `undefined`: nothing referenced, nothing to check. */
  readonly id: string | null | undefined;
}

/** Throws `MissingReferenceError` (every missing one at once) unless each row exists. */
export async function assertReferencesExist(
  db: Db,
  references: readonly Reference[],
): Promise<void> {
  const problems: MissingReference[] = [];
  for (const { field, table, id } of references) {
    if (id === null || id === undefined) continue;
    // No id holds a NUL character (and PostgreSQL refuses one in a text parameter).
    const row = id.includes('\u0000')
      ? undefined
      : await db.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst();
    if (!row)
      problems.push({
        field,
        message: `no ${REFERENCED[table]} has the id "${id.length > 60 ? `${id.slice(0, 60)}…` : id}"`,
      });
  }
  if (problems.length > 0) throw new MissingReferenceError(problems);
}
