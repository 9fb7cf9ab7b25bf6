/**
 * API tokens for automation (`Authorization: Bearer …`). Only the token's SHA-256 is stored;
 * the token is shown once when created. A token acts as the user who created it, until it is
 * revoked or reaches its expiry (`expiresAt`, null: never).
 *
 * @example const token = await createApiToken(db, { name: 'SIEM export', userId, tokenHash, prefix,
 *   createdAt: now, expiresAt: null });
 */
import type { Selectable } from 'kysely';
import { NotFoundError } from '../domain/errors.js';
import type { EpochMs } from '../domain/time.js';
import type { ApiToken } from '../domain/users.js';
import { epochMs, epochMsOrNull, newId } from './columns.js';
import type { Db } from './dialect.js';
import type { ApiTokensTable } from './schema.js';

function toApiToken(row: Selectable<ApiTokensTable>): ApiToken {
  return {
    id: row.id,
    name: row.name,
    userId: row.user_id,
    prefix: row.prefix,
    createdAt: epochMs(row.created_at),
    lastUsedAt: epochMsOrNull(row.last_used_at),
    expiresAt: epochMsOrNull(row.expires_at),
  };
}

export async function createApiToken(
  db: Db,
  input: {
    readonly name: string;
    readonly userId: string;
    readonly tokenHash: string;
    readonly prefix: string;
    readonly createdAt: EpochMs;
    /** null: the token never expires. */
    readonly expiresAt: EpochMs | null;
  },
): Promise<ApiToken> {
  const row = await db
    .insertInto('api_tokens')
    .values({
      id: newId(),
      name: input.name,
      user_id: input.userId,
      token_hash: input.tokenHash,
      prefix: input.prefix,
      created_at: input.createdAt,
      last_used_at: null,
      expires_at: input.expiresAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toApiToken(row);
}

export async function findApiTokenByHash(db: Db, tokenHash: string): Promise<ApiToken | undefined> {
  const row = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  return row && toApiToken(row);
}

export async function listApiTokens(
  db: Db,
  filter: { readonly userId?: string } = {},
): Promise<ApiToken[]> {
  let q = db.selectFrom('api_tokens').selectAll();
  if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
  const rows = await q.orderBy('created_at').orderBy('id').execute();
  return rows.map(toApiToken);
}

export async function findApiToken(db: Db, id: string): Promise<ApiToken | undefined> {
  const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toApiToken(row);
}

/** Records a use of the token at `at` (its `lastUsedAt`). */
export async function touchApiToken(db: Db, id: string, at: EpochMs): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
}

export async function deleteApiToken(db: Db, id: string): Promise<void> {
  const result = await db.deleteFrom('api_tokens').where('id', '=', id).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw new NotFoundError('API token', id);
}
