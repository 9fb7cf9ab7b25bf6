/**
 * Leases: at most one holder of a name (e.g. `source:<id>`) across every process sharing the
 * database. Acquiring inserts the lease or takes over an expired one in ONE statement, judged
 * by the database's clock, so two processes can never both win.
 *
 * @example
 *   if (await acquireLease(db, { name: `source:${id}`, holder: processId, ttlMs: 60_000 })) { ... }
 */
import { sql } from 'kysely';
import { epochMs } from './columns.js';
import { dialectOf, type Db } from './dialect.js';
import type { EpochMs } from '../domain/time.js';

export interface LeaseRequest {
  readonly name: string;
  /** Who holds it (stable per process, e.g. `hostname:pid:uuid`). */
  readonly holder: string;
  /** How long it lasts without renewal. */
  readonly ttlMs: number;
}

/**
 * Takes the lease when free, expired, or already ours (renewing it). False when another
 * holder's lease is still valid.
 */
export async function acquireLease(db: Db, request: LeaseRequest): Promise<boolean> {
  const now = dialectOf(db).now();
  const expires = sql<number>`${now} + ${request.ttlMs}`;
  const row = await db
    .insertInto('leases')
    .values({ name: request.name, holder: request.holder, expires_at: expires })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder: request.holder, expires_at: expires })
        .where((eb) =>
          eb.or([eb('leases.holder', '=', request.holder), eb('leases.expires_at', '<=', now)]),
        ),
    )
    .returning('holder')
    .executeTakeFirst();
  return row?.holder === request.holder;
}

/** Extends our lease; false when it is no longer ours (expired and taken over). */
export async function renewLease(db: Db, request: LeaseRequest): Promise<boolean> {
  const now = dialectOf(db).now();
  const result = await db
    .updateTable('leases')
    .set({ expires_at: sql<number>`${now} + ${request.ttlMs}` })
    .where('name', '=', request.name)
    .where('holder', '=', request.holder)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Gives the lease up (only if ours). */
export async function releaseLease(
  db: Db,
  lease: { readonly name: string; readonly holder: string },
): Promise<boolean> {
  const result = await db
    .deleteFrom('leases')
    .where('name', '=', lease.name)
    .where('holder', '=', lease.holder)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The current holder and expiry of a lease, expired or not. */
export async function findLease(
  db: Db,
  name: string,
): Promise<{ readonly holder: string; readonly expiresAt: EpochMs } | undefined> {
  const row = await db
    .selectFrom('leases')
    .select(['holder', 'expires_at'])
    .where('name', '=', name)
    .executeTakeFirst();
  return row && { holder: row.holder, expiresAt: epochMs(row.expires_at) };
}
