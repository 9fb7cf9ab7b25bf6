/**
 * Store-wide values (e.g. the id of the key that encrypts credentials), one text per key.
 *
 * @example await setSetting(db, 'secret_key_id', key.id);
 */
import type { Db } from './dialect.js';

export async function getSetting(db: Db, key: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value;
}

export async function setSetting(db: Db, key: string, value: string): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}
