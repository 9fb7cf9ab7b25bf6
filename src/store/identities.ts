/**
 * Identities (people). Repositories are plain functions taking the database first.
 *
 * @example const ann = await createIdentity(db, { displayName: 'Ann Lee', email: 'ann@x.org' });
 */
import { sql, type Selectable } from 'kysely';
import { NotFoundError } from '../domain/errors.js';
import type { Identity, NewIdentity } from '../domain/identities.js';
import { nowMs } from '../domain/time.js';
import { epochMs, newId } from './columns.js';
import type { Db } from './dialect.js';
import type { IdentitiesTable } from './schema.js';

export function toIdentity(row: Selectable<IdentitiesTable>): Identity {
  return {
    id: row.id,
    displayName: row.display_name,
    email: row.email,
    username: row.username,
    createdAt: epochMs(row.created_at),
    updatedAt: epochMs(row.updated_at),
  };
}

export async function createIdentity(db: Db, input: NewIdentity): Promise<Identity> {
  const now = nowMs();
  const row = await db
    .insertInto('identities')
    .values({
      id: newId(),
      display_name: input.displayName,
      email: input.email ?? null,
      username: input.username ?? null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toIdentity(row);
}

export async function findIdentity(db: Db, id: string): Promise<Identity | undefined> {
  const row = await db.selectFrom('identities').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toIdentity(row);
}

export async function getIdentity(db: Db, id: string): Promise<Identity> {
  const identity = await findIdentity(db, id);
  if (!identity) throw new NotFoundError('identity', id);
  return identity;
}

export async function updateIdentity(
  db: Db,
  id: string,
  patch: Partial<NewIdentity>,
): Promise<Identity> {
  const row = await db
    .updateTable('identities')
    .set({
      ...(patch.displayName === undefined ? {} : { display_name: patch.displayName }),
      ...(patch.email === undefined ? {} : { email: patch.email }),
      ...(patch.username === undefined ? {} : { username: patch.username }),
      updated_at: nowMs(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFoundError('identity', id);
  return toIdentity(row);
}

/**
 * Identities whose name, e-mail or username contains `query` (case-insensitive), by name;
 * the type-ahead of the Source Owner field. Keyset paging with `after` (the last id shown).
 */
export async function searchIdentities(
  db: Db,
  options: { readonly query?: string; readonly limit?: number; readonly after?: Identity } = {},
): Promise<Identity[]> {
  let q = db.selectFrom('identities').selectAll();
  const text = options.query?.trim().toLowerCase();
  if (text !== undefined && text.length > 0) {
    const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) =>
      eb.or([
        sql<boolean>`lower(display_name) like ${pattern} escape '\\'`,
        sql<boolean>`lower(email) like ${pattern} escape '\\'`,
        sql<boolean>`lower(username) like ${pattern} escape '\\'`,
      ]),
    );
  }
  const after = options.after;
  if (after)
    q = q.where((eb) =>
      eb.or([
        eb('display_name', '>', after.displayName),
        eb.and([eb('display_name', '=', after.displayName), eb('id', '>', after.id)]),
      ]),
    );
  const rows = await q
    .orderBy('display_name')
    .orderBy('id')
    .limit(options.limit ?? 50)
    .execute();
  return rows.map(toIdentity);
}

/** Identities with this e-mail address (case-insensitive): correlation candidates. */
export async function findIdentitiesByEmail(db: Db, email: string): Promise<Identity[]> {
  const rows = await db
    .selectFrom('identities')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .orderBy('created_at')
    .execute();
  return rows.map(toIdentity);
}

/** Identities with this username (case-insensitive): correlation candidates. */
export async function findIdentitiesByUsername(db: Db, username: string): Promise<Identity[]> {
  const rows = await db
    .selectFrom('identities')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['username']), '=', username.toLowerCase()))
    .orderBy('created_at')
    .execute();
  return rows.map(toIdentity);
}
