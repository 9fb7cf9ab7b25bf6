/**
 * Who asks for a use case: a signed-in user (a console session or an API token), a person at the
 * command line (the operating-system user, with an admin's rights: they hold the database), or
 * the scheduler. Every use case takes one, authorises by it and names it in the audit trail.
 *
 * @example await recordAction(deps, cliActor('alice'), 'source.sync', { type: 'source', id, name });
 */
import { userInfo } from 'node:os';
import { recordAudit } from '../store/audit.js';
import type { Db } from '../store/dialect.js';
import type { User } from '../domain/users.js';

export type Actor =
  | {
      readonly kind: 'user';
      readonly user: User;
      readonly via: 'session' | 'token';
      /** The client address (after proxy trust), for the audit trail. */
      readonly ip: string | null;
    }
  | { readonly kind: 'cli'; readonly osUser: string }
  | { readonly kind: 'scheduler' };

/** The person at this terminal, as the operating system names them. */
export function cliActor(osUser: string = currentOsUser()): Actor {
  return { kind: 'cli', osUser };
}

export const SCHEDULER: Actor = { kind: 'scheduler' };

function currentOsUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** How the audit trail names an actor: `alice`, `alice (API token)`, `cli:root`, `scheduler`. */
export function actorName(actor: Actor): string {
  switch (actor.kind) {
    case 'user':
      return `${actor.user.username}${actor.via === 'token' ? ' (API token)' : ''}`;
    case 'cli':
      return `cli:${actor.osUser}`;
    case 'scheduler':
      return 'scheduler';
  }
}

export interface AuditTarget {
  readonly type: string;
  readonly id?: string | null;
  readonly name?: string | null;
  /** Facts worth keeping; never a secret. */
  readonly details?: unknown;
}

/** Records what an actor did, in the one audit trail every front door writes to. */
export async function recordAction(
  db: Db,
  actor: Actor,
  action: string,
  target: AuditTarget,
): Promise<void> {
  await recordAudit(db, {
    actorUserId: actor.kind === 'user' ? actor.user.id : null,
    actor: actorName(actor),
    action,
    targetType: target.type,
    targetId: target.id ?? null,
    targetName: target.name ?? null,
    details: target.details,
    ip: actor.kind === 'user' ? actor.ip : null,
  });
}
