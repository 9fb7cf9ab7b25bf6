/**
 * What every route receives from `buildServer`: the database, the sync context, the background
 * runner, the scheduler to poke, the login throttle, the demo, a clock, and the audit helper.
 *
 * @example await audit(deps, request, 'source.create', { type: 'source', id, name });
 */
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { User } from '../domain/users.js';
import type { Db } from '../store/dialect.js';
import { recordAudit } from '../store/audit.js';
import type { SyncContext } from '../sync/context.js';
import type { LoginThrottle } from './auth.js';
import type { BackgroundRuns } from './background-runs.js';
import type { Demo } from './demo.js';

export type ApiInstance = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface ApiDeps {
  readonly db: Db;
  readonly sync: SyncContext;
  /** Loopback Duo hosts accepted (demo, tests, `DUO_INSIGHTS_ALLOW_LOOPBACK_DUO_HOSTS`). */
  readonly allowLoopbackHosts: boolean;
  readonly runs: BackgroundRuns;
  /** Told to look for due work (e.g. after a source passed its connection test). */
  readonly scheduler: { poke(): void } | undefined;
  readonly throttle: LoginThrottle;
  readonly demo: Demo;
  readonly clock: () => number;
}

export interface AuditTarget {
  readonly type: string;
  readonly id?: string | null;
  readonly name?: string | null;
  /** Facts worth keeping; never a secret. */
  readonly details?: unknown;
}

/** Records what the signed-in user (or token) did. */
export async function audit(
  deps: ApiDeps,
  request: FastifyRequest,
  action: string,
  target: AuditTarget,
  /** Who did it, when the request is not yet signed in (sign-in itself). */
  actor?: User,
): Promise<void> {
  const principal = request.principal;
  const user = actor ?? principal?.user;
  await recordAudit(deps.db, {
    actorUserId: user?.id ?? null,
    actor: user
      ? `${user.username}${principal?.kind === 'token' ? ' (API token)' : ''}`
      : 'anonymous',
    action,
    targetType: target.type,
    targetId: target.id ?? null,
    targetName: target.name ?? null,
    details: target.details,
    ip: request.ip,
  });
}
