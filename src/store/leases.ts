/**
 * Leases: at most one holder of a name (e.g. `source:<id>`) across every process sharing the
 * database. Acquiring inserts the lease or takes over an expired one in ONE statement, judged
 * by the database's clock, so two processes can never both win. A lease names its holder's
 * process (host, pid) so that a caller who knows that process is gone can take it over at once
 * (`takeOverLease`, conditional on the holder it saw).
 *
 * @example
 *   if (await acquireLease(db, { name: `source:${id}`, holder: processId, ttlMs: 60_000 })) { ... }
 */
import { sql, type RawBuilder } from 'kysely';
import { epochMs } from './columns.js';
import { dialectOf, type Db } from './dialect.js';
import type { EpochMs } from '../domain/time.js';

/** The process that holds a lease: its host name and process id. */
export interface LeaseProcess {
  readonly host: string;
  readonly pid: number;
}

export interface LeaseRequest {
  readonly name: string;
  /** Who holds it (stable per process, e.g. `hostname:pid:uuid`). */
  readonly holder: string;
  /** How long it lasts without renewal. */
  readonly ttlMs: number;
  /** The holder's process, so a lease of a process that is gone can be taken over at once. */
  readonly process?: LeaseProcess;
  /**
   * The time to judge expiry by; the database's clock when absent (as every caller but a test
   * leaves it). Tests set it to let a lease expire without waiting.
   */
  readonly at?: EpochMs;
}

/** A lease as stored: who holds it, until when, and from which process (when known). */
export interface Lease {
  readonly name: string;
  readonly holder: string;
  readonly expiresAt: EpochMs;
  readonly process?: LeaseProcess;
}

function nowOf(db: Db, request: LeaseRequest): RawBuilder<number> {
  return request.at === undefined ? dialectOf(db).now() : sql.lit<number>(request.at);
}

function processColumns(request: LeaseRequest): {
  holder_host: string | null;
  holder_pid: number | null;
} {
  return { holder_host: request.process?.host ?? null, holder_pid: request.process?.pid ?? null };
}

/**
 * Takes the lease when free, expired, or already ours (renewing it). False when another
 * holder's lease is still valid.
 */
export async function acquireLease(db: Db, request: LeaseRequest): Promise<boolean> {
  const now = nowOf(db, request);
  const expires = sql<number>`${now} + ${request.ttlMs}`;
  const row = await db
    .insertInto('leases')
    .values({
      name: request.name,
      holder: request.holder,
      expires_at: expires,
      ...processColumns(request),
    })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder: request.holder, expires_at: expires, ...processColumns(request) })
        .where((eb) =>
          eb.or([eb('leases.holder', '=', request.holder), eb('leases.expires_at', '<=', now)]),
        ),
    )
    .returning('holder')
    .executeTakeFirst();
  return row?.holder === request.holder;
}

/**
 * Takes a lease over from `from`, its current holder, whatever its expiry: for a holder known
 * to be gone (its process no longer exists). False when `from` no longer holds it (released,
 * or taken over by someone else first), so two contenders can never both win.
 */
export async function takeOverLease(
  db: Db,
  request: LeaseRequest & { readonly from: string },
): Promise<boolean> {
  const now = nowOf(db, request);
  const result = await db
    .updateTable('leases')
    .set({
      holder: request.holder,
      expires_at: sql<number>`${now} + ${request.ttlMs}`,
      ...processColumns(request),
    })
    .where('name', '=', request.name)
    .where('holder', '=', request.from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Extends our lease; false when it is no longer ours (expired and taken over). */
export async function renewLease(db: Db, request: LeaseRequest): Promise<boolean> {
  const now = nowOf(db, request);
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

/** The current holder, expiry and process of a lease, expired or not. */
export async function findLease(db: Db, name: string): Promise<Lease | undefined> {
  const row = await db
    .selectFrom('leases')
    .select(['name', 'holder', 'expires_at', 'holder_host', 'holder_pid'])
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    name: row.name,
    holder: row.holder,
    expiresAt: epochMs(row.expires_at),
    ...(row.holder_host === null || row.holder_pid === null
      ? {}
      : { process: { host: row.holder_host, pid: row.holder_pid } }),
  };
}
