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

/**
 * Stores `value` under `key` unless the key has one, and returns the value kept: ours, or the
 * one another process stored first (one statement, so two at once cannot both win).
 *
 * @example const kept = await setSettingIfAbsent(db, 'secret_key_id', key.id);
 */
export async function setSettingIfAbsent(db: Db, key: string, value: string): Promise<string> {
  await db
    .insertInto('settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const kept = await getSetting(db, key);
  if (kept === undefined) throw new Error(`the setting ${key} vanished as it was written`);
  return kept;
}
