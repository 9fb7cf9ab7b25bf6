/**
 * What every route receives from `buildServer`: the database, the sync context, the runner every
 * aggregation and sync starts through, the scheduler to poke, the login throttle, the demo and a
 * clock. It holds what the use cases of `core/` need, so a route passes it on as it is.
 *
 * @example await startSourceRun(deps, actorOf(request), { sourceId, kind: 'sync' });
 */
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Remediations } from '../core/review-remediation.js';
import type { Db } from '../store/dialect.js';
import type { Readers } from '../store/readers.js';
import type { SyncContext } from '../sync/context.js';
import type { RetentionKeeper } from '../sync/retention.js';
import type { Runner } from '../sync/runner.js';
import type { LoginThrottle } from './auth.js';
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
  /** Runs the heavy reads of reports and exports off the event loop. */
  readonly readers: Readers;
  readonly sync: SyncContext;
  /** Loopback Duo hosts accepted (demo, tests, `DUO_INSIGHTS_ALLOW_LOOPBACK_DUO_HOSTS`). */
  readonly allowLoopbackHosts: boolean;
  readonly runs: Runner;
  /** Told to look for due work (e.g. after a source passed its connection test). */
  readonly scheduler: { poke(): void } | undefined;
  /** Applies a source's retention now (the server's daily passes run in it too). */
  readonly retention: RetentionKeeper;
  readonly throttle: LoginThrottle;
  readonly demo: Demo;
  readonly clock: () => number;
  /** Told after a destination is created, so its delivery starts at once (serve only). */
  readonly forwarder: { wake(): void } | undefined;
  /** Access-review remediations running in the background. */
  readonly remediations: Remediations;
}
