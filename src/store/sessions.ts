/**
 * Sign-in sessions. The cookie's value is a random secret; only its SHA-256 is stored, so a
 * copy of the database opens no session. Each session has its own CSRF token.
 *
 * @example await createSession(db, { idHash, userId, csrfToken, expiresAt });
 */
import type { Selectable } from 'kysely';
import { ms, type EpochMs } from '../domain/time.js';
import type { Db } from './dialect.js';
import type { SessionsTable } from './schema.js';

export interface Session {
  readonly idHash: string;
  readonly userId: string;
  readonly csrfToken: string;
  readonly createdAt: EpochMs;
  readonly expiresAt: EpochMs;
}

function toSession(row: Selectable<SessionsTable>): Session {
  return {
    idHash: row.id_hash,
    userId: row.user_id,
    csrfToken: row.csrf_token,
    createdAt: ms(row.created_at),
    expiresAt: ms(row.expires_at),
  };
}

export async function createSession(db: Db, session: Session): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id_hash: session.idHash,
      user_id: session.userId,
      csrf_token: session.csrfToken,
      created_at: session.createdAt,
      expires_at: session.expiresAt,
    })
    .execute();
}

/** The session with this hash if it has not expired at `now`. */
export async function findLiveSession(
  db: Db,
  idHash: string,
  now: EpochMs,
): Promise<Session | undefined> {
  const row = await db
    .selectFrom('sessions')
    .selectAll()
    .where('id_hash', '=', idHash)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row && toSession(row);
}

/** Slides a session's expiry forward (sessions expire after a period of inactivity). */
export async function extendSession(db: Db, idHash: string, expiresAt: EpochMs): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ expires_at: expiresAt })
    .where('id_hash', '=', idHash)
    .execute();
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
}

/** Signs a user out everywhere (password change, role change, disabled). */
export async function deleteSessionsOfUser(db: Db, userId: string): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}

/**
 * Signs a user out everywhere but the session `keepHash` (their own password change; undefined:
 * everywhere). Returns how many sessions ended.
 */
export async function deleteOtherSessionsOfUser(
  db: Db,
  userId: string,
  keepHash: string | undefined,
): Promise<number> {
  let q = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (keepHash !== undefined) q = q.where('id_hash', '<>', keepHash);
  const result = await q.executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function deleteExpiredSessions(db: Db, now: EpochMs): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
