/**
 * Sign-in, sign-out and "who am I". Sign-in is throttled per username and per address; a wrong
 * username and a wrong password get the same answer.
 */
import { z } from 'zod';
import { ms } from '../../domain/time.js';
import { findUserCredentials } from '../../store/users.js';
import { DUMMY_PASSWORD_HASH, verifyPassword } from '../../sync/users.js';
import { endSession, startSession, userOf } from '../auth.js';
import { audit, type ApiDeps, type ApiInstance } from '../deps.js';
import { ApiError } from '../errors.js';
import { NoBody, publicUser } from '../schemas.js';

const LoginBody = z
  .object({ username: z.string().min(1).max(100), password: z.string().min(1).max(512) })
  .strict();

export function authRoutes(app: ApiInstance, deps: ApiDeps, perMinute: number): void {
  app.post(
    '/auth/login',
    {
      config: { public: true, rateLimit: { max: perMinute, timeWindow: 60_000 } },
      schema: {
        tags: ['auth'],
        summary: 'Sign in: sets the session cookie and returns the CSRF token',
        body: LoginBody,
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const now = deps.clock();
      const wait = deps.throttle.retryAfterSeconds(username, request.ip, now);
      if (wait > 0)
        throw new ApiError(
          'rate_limited',
          `too many failed sign-ins: try again in ${wait} seconds`,
          { retryAfterSeconds: wait },
          { 'retry-after': String(wait) },
        );
      const found = await findUserCredentials(deps.db, username);
      const ok = await verifyPassword(password, found?.passwordHash ?? DUMMY_PASSWORD_HASH);
      if (!found || !ok || found.user.disabled) {
        deps.throttle.fail(username, request.ip, now);
        request.log.warn({ username, ip: request.ip }, 'failed sign-in');
        throw new ApiError('unauthenticated', 'wrong username or password');
      }
      deps.throttle.succeed(username);
      const csrfToken = await startSession(
        deps.db,
        request,
        reply,
        found.user,
        ms(Math.floor(now)),
      );
      request.principal = { kind: 'session', user: found.user, sessionHash: '', csrfToken };
      await audit(deps, request, 'auth.login', {
        type: 'user',
        id: found.user.id,
        name: found.user.username,
      });
      return { user: publicUser(found.user), csrfToken };
    },
  );

  app.post(
    '/auth/logout',
    { schema: { tags: ['auth'], summary: 'Sign out (ends the session)', body: NoBody } },
    async (request, reply) => {
      await endSession(deps.db, request, reply);
      return reply.code(204).send();
    },
  );

  app.get(
    '/auth/me',
    { schema: { tags: ['auth'], summary: 'The signed-in user and the session CSRF token' } },
    async (request) => {
      await Promise.resolve();
      const user = userOf(request);
      return {
        user: publicUser(user),
        csrfToken: request.principal?.kind === 'session' ? request.principal.csrfToken : null,
        via: request.principal?.kind ?? null,
      };
    },
  );
}
