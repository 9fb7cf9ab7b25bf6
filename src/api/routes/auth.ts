/**
 * Sign-in, sign-out, "who am I" and changing one's own password. Each attempt is counted before its password is checked:
 * refused after 5 failures of one username from one address or 20 from one address, slowed down
 * after 10 failures of one username from anywhere (see `LoginThrottle`). A wrong username and a
 * wrong password get the same answer; the log never holds the typed username. A wrong current
 * password in a password change counts as a failed sign-in of that user.
 *
 * @example POST /api/v1/auth/login {"username":"admin","password":"…"} → { user, csrfToken }
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { ms } from '../../domain/time.js';
import { findUserCredentials } from '../../store/users.js';
import {
  changeOwnPassword,
  DUMMY_PASSWORD_HASH,
  PASSWORD_POLICY,
  verifyPassword,
  WrongPasswordError,
} from '../../sync/users.js';
import { actorOf, endSession, startSession, userOf } from '../auth.js';
import { recordAction } from '../../core/actor.js';
import type { ApiDeps, ApiInstance } from '../deps.js';
import { ApiError } from '../errors.js';
import { answers } from '../contract/errors.js';
import { NoContent } from '../contract/common.js';
import { Me, PasswordChanged, Session } from '../contract/users.js';
import { NoBody, publicUser } from '../schemas.js';

const LoginBody = z
  .object({ username: z.string().min(1).max(100), password: z.string().min(1).max(512) })
  .strict();

const PasswordChangeBody = z
  .object({
    currentPassword: z.string().max(PASSWORD_POLICY.maxLength),
    newPassword: z.string().max(PASSWORD_POLICY.maxLength),
  })
  .strict();

function tooManyFailures(wait: number): ApiError {
  return new ApiError(
    'rate_limited',
    `too many failed sign-ins: try again in ${wait} seconds`,
    { retryAfterSeconds: wait },
    { 'retry-after': String(wait) },
  );
}

/**
 * What a failed sign-in logs instead of the typed username (which may be a password typed in the
 * wrong field): 12 hex characters of its HMAC-SHA-256 under a key derived from the secret key.
 * The same text gives the same hash, so failures of one name can be grouped; neither the log nor
 * a dictionary of guesses reveals the text.
 */
function typedNameDigest(deps: ApiDeps, typed: string): string {
  const key = hkdfSync('sha256', deps.sync.secretKey.bytes(), '', 'sign-in log username', 32);
  return createHmac('sha256', Buffer.from(key)).update(typed).digest('hex').slice(0, 12);
}

export function authRoutes(app: ApiInstance, deps: ApiDeps, perMinute: number): void {
  app.post(
    '/auth/login',
    {
      config: { public: true, rateLimit: { max: perMinute, timeWindow: 60_000 } },
      schema: {
        tags: ['auth'],
        summary: 'Sign in: sets the session cookie and returns the CSRF token',
        body: LoginBody,
        response: answers({ 200: Session }),
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const now = deps.clock();
      const attempt = deps.throttle.reserve(username, request.ip, now);
      if (!attempt.allowed) throw tooManyFailures(attempt.retryAfterSeconds);
      if (attempt.delayMs > 0) await sleep(attempt.delayMs);
      const found = await findUserCredentials(deps.db, username);
      const ok = await verifyPassword(password, found?.passwordHash ?? DUMMY_PASSWORD_HASH);
      if (!found || !ok || found.user.disabled) {
        request.log.warn(
          {
            usernameHash: typedNameDigest(deps, username),
            ...(found ? { userId: found.user.id } : {}),
            ip: request.ip,
            ...(attempt.delayMs > 0 ? { slowedMs: attempt.delayMs } : {}),
          },
          'failed sign-in',
        );
        throw new ApiError('unauthenticated', 'wrong username or password');
      }
      attempt.succeeded();
      const csrfToken = await startSession(
        deps.db,
        request,
        reply,
        found.user,
        ms(Math.floor(now)),
      );
      request.principal = { kind: 'session', user: found.user, sessionHash: '', csrfToken };
      await recordAction(deps.db, actorOf(request), 'auth.login', {
        type: 'user',
        id: found.user.id,
        name: found.user.username,
      });
      return { user: publicUser(found.user), csrfToken };
    },
  );

  app.post(
    '/auth/password',
    {
      config: { beforePasswordChange: true, rateLimit: { max: perMinute, timeWindow: 60_000 } },
      schema: {
        tags: ['auth'],
        summary:
          'Change your own password: the current one must be right (a wrong one counts as a failed sign-in); ends your other sessions',
        body: PasswordChangeBody,
        response: answers({ 200: PasswordChanged }),
      },
    },
    async (request) => {
      const user = userOf(request);
      const now = deps.clock();
      const attempt = deps.throttle.reserve(user.username, request.ip, now);
      if (!attempt.allowed) throw tooManyFailures(attempt.retryAfterSeconds);
      if (attempt.delayMs > 0) await sleep(attempt.delayMs);
      const principal = request.principal;
      let changed: Awaited<ReturnType<typeof changeOwnPassword>>;
      try {
        changed = await changeOwnPassword(
          deps.db,
          user.id,
          request.body,
          principal?.kind === 'session' ? principal.sessionHash : undefined,
        );
      } catch (error) {
        if (error instanceof WrongPasswordError)
          request.log.warn({ userId: user.id, ip: request.ip }, 'failed password change');
        else attempt.succeeded();
        throw error;
      }
      attempt.succeeded();
      await recordAction(deps.db, actorOf(request), 'user.password_change', {
        type: 'user',
        id: user.id,
        name: user.username,
        details: { sessionsEnded: changed.sessionsEnded },
      });
      return { user: publicUser(changed.user), sessionsEnded: changed.sessionsEnded };
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { beforePasswordChange: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign out (ends the session)',
        body: NoBody,
        response: answers({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await endSession(deps.db, request, reply);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/me',
    {
      config: { beforePasswordChange: true },
      schema: {
        tags: ['auth'],
        summary: 'The signed-in user and the session CSRF token',
        response: answers({ 200: Me }),
      },
    },
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
