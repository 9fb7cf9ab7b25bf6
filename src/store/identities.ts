/**
 * Identities (people). Repositories are plain functions taking the database first.
 *
 * @example const ann = await createIdentity(db, { displayName: 'Ann Lee', email: 'ann@x.org' });
 */
import { sql, type Selectable } from 'kysely';
import { NotFoundError } from '../domain/errors.js';
import type { Identity, NewIdentity } from '../domain/identities.js';
import { nowMs } from '../domain/time.js';
import { chunks, epochMs, newId } from './columns.js';
import { rowsPerStatement, type Db } from './dialect.js';
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
 * Identities whose name, e-mail or username contains `query` (case-insensitive): the
 * type-ahead of the Source Owner field. Those where it starts the name, a word of the name, the
 * e-mail or the username come first ("an": Ana Silva before Joanna Wu), each part by name.
 * Keyset paging with `after` (the last identity shown).
 */
export async function searchIdentities(
  db: Db,
  options: { readonly query?: string; readonly limit?: number; readonly after?: Identity } = {},
): Promise<Identity[]> {
  let q = db.selectFrom('identities').selectAll();
  const text = options.query?.trim().toLowerCase();
  const after = options.after;
  if (text !== undefined && text.length > 0) {
    const escaped = text.replace(/[\\%_]/g, (c) => `\\${c}`);
    const pattern = `%${escaped}%`;
    q = q.where((eb) =>
      eb.or([
        sql<boolean>`lower(display_name) like ${pattern} escape '\\'`,
        sql<boolean>`lower(email) like ${pattern} escape '\\'`,
        sql<boolean>`lower(username) like ${pattern} escape '\\'`,
      ]),
    );
    // 0 where the text starts the name, a word of it, the e-mail or the username; else 1.
    const rank = (table: string) => {
      const column = (name: string) => sql.ref(`${table}.${name}`);
      return sql<number>`case when lower(${column('display_name')}) like ${`${escaped}%`} escape '\\'
        or lower(${column('display_name')}) like ${`% ${escaped}%`} escape '\\'
        or lower(${column('email')}) like ${`${escaped}%`} escape '\\'
        or lower(${column('username')}) like ${`${escaped}%`} escape '\\' then 0 else 1 end`;
    };
    const own = rank('identities');
    if (after) {
      // The last row's own rank, read again; a row deleted since ranks last.
      const theirs = sql<number>`coalesce((select ${rank('shown')} from identities as shown where shown.id = ${after.id}), 1)`;
      // A row value, as every keyset page of the store; the columns are NOT NULL.
      q = q.where(
        sql<boolean>`(${own}, display_name, id) > (${theirs}, ${after.displayName}, ${after.id})`,
      );
    }
    const rows = await q
      .orderBy(own)
      .orderBy('display_name')
      .orderBy('id')
      .limit(options.limit ?? 50)
      .execute();
    return rows.map(toIdentity);
  }
  if (after)
    // A row value, as every keyset page of the store; both columns are NOT NULL.
    q = q.where((eb) =>
      eb(eb.refTuple('display_name', 'id'), '>', eb.tuple(after.displayName, after.id)),
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

/**
 * Identities whose e-mail (case-insensitive) is one of `emails`: the correlation engine asks
 * for a whole page of accounts at once instead of one query per account.
 */
export async function findIdentitiesByEmails(
  db: Db,
  emails: readonly string[],
): Promise<Identity[]> {
  return findByLowered(db, 'email', emails);
}

/** Identities whose username (case-insensitive) is one of `usernames`. */
export async function findIdentitiesByUsernames(
  db: Db,
  usernames: readonly string[],
): Promise<Identity[]> {
  return findByLowered(db, 'username', usernames);
}

async function findByLowered(
  db: Db,
  column: 'email' | 'username',
  values: readonly string[],
): Promise<Identity[]> {
  const lowered = [...new Set(values.map((v) => v.toLowerCase()))];
  const found: Identity[] = [];
  for (const batch of chunks(lowered, rowsPerStatement(db, 1))) {
    const rows = await db
      .selectFrom('identities')
      .selectAll()
      .where((eb) => eb(eb.fn('lower', [column]), 'in', batch))
      .orderBy('created_at')
      .execute();
    found.push(...rows.map(toIdentity));
  }
  return found;
}

/** A new identity whose id the caller chose (so a batch can refer to it before it is stored). */
export interface NewIdentityWithId extends NewIdentity {
  readonly id: string;
}

/** Inserts identities in statement-sized batches. */
export async function createIdentities(
  db: Db,
  inputs: readonly NewIdentityWithId[],
): Promise<void> {
  const now = nowMs();
  for (const batch of chunks(inputs, rowsPerStatement(db, 6))) {
    await db
      .insertInto('identities')
      .values(
        batch.map((input) => ({
          id: input.id,
          display_name: input.displayName,
          email: input.email ?? null,
          username: input.username ?? null,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
  }
}

export { newId as newIdentityId };
